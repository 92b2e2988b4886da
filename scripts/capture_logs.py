"""Capture the JSON log lines the functions write, from real runs, for the log-metric tests.

Writes ``tests/terraform/data/captured-logs.jsonl``: one JSON object per log line, as
``{"scenario": ..., "entry_point": ..., "line": {<the record the function printed>}}``. The
Terraform log-based metrics (``terraform/log_metrics.json``) are evaluated against these lines
by ``tests/terraform/test_observability.py``, so each filter is checked against what the code
really logs, not against what someone believes it logs.

Every line comes from the four functions served by functions-framework on 127.0.0.1 (the same
processes ``chatsync demo`` starts), talking to the Workspace emulator:

1. ``demo``: ``chatsync demo`` itself, unchanged (hire, transfer, promotion, groups, termination,
   duplicate, malformed message, late event, full reconcile).
2. Scenarios the demo's story does not reach, on a fresh emulator with the demo's org:
   drift reverted and drift reported (a manual change in a managed space, delivered as the
   Workspace Event the emulator emits), Chat answering 429 until the retries run out, Chat
   answering 403, a malformed message (dropped), and a full reconcile whose plan exceeds a
   safety limit and is held. Each waits for the delivery's last line (``event handled``,
   ``event dropped`` or ``event will be redelivered``), so no line is lost to timing.
3. ``work-run-stalled``: the functions publish work items to the gcloud Pub/Sub emulator
   (``scripts/local_pubsub.py``, chatsync's topics and dead-letter subscriptions, and no push
   subscription on the work topic, so no item is ever delivered), with
   ``CHATSYNC_STALL_MINUTES`` of about a second and the demo's admin space. A full reconcile
   tick fans its changes out; a second tick after the stall window finds the run stalled (the
   ``work run stalled`` ERROR line, the notice posted to the admin space), supersedes it and
   fans out again. This one needs gcloud and Java, as the Pub/Sub tests do.

    .venv/bin/python scripts/capture_logs.py            # rewrite the file (about 30 s)
    .venv/bin/python scripts/capture_logs.py --out F    # elsewhere

Timestamps and message ids differ on every run; the test reads only fields and values.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "terraform" / "data" / "captured-logs.jsonl"
PLATFORM = "spaces/AAAAplatform"
SALES = "spaces/AAAAsales"
PROJECT = "chatsync-local"
STALL_MINUTES = 0.02
"""The stall scenario's CHATSYNC_STALL_MINUTES: 1.2 s without progress is a stalled run."""


class Capture:
    """Every record the function processes print, tagged with the scenario and entry point."""

    def __init__(self) -> None:
        self.scenario = ""
        self.rows: list[dict[str, Any]] = []

    def add(self, entry_point: str, records: list[dict[str, Any]]) -> None:
        for record in records:
            if record.get("raw"):
                continue  # not a JSON line (functions-framework's own start-up text)
            self.rows.append(
                {"scenario": self.scenario, "entry_point": entry_point, "line": record}
            )


@contextmanager
def tapped(capture: Capture) -> Iterator[None]:
    """Record whatever ``FunctionProcess.drain`` hands the demo (all the lines it reads)."""
    from chatsync.tools import demo

    original = demo.FunctionProcess.drain

    def drain(self: Any) -> list[dict[str, Any]]:
        records = original(self)
        capture.add(self.target, records)
        return records

    demo.FunctionProcess.drain = drain  # type: ignore[method-assign]
    try:
        yield
    finally:
        demo.FunctionProcess.drain = original  # type: ignore[method-assign]


def run_demo(capture: Capture) -> None:
    from chatsync.tools import demo

    capture.scenario = "demo"
    with tapped(capture):
        status = demo.run_demo(out=io.StringIO())
    if status != 0:
        raise SystemExit(f"chatsync demo exited {status}: the capture would not be a real run")


FINAL_LINES = (
    "event handled",
    "event dropped: permanent error, acked without retry",
    "event will be redelivered",
)
"""What functions/main.py logs last for a delivery: wait for one before the next scenario."""


