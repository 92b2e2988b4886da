"""At run time the product sends only methods of the scope table, each with its set's token.

Every googleapiclient request the product sends during a representative workload (full
reconcile, person events that add, promote and remove, Directory reads, drift subscriptions
listed, created and renewed) is recorded with its method id; each must be a method of
``chatsync/scopes.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chatsync.domain import scopes
from chatsync.domain.model import Email, SpaceName

STORY = (
    Path(__file__).resolve().parents[2] / "functions" / "chatsync" / "samples" / "demo" / "story"
)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The method id of every googleapiclient request executed during the test."""
    from googleapiclient import http

    seen: list[str] = []
    original = http.HttpRequest.execute

    def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(self.methodId))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(http.HttpRequest, "execute", execute)
    return seen


def test_a_whole_workload_sends_only_methods_of_the_table(
    emulator: Any, make_app: Any, sent: list[str]
) -> None:
    """Reconcile, the story's events and subscription upkeep call listed methods only."""
    from chatsync.domain import events, messages

    app = make_app()
    app.reconcile_all(run_id="r1", log=app.log)
    for message in messages.load([STORY]):
        try:
            decoded = events.decode_message(message.to_pubsub())
        except Exception:  # the story's malformed message
            continue
        for event in decoded:
            app.handle(event)
    app.renew_subscriptions(log=app.log)
    events_client = app.workspace_events
    (found,) = events_client.find(SpaceName("spaces/AAAAplatform"))
    events_client.renew(found["name"])
    app.directory.inner.first_user()
    app.directory.group_members(Email("lisbon-office@example.com"))

    listed = set(scopes.load().methods)
    assert set(sent) <= listed, sorted(set(sent) - listed)
    for must in (
        "chat.spaces.get",
        "chat.spaces.members.list",
        "chat.spaces.members.create",
        "chat.spaces.members.delete",
        "directory.users.list",
        "directory.members.list",
        "workspaceevents.subscriptions.list",
        "workspaceevents.subscriptions.create",
        "workspaceevents.subscriptions.patch",
    ):
        assert must in sent, f"the workload never called {must}: it covers less than it claims"
