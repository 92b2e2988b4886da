"""Log-based metrics, alerts and the dashboard, checked against log lines from real runs.

``tests/terraform/data/captured-logs.jsonl`` holds the JSON lines the four functions printed while
``chatsync demo`` and a few fault scenarios ran (``scripts/capture_logs.py`` regenerates it; one
test here runs it again against the current code). Each line becomes the LogEntry Cloud Logging
would store for a 2nd gen function: ``severity`` lifted out, the rest as ``jsonPayload``
(cloud.google.com/logging/docs/structured-logging), resource ``cloud_run_revision`` of the
function's service. Each metric's filter, with the resource clause Terraform prefixes, is then
evaluated by ``logging_query`` and must match exactly the lines it is meant to count.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import require_gcloud

from .conftest import REPO, TERRAFORM, Module, block, blocks, load_json
from .logging_query import compile_query, resolve

pytestmark = pytest.mark.observability

CAPTURED = Path(__file__).parent / "data" / "captured-logs.jsonl"
METRICS = load_json(TERRAFORM / "log_metrics.json")["metrics"]
PREFIX = "chatsync"
DOCS = REPO / "docs" / "observability.md"

Line = Mapping[str, Any]


def _message(line: Line) -> str:
    return str(line.get("message", ""))


def _failed(line: Line) -> bool:
    return str(line.get("outcome", "")).startswith("failed_")


EXPECTED: dict[str, Callable[[Line], bool]] = {
    # What each metric is meant to count, stated from the code that writes the line.
    "changes_applied": lambda line: (
        line.get("outcome") == "applied"
        and line.get("action") in {"add", "promote", "demote", "remove"}
    ),
    "plans_held": lambda line: _message(line).startswith("plan held:"),
    "drift_reverted": lambda line: _message(line).startswith("drift: a manual change"),
    "drift_reported": lambda line: _message(line).startswith("drift reported, not reverted"),
    "messages_dropped": lambda line: _message(line).startswith("event dropped: permanent error"),
    "retryable_failures": lambda line: _message(line) == "event will be redelivered",
    "chat_rate_limited": lambda line: (
        _message(line) == "chat api call failed" and line.get("http_status") == 429
    ),
    "chat_authorization_failures": lambda line: (
        _message(line) == "chat api call failed" and line.get("http_status") in (401, 403)
    ),
    "full_reconciles": lambda line: (
        _message(line) == "full reconcile completed" and line.get("full") is True
    ),
    "work_runs_stalled": lambda line: (
        _message(line) == "work run stalled: no progress, items are left"
        and line.get("severity") == "ERROR"
    ),
}


def service_of(entry_point: str) -> str:
    """The Cloud Run service (function name) of an entry point, as main.tf names it."""
    for topic in load_json(TERRAFORM / "pubsub.json")["topics"]:
        if topic["entry_point"] == entry_point:
            return f"{PREFIX}-{topic['key']}"
    raise AssertionError(f"{entry_point} is not an entry point of pubsub.json")


def function_services() -> list[str]:
    """Every chatsync function's service name: the streams' and the two HR bridges'."""
    topics = load_json(TERRAFORM / "pubsub.json")["topics"]
    return [f"{PREFIX}-{t['key']}" for t in topics] + [f"{PREFIX}-scim", f"{PREFIX}-webhook"]


def resource_clause() -> str:
    services = " OR ".join(f'"{s}"' for s in function_services())
    return f'resource.type="cloud_run_revision" AND resource.labels.service_name=({services})'


def log_entry(row: Mapping[str, Any], *, service: str | None = None) -> dict[str, Any]:
    """The LogEntry Cloud Logging stores for one JSON line a function printed to stdout."""
    line = dict(row["line"])
    severity = str(line.pop("severity", "DEFAULT"))
    return {
        "severity": severity,
        "logName": f"projects/p/logs/run.googleapis.com%2Fstdout-{service}",
        "resource": {
            "type": "cloud_run_revision",
            "labels": {"service_name": service or service_of(row["entry_point"])},
        },
        "jsonPayload": line,
    }


