"""Snapshots: the survey runs on them as on the tenant, they refuse writes, they round-trip, and
the full reconcile publishes one to a bucket (or a file) after it ran."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import build_app
from tests.reconcile.conftest import rosters
from tests.rules_ci.conftest import NARROW_ENGINEERING, FakeBucket, edited_rules

from chatsync.adapters import snapshot as files
from chatsync.app import capturing, reconciling
from chatsync.domain import errors, snapshot_codec
from chatsync.domain.model import Email, Role, SpaceName
from chatsync.runtime import build_offline

pytestmark = pytest.mark.rules_ci

PLATFORM = SpaceName("spaces/AAAAplatform")
SALES = "spaces/AAAAsales"
URI = "gs://chatsync-review/snapshots/latest.json"


def take(app: Any, tmp_path: Path) -> Path:
    """Capture every space ``app``'s rules manage and write it to a file."""
    snapshot = capturing.capture(
        app.deps(),
        [s.name for s in app.ruleset.spaces],
        source="test",
        rules=app.ruleset.source,
        log=app.log,
    )
    path = tmp_path / "snapshot.json"
    files.write(path, snapshot)
    return path


def test_the_survey_on_a_snapshot_decides_and_plans_as_on_the_emulator(
    emulator: Any, tmp_path: Path
) -> None:
    """With drift in the emulator and changed rules, the full reconcile's survey over the
    snapshot ports gives the same decisions, rosters and plan as over the live ports (people
    may come in another order: the snapshot sorts them)."""
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    emulator.manual_change(PLATFORM, "tom.berg@example.com", "role", "manager")
    emulator.manual_change(PLATFORM, "eva.lund@example.com", "remove")
    live = build_app(emulator.url, rules_file=edited_rules(tmp_path, NARROW_ENGINEERING))
    path = take(live, tmp_path)
    offline = build_offline(files.read(path), live.ruleset, origin=str(path), log=live.log)

    expected = reconciling.survey(live.deps(), log=live.log)
    found = reconciling.survey(offline.deps(), log=offline.log)

    assert found.plan == expected.plan
    assert set(found.decisions) == set(expected.decisions)
    assert found.current == expected.current
    assert len(expected.plan.operations) > 3


def test_the_snapshot_ports_refuse_every_write(emulator: Any, tmp_path: Path) -> None:
    """Add, set_role and remove raise ReadOnlySnapshot naming the file; reads still answer."""
    app = build_app(emulator.url)
    path = take(app, tmp_path)
    chat = build_offline(files.read(path), app.ruleset, origin=str(path), log=app.log).chat
    member = chat.get_member(PLATFORM, Email("tom.berg@example.com"))
    assert member is not None

    attempts = (
        lambda: chat.add_member(PLATFORM, Email("new.person@example.com")),
        lambda: chat.set_role(member, Role.OWNER),
        lambda: chat.remove_member(member),
    )
    for attempt in attempts:
        with pytest.raises(errors.ReadOnlySnapshot, match=str(path)):
            attempt()
    assert chat.list_members(PLATFORM)


def test_a_snapshot_file_reads_back_to_the_same_document(emulator: Any, tmp_path: Path) -> None:
    """Write, read and write again: the same bytes, sorted; people and roles survive intact."""
    path = take(build_app(emulator.url), tmp_path)
    again = tmp_path / "again.json"

    snapshot = files.read(path)
    files.write(again, snapshot)

    assert again.read_text() == path.read_text()
    document = json.loads(path.read_text())
    assert document["format"] == "chatsync.snapshot" and document["version"] == 1
    emails = [p["email"] for p in document["people"]]
    assert emails == sorted(emails)
    assert {
        m["email"] for m in next(s for s in document["spaces"] if s["name"] == SALES)["members"]
    } == set(rosters(emulator)[SALES])