def _post(procs: dict[str, Any], message: Any, *, timeout: float = 30.0) -> int:
    """Deliver ``message`` and keep reading its function's lines until the delivery's last one."""
    import time

    from chatsync.tools import demo

    proc = procs[message.entry_point]
    headers, body = message.cloud_event()
    status = demo._post(proc.url, headers, body)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(r.get("message") in FINAL_LINES for r in proc.drain()):
            return status
    raise SystemExit(f"{message.entry_point} logged no final line within {timeout:.0f}s")


def _job_change(email: str, event_id: str, department: str = "Platform") -> Any:
    """An HR job change moving someone of the demo org to ``department``, as the bridge sends
    it: chatsync adds them to that department's space (the write the scenario makes fail)."""
    from chatsync.domain import messages

    hr_id = "hr-" + email.partition("@")[0]
    data: dict[str, Any] = {
        "schema": "dirsync.hr.v1",
        "event_id": event_id,
        "event_type": "person.job_changed",
        "occurred_at": "2026-11-20T09:00:00Z",
        "effective_at": "2026-11-20",
        "emitted_at": "2026-11-20T09:00:00Z",
        "source": {"system": "bamboohr", "tenant": "acme", "event_id": "src-" + event_id},
        "subject": {"hr_id": hr_id, "work_email": email},
        "person": {
            "employment_status": "active",
            "department": department,
            "title": "Engineer",
            "org_unit_path": "/Engineering/" + department,
        },
    }
    attributes = {
        "schema": "dirsync.hr.v1",
        "event_type": "person.job_changed",
        "source_system": "bamboohr",
        "subject_id": hr_id,
    }
    return messages.TestMessage(
        origin="capture",
        topic="hr",
        data=json.dumps(data).encode(),
        attributes=attributes,
        message_id=event_id,
        ordering_key=email,
    )


def _chat_events(emu: Any, since: int) -> list[Any]:
    """The Workspace Events the emulator emitted since ``since``, as Pub/Sub test messages."""
    from chatsync.domain import messages

    out = []
    for pushed in emu.events()[since:]:
        out.append(
            messages.TestMessage(
                origin="capture",
                topic="chat",
                data=base64.b64decode(pushed["data"]),
                attributes=dict(pushed.get("attributes") or {}),
                message_id=str(pushed["messageId"]),
            )
        )
    return out


def _tick(event_id: str) -> Any:
    from chatsync.domain import messages

    return messages.TestMessage(
        origin="capture",
        topic="reconcile",
        data=json.dumps({"kind": "reconcile"}).encode(),
        attributes={"kind": "reconcile"},
        message_id=event_id,
    )


def _environment(emu: Any, tmp: str, **overrides: str) -> dict[str, str]:
    from chatsync.tools import demo

    return {
        **os.environ,
        "CHATSYNC_CHAT_ENDPOINT": emu.url,
        "CHATSYNC_DIRECTORY_ENDPOINT": emu.url,
        "CHATSYNC_ACCESS_TOKEN": "app",
        "CHATSYNC_RULES_FILE": str(demo.DEMO_RULES),
        "CHATSYNC_STATE_BACKEND": "sqlite",
        "CHATSYNC_STATE_PATH": str(Path(tmp) / "state.sqlite3"),
        "CHATSYNC_LOG_FORMAT": "json",
        "CHATSYNC_MAX_ATTEMPTS": "2",
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }


def run_scenarios(capture: Capture) -> None:
    from chatsync.tools import demo
    from workspace_emulator.server import EmulatorServer

    with tempfile.TemporaryDirectory(prefix="chatsync-capture-") as tmp:
        with (
            EmulatorServer(demo.DEMO_SEED) as emu,
            tapped(capture),
            demo.functions(_environment(emu, tmp)) as procs,
        ):
            _revert_mode_scenarios(capture, emu, procs)
        report = {"CHATSYNC_DRIFT_MODE": "report", "CHATSYNC_STATE_PATH": f"{tmp}/report.sqlite3"}
        with (
            EmulatorServer(demo.DEMO_SEED) as emu,
            tapped(capture),
            demo.functions(_environment(emu, tmp, **report)) as procs,
        ):
            capture.scenario = "drift-reported"
            _manual_add(emu, procs)


