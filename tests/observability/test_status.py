"""``chatsync status``: what ran, what waits for an admin, what was dropped, whether drift
subscriptions and the admin space work, and how many messages wait in the dead letters."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.observability.conftest import ADMIN, PLATFORM, STORY, handle_drift, story_event
from tests.pubsub.conftest import pubsub  # noqa: F401  (the session's Pub/Sub emulator)

from chatsync.adapters import pubsub as publishing
from chatsync.domain import events, messages

pytestmark = pytest.mark.observability


@pytest.fixture
def deployment(
    chatsync_env: dict[str, str], emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """The function's own pipeline (``main.pipeline()``) on the test's state file, with the
    admin space, drift in report mode and the Workspace Events API on the emulator."""
    import main

    for key, value in {
        "CHATSYNC_ADMIN_SPACE": ADMIN,
        "CHATSYNC_DRIFT_MODE": "report",
        "CHATSYNC_EVENTS_ENDPOINT": emulator.url,
        "CHATSYNC_LOG_FORMAT": "text",
    }.items():
        monkeypatch.setenv(key, value)
    main.pipeline.cache_clear()
    yield main
    main.pipeline.cache_clear()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """``chatsync ARGS...`` in process: (exit code, stdout)."""
    from chatsync.tools.cli import main

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(list(args))
        return code, capsys.readouterr().out

    return run


def history(main: Any, emulator: Any, hold_lisbon: Any) -> dict[str, Any]:
    """A day of the demo org: a full reconcile, a held plan, reported drift, a malformed message
    (through functions-framework). Returns what each left, to compare with the status."""
    import functions_framework

    pipeline = main.pipeline()
    tick = story_event("11-reconcile.json")
    pipeline.handle(tick)
    held = hold_lisbon(pipeline).extra["held"]
    since = len(emulator.events())
    emulator.manual_change(PLATFORM, "dev.patel@example.com", "add")
    handle_drift(pipeline, emulator, since)
    (malformed,) = messages.load([STORY / "09-malformed.json"])
    app = functions_framework.create_app("on_hr_event", str(main.__file__), "cloudevent")
    headers, body = malformed.cloud_event()
    assert app.test_client().post("/", headers=headers, data=json.dumps(body)).status_code == 200
    return {"held": held, "dropped": malformed.message_id, "reconcile": tick.meta.event_id}


def test_status_text_shows_runs_held_plans_dropped_drift_and_the_admin_space(
    deployment: Any, emulator: Any, hold_lisbon: Any, cli: Any
) -> None:
    """Each section names what an admin acts on, with the command to do it."""
    left = history(deployment, emulator, hold_lisbon)

    code, out = cli("status")

    assert code == 0
    applied = len(deployment.pipeline().store.audit(run=left["reconcile"]))
    assert applied >= 1, "the reconcile removes the suspended old.timer from Sales"
    assert f"{left['reconcile']}  reconcile  completed: {applied} applied" in out
    assert "Held plans: 1 waiting, 0 approved" in out
    assert f"approve: chatsync approve {left['held']}" in out
    assert f"{left['dropped']}  on_hr_event  InvalidEvent:" in out
    assert f"{PLATFORM}  dev.patel@example.com (created)" in out
    assert f"Admin space: {ADMIN} (chatsync admins): the Chat app can post there" in out
    assert "2 message(s) posted" in out  # the held plan and the reported drift
    assert "Dead letters: not counted (give --project)" in out


def test_status_json_reports_subscription_health_per_managed_space(
    deployment: Any, emulator: Any, hold_lisbon: Any, cli: Any
) -> None:
    """Before the renew tick every drift subscription is missing; after it, active."""
    left = history(deployment, emulator, hold_lisbon)
    _, before = cli("status", "--json")
    data = base64.b64encode(json.dumps({"kind": "renew_subscriptions"}).encode()).decode()
    (renew,) = events.decode_message(
        {"data": data, "attributes": {}, "messageId": "renew-1"}, message_id="renew-1"
    )
    deployment.pipeline().handle(renew)

    _, after = cli("status", "--json")

    first, second = json.loads(before), json.loads(after)
    managed = {s.name for s in deployment.pipeline().ruleset.spaces}
    assert {s["space"] for s in first["subscriptions"]} == managed
    assert {s["state"] for s in first["subscriptions"]} == {"missing"}
    assert {s["state"] for s in second["subscriptions"]} == {"active"}
    assert all(s["expires_at"] for s in second["subscriptions"])
    assert [p["plan_id"] for p in second["held_plans"]] == [left["held"]]
    assert [d["message_id"] for d in second["dropped"]] == [left["dropped"]]
    assert second["admin_space"]["reachable"] is True
    assert second["runs"][0]["run_id"] == left["reconcile"]
    assert second["dead_letters"] is None


def test_status_says_when_the_app_cannot_post_in_the_admin_space(
    deployment: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An admin space the Chat app is not in: status says so (what doctor checks too)."""
    monkeypatch.setenv("CHATSYNC_ADMIN_SPACE", "spaces/AAAAsocial")

    _, out = cli("status", "--json")

    admin = json.loads(out)["admin_space"]
    assert admin["space"] == "spaces/AAAAsocial" and admin["reachable"] is False
    assert "404" in admin["detail"]


@pytest.mark.pubsub
def test_status_counts_dead_letters_without_consuming_them(
    deployment: Any,
    pubsub: Any,  # noqa: F811
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two messages on the HR dead-letter topic: status counts 2, twice; they are still there."""
    pubsub.create_subscriptions({})
    hr = pubsub.stream("hr")
    batch = messages.load([STORY / "01-hire.json", STORY / "07-termination.json"])
    publishing.publish(
        batch,
        project=pubsub.project,
        topics={"hr": hr.dead_letter_topic},
        emulator_host=pubsub.host,
    )
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub.host)

    _, first = cli("status", "--project", pubsub.project, "--json", "--offline")
    _, second = cli("status", "--project", pubsub.project, "--json", "--offline")

    depth = json.loads(first)["dead_letters"]
    assert depth == json.loads(second)["dead_letters"]
    assert depth == {
        s.dead_letter_subscription: (len(batch) if s.key == "hr" else 0) for s in pubsub.streams
    }
    assert len(pubsub.pull(hr.dead_letter_subscription)) == len(batch)