def read_rows(path: Path = CAPTURED) -> list[dict[str, Any]]:
    return [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines() if text]


ROWS = read_rows()


def extract(extractor: str, entry: Mapping[str, Any]) -> str | None:
    """A label extractor: ``EXTRACT(path)`` or ``REGEXP_EXTRACT(path, "re with one group")``."""
    plain = re.fullmatch(r"EXTRACT\(([\w.]+)\)", extractor)
    if plain:
        found = resolve(entry, plain.group(1))
        return None if found is None else str(found)
    regexp = re.fullmatch(r'REGEXP_EXTRACT\(([\w.]+), "((?:[^"\\]|\\.)*)"\)', extractor)
    assert regexp, f"unsupported extractor {extractor!r}"
    pattern = re.compile(regexp.group(2).replace('\\"', '"'))
    assert pattern.groups == 1, f"{extractor}: REGEXP_EXTRACT needs exactly one group"
    found = resolve(entry, regexp.group(1))
    match = pattern.search(str(found)) if found is not None else None
    return match.group(1) if match else None


def check_metric(metric: Mapping[str, Any], rows: list[dict[str, Any]]) -> list[int]:
    """Indexes of the rows the metric counts; asserts they are exactly the expected ones."""
    query = compile_query(f"{resource_clause()} AND ({metric['filter']})")
    matched = [i for i, row in enumerate(rows) if query(log_entry(row))]
    expected = [i for i, row in enumerate(rows) if EXPECTED[metric["name"]](row["line"])]
    assert matched == expected, (
        f"{metric['name']}: filter matches {[_message(rows[i]['line']) for i in matched]}, "
        f"should match {[_message(rows[i]['line']) for i in expected]}"
    )
    assert matched, f"{metric['name']} matches no captured line: its filter counts nothing real"
    return matched


def test_capture_comes_from_every_scenario() -> None:
    """The file holds lines of the demo and of each fault scenario, from several functions."""
    assert {row["scenario"] for row in ROWS} >= {
        "demo",
        "drift-reverted",
        "drift-reported",
        "rate-limited",
        "permission-denied",
        "malformed",
        "plan-held",
        "work-run-stalled",
    }
    assert {row["entry_point"] for row in ROWS} >= {
        "on_hr_event",
        "on_group_event",
        "on_chat_event",
        "on_reconcile_tick",
    }
    assert all("severity" in row["line"] and "message" in row["line"] for row in ROWS)


def test_there_are_enough_metrics_and_each_says_what_it_counts() -> None:
    """At least six metrics; each has an expectation here and a description."""
    names = [m["name"] for m in METRICS]
    assert len(names) >= 6
    assert len(set(names)) == len(names)
    assert set(names) == set(EXPECTED)
    for metric in METRICS:
        assert len(metric["description"]) > 20, metric["name"]


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m["name"])
def test_each_metric_matches_exactly_the_lines_it_should(metric: Mapping[str, Any]) -> None:
    """Evaluated on the captured lines, the filter counts its lines and no others."""
    check_metric(metric, ROWS)


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m["name"])
def test_each_metric_ignores_other_services(metric: Mapping[str, Any]) -> None:
    """The same lines from a service that is not chatsync's are not counted."""
    query = compile_query(f"{resource_clause()} AND ({metric['filter']})")
    for row in ROWS:
        assert not query(log_entry(row, service="someone-else")), metric["name"]


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m["name"])
def test_label_extractors_give_a_value_on_every_counted_line(metric: Mapping[str, Any]) -> None:
    """Each label has a value on each line the metric counts (an empty label splits nothing)."""
    for index in check_metric(metric, ROWS):
        entry = log_entry(ROWS[index])
        for key, label in metric["labels"].items():
            value = extract(label["extractor"], entry)
            assert value, f"{metric['name']}.{key} is empty on {_message(ROWS[index]['line'])!r}"


