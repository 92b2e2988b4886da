"""The adapters behind the ports: every BridgeStore keeps the same promises (memory, JSON file,
Firestore on the gcloud emulator); the Pub/Sub publisher routes and keys events; the HTTP entry
points in functions/main.py serve the same apps."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.hr_sources.conftest import TOKEN, entra_user

pytestmark = pytest.mark.hr_sources


def _resource(kind: str, rid: str, created: str, **keys: str) -> Any:
    from chatsync.app.bridges.ports import StoredResource

    return StoredResource(
        kind=kind,  # type: ignore[arg-type]
        id=rid,
        body={"id": rid, "meta": {"resourceType": kind}},
        version=1,
        created=created,
        last_modified=created,
        keys=keys,
    )


@pytest.fixture(params=["memory", "file", pytest.param("firestore", marks=pytest.mark.firestore)])
def any_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    from chatsync.adapters.bridges.file_store import JsonFileBridgeStore
    from chatsync.adapters.bridges.memory_store import MemoryBridgeStore

    if request.param == "memory":
        yield MemoryBridgeStore()
    elif request.param == "file":
        yield JsonFileBridgeStore(tmp_path / "state.json")
    else:
        from chatsync.adapters.bridges.firestore_store import FirestoreBridgeStore

        host = request.getfixturevalue("firestore_host")
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", host)
        yield FirestoreBridgeStore(project="chatsync-test", prefix=f"b{uuid.uuid4().hex[:8]}")


def test_bridge_store_contract(any_store: Any) -> None:
    """Resources by kind and id, equality lookups on keys, creation order, deletes;
    announced records and idempotency keys round-trip."""
    from chatsync.app.bridges.ports import Announced

    store = any_store
    store.put_resource(
        _resource("User", "u1", "2026-11-18T10:00:00Z", userName="ana@x.com", manager="u/2")
    )
    store.put_resource(_resource("User", "u/2", "2026-11-18T10:00:01Z", userName="bob@x.com"))
    store.put_resource(_resource("Group", "g1", "2026-11-18T10:00:02Z", displayName="eng"))
    store.put_resource(
        _resource("User", "u1", "2026-11-18T10:00:00Z", userName="ana@x.com", manager="u/2")
    )  # an update keeps its place
    assert [r.id for r in store.list_resources("User")] == ["u1", "u/2"]
    assert [r.id for r in store.find_resources("User", "manager", "u/2")] == ["u1"]
    assert store.find_resources("User", "userName", "nobody@x.com") == []
    assert store.get_resource("Group", "u1") is None
    assert store.get_resource("User", "u/2").keys["userName"] == "bob@x.com"
    store.delete_resource("User", "u/2")
    assert store.get_resource("User", "u/2") is None

    assert store.get_announced("scim:person:u1") is None
    store.put_announced(Announced("scim:person:u1", 3, {"work_email": "ana@x.com"}))
    assert store.get_announced("scim:person:u1") == Announced(
        "scim:person:u1", 3, {"work_email": "ana@x.com"}
    )
    assert not store.was_published("e1")
    store.mark_published("e1", 1.0)
    assert store.was_published("e1")


def test_file_store_survives_a_restart(tmp_path: Path) -> None:
    """What one process stored, the next one reads (``chatsync scim serve --state``)."""
    from chatsync.adapters.bridges.file_store import JsonFileBridgeStore

    first = JsonFileBridgeStore(tmp_path / "state.json")
    first.put_resource(_resource("User", "u1", "2026-11-18T10:00:00Z", userName="ana@x.com"))
    first.mark_published("e1", 1.0)
    second = JsonFileBridgeStore(tmp_path / "state.json")
    assert second.get_resource("User", "u1") == first.get_resource("User", "u1")
    assert second.was_published("e1")


class FakePublisherClient:
    """The slice of google-cloud-pubsub's PublisherClient the adapter uses."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, bytes, str, dict[str, str]]] = []
        self.resumed: list[tuple[str, str]] = []
        self.fail = fail

    def topic_path(self, project: str, topic: str) -> str:
        return f"projects/{project}/topics/{topic}"

    def publish(self, topic: str, data: bytes, *, ordering_key: str, **attributes: str) -> Any:
        self.sent.append((topic, data, ordering_key, attributes))
        fail = self.fail

        class Future:
            def result(self, timeout: float) -> str:
                if fail:
                    raise TimeoutError("no answer")
                return "1"

        return Future()

    def resume_publish(self, topic: str, ordering_key: str) -> None:
        self.resumed.append((topic, ordering_key))


def _event(event_type: str) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "event_id": "x",
        "source": {"system": "scim"},
        "subject": {"person_id": "p1", "work_email": "ana@example.com"},
    }


