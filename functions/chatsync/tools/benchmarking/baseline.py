"""The naive baseline, written the way Google's samples do it.

Per event: build a Chat client, then for every space a rule names, get the person's membership
and patch the role the rules give (creating the membership first when missing, deleting it when
no rule selects the person). No rate control and no retries inside the handler: any error fails
the event and Pub/Sub redelivers it, which starts the whole event again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatsync.domain import events
from chatsync.domain.rules import Ruleset, evaluate


class NaiveHandler:
    """One HR message in, Chat calls out; ``redeliveries`` counts events that failed."""

    def __init__(self, ruleset: Ruleset, *, endpoint: str, token: str = "app") -> None:
        self.ruleset = ruleset
        self.endpoint = endpoint
        self.token = token
        self.redeliveries = 0

    def handle(self, message: Mapping[str, Any], *, max_deliveries: int = 20) -> None:
        """Deliver until the handler returns (Pub/Sub's at-least-once, without its backoff)."""
        for _ in range(max_deliveries):
            try:
                self._once(message)
                return
            except Exception:
                self.redeliveries += 1

    def _once(self, message: Mapping[str, Any]) -> None:
        from google.oauth2.credentials import Credentials
        from googleapiclient.discovery import build
        from googleapiclient.errors import HttpError

        (event,) = events.decode_message(message)
        assert isinstance(event, events.PersonEvent)
        person = event.person
        chat = build(
            "chat",
            "v1",
            credentials=Credentials(token=self.token),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": self.endpoint},
            static_discovery=True,
        )
        members = chat.spaces().members()
        for decision in evaluate(self.ruleset, person):
            name = f"{decision.space}/members/{person.email}"
            try:
                current = members.get(name=name).execute()
            except HttpError as exc:
                if exc.resp.status != 404:
                    raise
                current = None
            if decision.role is None:
                if current is not None:
                    members.delete(name=current["name"]).execute()
                continue
            if current is None:
                body = {"member": {"name": f"users/{person.email}", "type": "HUMAN"}}
                current = members.create(parent=decision.space, body=body).execute()
            members.patch(
                name=current["name"], updateMask="role", body={"role": decision.role.api}
            ).execute()