def _local_pubsub() -> Any:
    """``scripts/local_pubsub.py``, loaded by path (this script may run from anywhere)."""
    spec = importlib.util.spec_from_file_location(
        "local_pubsub", REPO / "scripts" / "local_pubsub.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["local_pubsub"] = module
    spec.loader.exec_module(module)
    return module


def run_stall_scenario(capture: Capture) -> None:
    """A fanned-out full reconcile whose items are never delivered, found stalled by the next
    tick: the work topic exists on the Pub/Sub emulator but has no push subscription."""
    from chatsync.domain import messages
    from chatsync.tools import demo
    from workspace_emulator.server import EmulatorServer

    local_pubsub = _local_pubsub()
    with (
        tempfile.TemporaryDirectory(prefix="chatsync-capture-") as tmp,
        local_pubsub.PubsubEmulator(project=PROJECT) as pubsub,
    ):
        pubsub.create_all({})  # topics and dead-letter subscriptions; nothing pushes
        stall = {
            "CHATSYNC_WORK_TOPIC": f"projects/{PROJECT}/topics/{messages.DEFAULT_TOPICS['work']}",
            "PUBSUB_EMULATOR_HOST": pubsub.host,
            "CHATSYNC_STALL_MINUTES": str(STALL_MINUTES),
            "CHATSYNC_ADMIN_SPACE": demo.ADMIN_SPACE,
        }
        with (
            EmulatorServer(demo.DEMO_SEED) as emu,
            tapped(capture),
            demo.functions(_environment(emu, tmp, **stall)) as procs,
        ):
            capture.scenario = "work-run-stalled"
            _post(procs, _tick("capture-stall-tick-1"))
            time.sleep(STALL_MINUTES * 60 + 0.5)
            _post(procs, _tick("capture-stall-tick-2"))
            if not emu.messages(demo.ADMIN_SPACE):
                raise SystemExit("the stalled run was not posted to the admin space")


def _manual_add(emu: Any, procs: dict[str, Any]) -> None:
    """Someone adds a person to a managed space by hand; the Workspace Event reaches chatsync."""
    since = len(emu.events())
    emu.manual_change(PLATFORM, "dev.patel@example.com", "add")
    for message in _chat_events(emu, since):
        _post(procs, message)


def _revert_mode_scenarios(capture: Capture, emu: Any, procs: dict[str, Any]) -> None:
    from chatsync.domain import messages
    from chatsync.tools import demo

    capture.scenario = "drift-reverted"
    _manual_add(emu, procs)

    capture.scenario = "rate-limited"
    emu.fail_next("spaces.members.create", 8, status=429, retry_after=0.05)
    _post(procs, _job_change("ben.kraus@example.com", "capture-429"))
    emu.clear_faults()

    capture.scenario = "permission-denied"
    emu.fail_next("spaces.members.create", 2, status=403)
    _post(procs, _job_change("clara.diaz@example.com", "capture-403"))
    emu.clear_faults()

    capture.scenario = "malformed"
    (malformed,) = messages.load([demo.DEMO_STORY / "09-malformed.json"])
    _post(procs, malformed)

    capture.scenario = "plan-held"
    for email in _sales_people(emu):
        emu.directory_update_user(email, {"employment_status": "terminated"})
    _post(procs, _tick("capture-held-tick"))


def _sales_people(emu: Any) -> list[str]:
    """Every member of the Sales space but its owners: terminating them all trips the limits."""
    for space in emu.state().get("spaces", []):
        if space.get("name") == SALES:
            return sorted(
                str(m["email"])
                for m in space.get("memberships", [])
                if m.get("email") and m.get("role") == "ROLE_MEMBER"
            )
    raise SystemExit(f"{SALES} is not in the demo org any more: update this script")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    capture = Capture()
    run_demo(capture)
    run_scenarios(capture)
    run_stall_scenario(capture)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for row in capture.rows:
            handle.write(json.dumps(row, sort_keys=True) + "\n")
    scenarios = sorted({row["scenario"] for row in capture.rows})
    print(f"{len(capture.rows)} log lines from {', '.join(scenarios)} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