def test_authorization_failures_are_split_by_space_and_status() -> None:
    """The 401/403 metric names the space and the status of each refusal."""
    (metric,) = [m for m in METRICS if m["name"] == "chat_authorization_failures"]
    for index in check_metric(metric, ROWS):
        entry = log_entry(ROWS[index])
        assert (
            extract(metric["labels"]["space"]["extractor"], entry) == ROWS[index]["line"]["space"]
        )
        assert extract(metric["labels"]["status"]["extractor"], entry) in {"401", "403"}


def test_the_stalled_run_metric_counts_the_real_stall_line_by_origin(module: Module) -> None:
    """The captured stall (a full reconcile whose items were never delivered): counted once,
    label ``origin`` = reconcile, the same tick posted the notice; an alert fires on any."""
    (metric,) = [m for m in METRICS if m["name"] == "work_runs_stalled"]
    (index,) = check_metric(metric, ROWS)
    row = ROWS[index]
    assert (row["scenario"], row["entry_point"]) == ("work-run-stalled", "on_reconcile_tick")
    assert extract(metric["labels"]["origin"]["extractor"], log_entry(row)) == "reconcile"
    run_id = row["line"]["run_id"]
    assert [
        r["line"]["notice_key"]
        for r in ROWS
        if r["line"].get("notice") == "work_run_stalled"
        and r["line"].get("notification") == "posted"
    ] == [f"stalled:{run_id}"]
    alert = module.locals["log_metric_alerts"]["work_run_stalled"]
    assert (alert["metric"], alert["threshold"]) == ("work_runs_stalled", 0)


def test_terraform_builds_each_metric_from_the_json(module: Module) -> None:
    """One google_logging_metric per JSON entry: the resource clause AND the JSON filter, a
    DELTA INT64 count, the JSON's labels and extractors."""
    assert module.locals["log_metrics"] == (
        '${{for m in jsondecode(file("${path.module}/log_metrics.json")).metrics : m.name => m}}'
    )
    metric = module.resource("google_logging_metric", "this")
    assert metric["for_each"] == "${local.log_metrics}"
    assert metric["filter"] == "${local.function_logs_filter} AND (${each.value.filter})"
    assert metric["name"] == "${var.name_prefix}/${each.key}"
    descriptor = block(metric["metric_descriptor"])
    assert (descriptor["metric_kind"], descriptor["value_type"]) == ("DELTA", "INT64")
    assert metric["label_extractors"] == (
        "${{for k, label in each.value.labels : k => label.extractor}}"
    )
    clause = module.locals["function_logs_filter"]
    assert clause.startswith('resource.type="cloud_run_revision" AND ')
    services = module.locals["function_services"]
    assert "t.function_name" in services and "keys(local.hr_bridges)" in services


def _alerts(module: Module) -> dict[str, dict[str, Any]]:
    return {
        **{f"log_metric[{k}]": v for k, v in module.locals["log_metric_alerts"].items()},
        "dead_letters": module.resource("google_monitoring_alert_policy", "dead_letters"),
        "no_full_reconcile": module.resource("google_monitoring_alert_policy", "no_full_reconcile"),
    }


def test_alert_policies_cover_the_failure_modes(module: Module) -> None:
    """Dead letters, a held plan, 401/403, no full reconcile, a high 429 rate, a stalled run (and
    drops): each log alert watches a metric of the JSON, every policy notifies the configured
    channels."""
    alerts = module.locals["log_metric_alerts"]
    names = {m["name"] for m in METRICS}
    assert {a["metric"] for a in alerts.values()} >= {
        "plans_held",
        "chat_authorization_failures",
        "chat_rate_limited",
        "work_runs_stalled",
    }
    assert {a["metric"] for a in alerts.values()} <= names
    assert len(alerts) + 2 >= 5
    for name, policy in module.of_type("google_monitoring_alert_policy").items():
        assert policy["notification_channels"] == "${var.notification_channels}", name
        assert block(policy["documentation"])["content"], name
    rate = alerts["rate_limited"]
    assert rate["threshold"] == "${var.rate_limited_alert_threshold}"