def test_pubsub_publisher_routes_by_event_type_with_the_ordering_key() -> None:
    """person.* to the HR topic, group.* to the group topic (terraform/pubsub.json), each with
    the dirsync.hr.v1 attributes and the ordering key it is given (hr_messages.ordering_key)."""
    from chatsync.adapters import pubsub as publishing
    from chatsync.adapters.bridges.pubsub_publisher import PubSubPublisher

    client = FakePublisherClient()
    publisher = PubSubPublisher(project="p", topics=publishing.topic_names(), client=client)
    publisher.publish(_event("person.hired"), ordering_key="p1")
    publisher.publish(_event("group.member_added"), ordering_key="p1")
    topics = [sent[0] for sent in client.sent]
    names = publishing.topic_names()
    assert topics == [f"projects/p/topics/{names['hr']}", f"projects/p/topics/{names['group']}"]
    assert client.sent[0][2] == "p1"
    assert client.sent[0][3] == {
        "schema": "dirsync.hr.v1",
        "event_type": "person.hired",
        "source_system": "scim",
        "subject_id": "p1",
    }
    assert json.loads(client.sent[0][1])["event_type"] == "person.hired"


def test_pubsub_publish_failure_raises_and_resumes_the_key() -> None:
    """A failed publish raises (so the request is a 5xx and retried) and resumes its ordering
    key, without which every later event of that person would fail too."""
    from chatsync.adapters.bridges.pubsub_publisher import PubSubPublisher

    client = FakePublisherClient(fail=True)
    publisher = PubSubPublisher(project="p", topics={"hr": "h", "group": "g"}, client=client)
    with pytest.raises(TimeoutError):
        publisher.publish(_event("person.hired"), ordering_key="p1")
    assert client.resumed == [("projects/p/topics/h", "p1")]


def test_http_entry_point_on_scim_serves_the_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """functions-framework's own app for ``on_scim`` (functions/main.py): token from the
    environment, events to CHATSYNC_BRIDGE_OUT; a create is a 201 and one JSON line."""
    import functions_framework
    from tests.conftest import FUNCTIONS

    from chatsync.adapters.bridges.jsonl_publisher import read_lines

    out = tmp_path / "events.jsonl"
    for key, value in {
        "CHATSYNC_SCIM_TOKEN": TOKEN,
        "CHATSYNC_BRIDGE_STORE": "memory",
        "CHATSYNC_BRIDGE_OUT": str(out),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PUBSUB_EMULATOR_HOST", raising=False)
    app = functions_framework.create_app("on_scim", str(FUNCTIONS / "main.py"), "http")  # type: ignore[no-untyped-call]
    import main

    main.bridge.cache_clear()
    try:
        client = app.test_client()
        answer = client.post(
            "/scim/v2/Users",
            data=json.dumps(entra_user("ana.silva@example.com")),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"},
        )
        assert answer.status_code == 201, answer.get_data(as_text=True)
        refused = client.get("/scim/v2/Users", headers={"Authorization": "Bearer nope"})
        assert refused.status_code == 401
    finally:
        main.bridge.cache_clear()
    assert [line["data"]["event_type"] for line in read_lines(out)] == ["person.hired"]


def test_secrets_come_from_the_variable_or_a_secret_version() -> None:
    """The value itself wins; ``<NAME>_SECRET`` must name a Secret Manager version, and a
    malformed one is refused naming the variable (before any network call)."""
    from chatsync.adapters.bridges import secret_values
    from chatsync.domain import errors

    assert secret_values.lookup("X_TOKEN", {"X_TOKEN": "direct"}) == "direct"
    assert secret_values.lookup("X_TOKEN", {}) is None
    with pytest.raises(errors.ConfigError, match=r"X_TOKEN_SECRET='scim-token' is not a secret"):
        secret_values.lookup("X_TOKEN", {"X_TOKEN_SECRET": "scim-token"})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CHATSYNC_BRIDGE_STORE": "redis"}, "CHATSYNC_BRIDGE_STORE='redis' is not one of"),
        (
            {"CHATSYNC_WEBHOOK_TOLERANCE_SECONDS": "soon"},
            "CHATSYNC_WEBHOOK_TOLERANCE_SECONDS='soon'",
        ),
        ({"CHATSYNC_WEBHOOK_TOLERANCE_SECONDS": "0"}, "is not a positive number"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    """A setting that does not parse is a ConfigError naming the variable and its value."""
    from chatsync.app.bridges.settings import BridgeSettings
    from chatsync.domain import errors

    with pytest.raises(errors.ConfigError, match=message):
        BridgeSettings.from_env(env)


def test_scim_refuses_to_start_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """No token configured is a startup error, never an open endpoint."""
    from chatsync import bridge_runtime as wiring
    from chatsync.app.bridges.settings import BridgeSettings
    from chatsync.domain import errors

    monkeypatch.delenv("CHATSYNC_SCIM_TOKEN", raising=False)
    monkeypatch.delenv("CHATSYNC_SCIM_TOKEN_SECRET", raising=False)
    with pytest.raises(errors.ConfigError, match="CHATSYNC_SCIM_TOKEN"):
        wiring.scim_app(BridgeSettings(store="memory", out="unused.jsonl"))
