"""Workspace Events subscriptions, seeds, and running the emulator as a process."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

SUBSCRIPTION = {
    "targetResource": "//chat.googleapis.com/spaces/AAAAeng",
    "eventTypes": ["google.workspace.chat.membership.v1.created"],
    "notificationEndpoint": {"pubsubTopic": "projects/p/topics/chat-events"},
    "payloadOptions": {"includeResource": True},
}


def expires_in(subscription: dict[str, Any]) -> float:
    moment = datetime.datetime.fromisoformat(subscription["expireTime"].replace("Z", "+00:00"))
    return (moment - datetime.datetime.now(datetime.UTC)).total_seconds()


def test_subscription_with_resource_expires_within_four_hours(workspaceevents: Any) -> None:
    """create answers a done Operation; with resource data the expiry is at most 4 h."""
    operation = workspaceevents().subscriptions().create(body=SUBSCRIPTION).execute()

    assert operation["done"] is True
    assert 4 * 3600 - 60 < expires_in(operation["response"]) <= 4 * 3600


def test_ttl_beyond_the_maximum_is_400(workspaceevents: Any, refused: Any) -> None:
    """A ttl above 4 h for a subscription with resource data is 400 (strict)."""
    refusal = refused(
        workspaceevents().subscriptions().create(body=SUBSCRIPTION | {"ttl": "86400s"})
    )

    assert refusal.status == "INVALID_ARGUMENT"


def test_renewal_by_ttl_patch_extends_expiry(workspaceevents: Any) -> None:
    """PATCH updateMask=ttl with ttl 0s renews to the maximum."""
    subs = workspaceevents().subscriptions()
    created = subs.create(body=SUBSCRIPTION | {"ttl": "60s"}).execute()["response"]

    renewed = subs.patch(name=created["name"], updateMask="ttl", body={"ttl": "0s"}).execute()

    assert expires_in(created) < 61
    assert expires_in(renewed["response"]) > 3 * 3600


def test_second_subscription_for_the_same_target_is_409(workspaceevents: Any, refused: Any) -> None:
    """One subscription per target per caller."""
    workspaceevents().subscriptions().create(body=SUBSCRIPTION).execute()

    assert refused(workspaceevents().subscriptions().create(body=SUBSCRIPTION)).http_status == 409


def test_events_route_to_matching_subscriptions(emu: Any, workspaceevents: Any) -> None:
    """With a subscription, its name is the ordering key; unsubscribed types are dropped."""
    sub = workspaceevents().subscriptions().create(body=SUBSCRIPTION).execute()["response"]
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add")
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "remove")  # not subscribed

    [message] = emu.events()
    assert message["orderingKey"] == f"//workspaceevents.googleapis.com/{sub['name']}"


def test_list_needs_an_event_types_filter(workspaceevents: Any, refused: Any) -> None:
    """subscriptions.list without event_types in the filter is 400."""
    workspaceevents().subscriptions().create(body=SUBSCRIPTION).execute()
    listed = (
        workspaceevents()
        .subscriptions()
        .list(filter='event_types:"google.workspace.chat.membership.v1.created"')
        .execute()
    )

    assert len(listed["subscriptions"]) == 1
    assert refused(workspaceevents().subscriptions().list(filter="")).http_status == 400


def test_deleted_subscription_is_gone(workspaceevents: Any, refused: Any) -> None:
    """After delete, get is 404."""
    subs = workspaceevents().subscriptions()
    name = subs.create(body=SUBSCRIPTION).execute()["response"]["name"]
    subs.delete(name=name).execute()

    assert refused(subs.get(name=name)).http_status == 404


def test_seed_without_ids_derives_stable_numeric_ids() -> None:
    """A user without an id gets the same 15-digit id on every load."""
    from workspace_emulator import seeding

    seed = {"directory": {"users": [{"email": "new.person@example.com"}]}}
    [first] = seeding.load(seed).people
    [second] = seeding.load(seed).people

    assert first == second
    assert first.isdigit() and len(first) == 15


def test_bad_seed_names_the_field() -> None:
    """A seed error starts with the path of the offending field."""
    from workspace_emulator import seeding

    with pytest.raises(seeding.SeedError, match=r"spaces\[0\]\.members\[0\]\.role"):
        seeding.load(
            {
                "directory": {"users": [{"email": "a@example.com"}]},
                "spaces": [
                    {"name": "spaces/S", "members": [{"user": "a@example.com", "role": "boss"}]}
                ],
            }
        )


def test_json_seed_files_load(tmp_path: Path) -> None:
    """A JSON seed file is read like YAML."""
    from workspace_emulator import seeding

    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"domains": ["corp.test"], "spaces": [{"name": "spaces/J"}]}))

    assert list(seeding.load(seeding.read(path)).spaces) == ["spaces/J"]


def test_module_serves_and_announces_its_url(tmp_path: Path) -> None:
    """python -m workspace_emulator prints the listening line, then serves."""
    seed = Path(__file__).resolve().parents[2] / "functions/workspace_emulator/seeds/minimal.yaml"
    process = subprocess.Popen(
        [sys.executable, "-m", "workspace_emulator", "--port", "0", "--seed", str(seed)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("workspace emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        with urllib.request.urlopen(url + "emulator/v1/state", timeout=5) as response:
            assert len(json.loads(response.read())["spaces"]) == 4
    finally:
        process.terminate()
        process.wait(5)
