"""Control endpoints (/emulator/v1/...) and Workspace Events emission (reference §11.4)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest


def data_of(message: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(message["data"]))  # type: ignore[no-any-return]


def test_state_lists_spaces_memberships_and_directory(raw: Any) -> None:
    """GET state has every space with memberships and counts, and the directory."""
    state = raw("GET", "emulator/v1/state").body

    eng = next(s for s in state["spaces"] if s["name"] == "spaces/AAAAeng")
    assert eng["createdBy"] == "app"
    assert eng["membershipCount"]["joinedDirectHumanUserCount"] == 2
    assert {u["email"] for u in state["directory"]["users"]} >= {"ana.silva@example.com"}
    assert {g["email"] for g in state["directory"]["groups"]} == {
        "eng-leads@example.com",
        "platform-core@example.com",
    }


def test_reset_with_a_body_loads_that_seed(raw: Any) -> None:
    """POST reset with a seed replaces the world; an empty body restores the original."""
    raw(
        "POST", "emulator/v1/reset", body={"spaces": [{"name": "spaces/ONLY", "display_name": "x"}]}
    )
    assert [s["name"] for s in raw("GET", "emulator/v1/state").body["spaces"]] == ["spaces/ONLY"]

    raw("POST", "emulator/v1/reset")

    assert len(raw("GET", "emulator/v1/state").body["spaces"]) == 4


def test_calls_log_every_api_call_with_since(raw: Any) -> None:
    """GET calls lists method, path, status and caller; ?since=N skips the first N."""
    raw("GET", "v1/spaces/AAAAeng/members")
    raw("GET", "v1/spaces/AAAAeng/members/nobody", token="user:raj.mehta@example.com")

    calls = raw("GET", "emulator/v1/calls").body
    later = raw("GET", "emulator/v1/calls?since=1").body

    assert [(c["method"], c["status"], c["caller"]) for c in calls] == [
        ("spaces.members.list", 200, "app"),
        ("spaces.members.get", 404, "user:raj.mehta@example.com"),
    ]
    assert later == calls[1:]


def test_manual_change_emits_a_created_event(raw: Any) -> None:
    """A manual add emits membership.v1.created with ce-* attributes and an ordering key."""
    change = raw(
        "POST",
        "emulator/v1/manual-change",
        body={"space": "spaces/AAAAeng", "user": "li.wei@example.com", "action": "add"},
    )
    [message] = raw("GET", "emulator/v1/events").body

    assert change.body["membership"]["name"] == "spaces/AAAAeng/members/100000000003"
    attributes = message["attributes"]
    assert attributes["ce-type"] == "google.workspace.chat.membership.v1.created"
    assert attributes["ce-subject"] == "//chat.googleapis.com/spaces/AAAAeng"
    assert attributes["ce-specversion"] == "1.0"
    assert attributes["ce-id"].startswith("spaces/AAAAeng/spaceEvents/")
    assert message["orderingKey"] == attributes["ce-source"]
    assert message["orderingKey"].startswith("//workspaceevents.googleapis.com/subscriptions/")
    assert data_of(message)["membership"]["member"]["name"] == "users/100000000003"


def test_deleted_events_carry_only_name_and_state(emu: Any) -> None:
    """A removal's payload is {name, state: NOT_A_MEMBER} and nothing else."""
    emu.manual_change("spaces/AAAAeng", "ana.silva@example.com", "remove")
    [message] = emu.events()

    assert message["attributes"]["ce-type"] == "google.workspace.chat.membership.v1.deleted"
    assert data_of(message) == {
        "membership": {"name": "spaces/AAAAeng/members/100000000001", "state": "NOT_A_MEMBER"}
    }


def test_role_changes_emit_updated_events(emu: Any) -> None:
    """A manual role change emits membership.v1.updated with the new role."""
    emu.manual_change("spaces/AAAAeng", "ana.silva@example.com", "role", "owner")
    [message] = emu.events()

    assert message["attributes"]["ce-type"] == "google.workspace.chat.membership.v1.updated"
    assert data_of(message)["membership"]["role"] == "ROLE_MANAGER"


def test_api_writes_emit_events_unless_switched_off(emu: Any, chat: Any) -> None:
    """API writes emit events by default; emit_for_api_writes=False keeps only manual ones."""
    members = chat().spaces().members()
    members.create(
        parent="spaces/AAAAeng", body={"member": {"name": "users/100000000003"}}
    ).execute()
    assert len(emu.events()) == 1

    emu.configure_events(emit_for_api_writes=False)
    members.delete(name="spaces/AAAAeng/members/100000000003").execute()

    assert len(emu.events()) == 1


def test_group_derived_access_emits_no_per_user_event(emu: Any, chat: Any) -> None:
    """Adding a group emits one event for the group membership, none for its members."""
    chat("user:raj.mehta@example.com").spaces().members().create(
        parent="spaces/AAAAeng", body={"groupMember": {"name": "groups/g-eng-leads"}}
    ).execute()

    assert [data_of(m)["membership"]["name"] for m in emu.events()] == [
        "spaces/AAAAeng/members/g-eng-leads"
    ]


def test_manual_change_cannot_remove_the_sole_owner(raw: Any) -> None:
    """The Chat UI refuses to remove the only Owner too: 400 FAILED_PRECONDITION."""
    answer = raw(
        "POST",
        "emulator/v1/manual-change",
        body={"space": "spaces/AAAAeng", "user": "raj.mehta@example.com", "action": "remove"},
    )

    assert (answer.status, answer.body["error"]["status"]) == (400, "FAILED_PRECONDITION")


@pytest.fixture
def push_sink() -> Iterator[tuple[str, list[dict[str, Any]], threading.Event]]:
    received: list[dict[str, Any]] = []
    arrived = threading.Event()

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()
            arrived.set()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/push", received, arrived
    server.shutdown()
    server.server_close()


def test_push_url_receives_a_pubsub_push_body(emu: Any, push_sink: Any) -> None:
    """With push_url set, each event is POSTed as {message, subscription}."""
    url, received, arrived = push_sink
    emu.configure_events(push_url=url)
    emu.manual_change("spaces/AAAAeng", "li.wei@example.com", "add")

    assert arrived.wait(5)
    assert received[0]["subscription"] == "projects/emulator/subscriptions/workspace-events"
    assert received[0]["message"] == emu.events()[0]


def test_config_endpoint_sets_and_reports_knobs(raw: Any) -> None:
    """POST config changes time_scale, quotas and sinks; the answer is the new config."""
    answer = raw("POST", "emulator/v1/config", body={"time_scale": 60, "quotas": False})
    raw("POST", "emulator/v1/config", body={"time_scale": 1, "quotas": True})

    assert answer.body.pop("now").endswith("Z")
    assert answer.body == {
        "pubsub_topic": None,
        "push_url": None,
        "emit_for_api_writes": True,
        "coalesce": False,
        "batch_window": 0.25,
        "time_scale": 60.0,
        "quotas": False,
        "latency_ms": 0.0,
        "retry_hints": True,
    }