def test_the_reconcile_publishes_its_rosters_after_its_changes_to_the_bucket(
    emulator: Any, bucket: FakeBucket
) -> None:
    """One simple upload to the object named by CHATSYNC_SNAPSHOT_URI, with the runtime's
    token; the suspended member the run removed is no longer in the published roster."""
    app = build_app(emulator.url, snapshot_uri=URI, storage_endpoint=bucket.url)

    report = app.reconcile_all(run_id="run-1", log=app.log)

    assert [r.op.email for r in report.results] == ["old.timer@example.com"]
    [upload] = bucket.uploads
    assert upload["path"] == "/upload/storage/v1/b/chatsync-review/o"
    assert upload["query"] == {"uploadType": ["media"], "name": ["snapshots/latest.json"]}
    assert upload["authorization"] == "Bearer app"
    assert upload["content_type"] == "application/json"
    published = snapshot_codec.from_json(json.loads(upload["body"]), file=URI)
    assert published.source == "reconcile run-1"
    live = rosters(emulator)
    for name, roster in published.spaces.items():
        assert {m.email for m in roster.members or ()} == set(live[name]), name
    assert "old.timer@example.com" not in live[SALES]


def test_a_bucket_that_refuses_is_logged_and_the_reconcile_still_applies(
    emulator: Any, bucket: FakeBucket
) -> None:
    """403: an ERROR naming the setting and the role to grant; the run's change is made."""
    records: list[dict[str, Any]] = []
    bucket.statuses = [403]
    app = build_app(emulator.url, snapshot_uri=URI, storage_endpoint=bucket.url, records=records)

    report = app.reconcile_all(run_id="run-2", log=app.log)

    assert report.results and "old.timer@example.com" not in rosters(emulator)[SALES]
    [failure] = [r for r in records if r["message"].startswith("snapshot not published")]
    assert failure["severity"] == "ERROR"
    assert "CHATSYNC_SNAPSHOT_URI" in failure["error"]
    assert "roles/storage.objectUser" in failure["error"]
    assert len(bucket.uploads) == 1


def test_an_unavailable_bucket_is_tried_again(emulator: Any, bucket: FakeBucket) -> None:
    """503 then 200: the snapshot lands on the second attempt."""
    bucket.statuses = [503]
    app = build_app(emulator.url, snapshot_uri=URI, storage_endpoint=bucket.url)
    app.sleep = lambda seconds: None

    app.reconcile_all(run_id="run-3", log=app.log)

    assert [u["status"] for u in bucket.uploads] == [503, 200]
    assert len(bucket.documents()) == 1


def test_a_local_path_receives_the_same_snapshot_a_plan_reads(
    emulator: Any, tmp_path: Path
) -> None:
    """CHATSYNC_SNAPSHOT_URI as a file path: the reconcile writes it, and it loads."""
    target = tmp_path / "review" / "latest.json"
    app = build_app(emulator.url, snapshot_uri=str(target))

    app.reconcile_all(run_id="run-4", log=app.log)

    assert files.read(target).source == "reconcile run-4"


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("https://storage.googleapis.com/b/x.json", "neither gs://bucket/path.json"),
        ("gs://Not_A_Bucket/x.json", "is not a Cloud Storage object"),
        ("gs://chatsync-review", "is not a Cloud Storage object"),
    ],
)
def test_a_snapshot_uri_that_is_not_an_object_is_refused_naming_the_variable(
    uri: str, problem: str
) -> None:
    """A bad CHATSYNC_SNAPSHOT_URI fails at start, naming the variable and the expected form."""
    with pytest.raises(errors.ConfigError, match=f"CHATSYNC_SNAPSHOT_URI={uri!r}.*{problem}"):
        build_app("http://127.0.0.1:9/", snapshot_uri=uri)


def test_the_rules_used_for_a_snapshot_are_the_ones_named_in_it(
    emulator: Any, tmp_path: Path
) -> None:
    """The snapshot records which rules chose its spaces, and holds exactly those spaces."""
    app = build_app(emulator.url)

    snapshot = files.read(take(app, tmp_path))

    assert snapshot.rules == app.ruleset.source == "rules.yaml"
    assert set(snapshot.spaces) == {s.name for s in app.ruleset.spaces}