def test_dead_letter_alert_watches_every_inspection_subscription(
    module: Module, pubsub_config: dict[str, Any]
) -> None:
    """Undelivered messages above zero in any <topic>-dlq-inspect subscription."""
    policy = module.resource("google_monitoring_alert_policy", "dead_letters")
    condition = block(block(policy["conditions"])["condition_threshold"])
    assert "pubsub.googleapis.com/subscription/num_undelivered_messages" in condition["filter"]
    assert '${join("|", local.dead_letter_subscriptions)}' in condition["filter"]
    assert (condition["comparison"], condition["threshold_value"]) == ("COMPARISON_GT", 0)
    assert module.locals["dead_letter_subscriptions"] == (
        "${[for t in values(local.topics) : t.dead_letter_pull]}"
    )
    assert len(pubsub_config["topics"]) == len(module.variables["functions"]["default"])


def test_no_full_reconcile_alert_is_an_absence_within_a_day(module: Module) -> None:
    """The full_reconciles metric absent for full_reconcile_max_gap, at most 23.5 h (Monitoring's
    longest absence window), so a missed day always fires."""
    policy = module.resource("google_monitoring_alert_policy", "no_full_reconcile")
    absent = block(block(policy["conditions"])["condition_absent"])
    assert absent["duration"] == "${var.full_reconcile_max_gap}"
    assert '${local.metric_type["full_reconciles"]}' in absent["filter"]
    gap = module.variables["full_reconcile_max_gap"]
    assert int(gap["default"].rstrip("s")) <= 24 * 3600
    assert any("<= 84600" in v["condition"] for v in blocks(gap["validation"]))


def test_dashboard_shows_every_metric_and_the_dead_letters(module: Module) -> None:
    """One tile per log metric (grouped by its labels) plus the dead-letter backlog."""
    tiles = module.locals["dashboard_tiles"]
    assert "for name in sort(keys(local.log_metrics))" in tiles
    assert "num_undelivered_messages" in tiles
    dashboard = module.resource("google_monitoring_dashboard", "chatsync")
    assert "local.dashboard_tiles" in dashboard["dashboard_json"]


def test_notification_channels_are_a_validated_list(module: Module) -> None:
    """A list of channel ids, empty by default, each checked for the id's shape."""
    variable = module.variables["notification_channels"]
    assert variable["type"] == "${list(string)}" or variable["type"] == "list(string)"
    assert variable["default"] == []
    assert "notificationChannels" in blocks(variable["validation"])[0]["condition"]


def test_docs_say_what_each_metric_and_alert_means_and_what_to_do(module: Module) -> None:
    """docs/observability.md has a section per metric and per alert, with what to do."""
    text = DOCS.read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### `([a-z_]+)`\n(.*?)(?=^### |\Z)", text, re.M | re.S))
    needed = {m["name"] for m in METRICS} | {"dead_letters"}
    assert needed <= set(sections), needed - set(sections)
    for name in needed:
        assert "What to do" in sections[name], name
    for alert in module.locals["log_metric_alerts"].values():
        assert alert["doc"] in sections


@pytest.mark.slow
def test_a_fresh_capture_from_the_current_code_still_matches(tmp_path: Path) -> None:
    """Run scripts/capture_logs.py now: every metric still counts exactly its lines, so the
    committed capture has not drifted from what the code logs. (Its stalled-run scenario runs
    the Pub/Sub emulator: gcloud and Java.)"""
    require_gcloud("the capture's Pub/Sub emulator")
    out = tmp_path / "fresh.jsonl"
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "capture_logs.py"), "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    fresh = read_rows(out)
    for metric in METRICS:
        check_metric(metric, fresh)
    assert {row["scenario"] for row in fresh} == {row["scenario"] for row in ROWS}
