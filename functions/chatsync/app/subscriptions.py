"""Keep one Workspace Events subscription alive per managed space (drift needs the events).

A subscription to ``//chat.googleapis.com/spaces/{id}`` for membership created / updated /
deleted delivers to the Chat events topic. It expires (at most 4 h with resource data in the
payload, 7 days without) and an expired one cannot be revived, only recreated. So on every
``{"kind": "renew_subscriptions"}`` tick on the reconcile topic (and on a subscription's
``expirationReminder`` / ``expired`` lifecycle event), ``ensure`` does, per managed space
(through the ``WorkspaceEvents`` port):

* none found: create it (``includeResource`` so events carry the role and member);
* found, expiring within ``renew_within`` seconds: ``PATCH ?updateMask=ttl`` with ``ttl: 0s``
  (the maximum again);
* found and ``SUSPENDED``: log an error naming the reason (an admin must fix the cause).

Calls: one ``subscriptions.list`` per space, plus a create or patch where needed. The client is
``adapters.workspace_events``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chatsync.app.logs import Logger
from chatsync.app.ports import WorkspaceEvents
from chatsync.domain import errors
from chatsync.domain.model import SpaceName

RENEW_WITHIN = 2 * 3600.0
"""Renew a subscription that expires within this many seconds (the 4 h maximum halves)."""


def expiry(subscription: dict[str, Any]) -> float | None:
    """``expireTime`` as seconds since the epoch (None when absent or unreadable)."""
    text = str(subscription.get("expireTime") or "")
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass
class Renewal:
    """What one ``ensure`` pass did, by space."""

    created: list[SpaceName] = field(default_factory=list)
    renewed: list[SpaceName] = field(default_factory=list)
    kept: list[SpaceName] = field(default_factory=list)
    suspended: list[SpaceName] = field(default_factory=list)
    failed: list[tuple[SpaceName, str]] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "renewed": len(self.renewed),
            "kept": len(self.kept),
            "suspended": len(self.suspended),
            "failed": len(self.failed),
        }


def ensure(
    client: WorkspaceEvents,
    spaces: Sequence[SpaceName],
    *,
    topic: str,
    now: float,
    log: Logger,
    renew_within: float = RENEW_WITHIN,
) -> Renewal:
    """One live, unexpiring subscription per space; failures are per space, never raised."""
    result = Renewal()
    for space in spaces:
        try:
            ensure_one(
                client,
                space,
                topic=topic,
                now=now,
                renew_within=renew_within,
                log=log,
                result=result,
            )
        except errors.SyncError as exc:
            result.failed.append((space, str(exc)))
            log.error(
                "subscription for drift events could not be kept alive",
                space=space,
                error=str(exc),
                retryable=isinstance(exc, errors.RetryableError),
            )
    log.info("subscriptions checked", topic=topic, **result.summary())
    return result


def ensure_one(
    client: WorkspaceEvents,
    space: SpaceName,
    *,
    topic: str,
    now: float,
    renew_within: float,
    log: Logger,
    result: Renewal,
) -> None:
    found = client.find(space)
    active = [s for s in found if s.get("state", "ACTIVE") == "ACTIVE"]
    if not active:
        suspended = [s for s in found if s.get("state") == "SUSPENDED"]
        if suspended:
            result.suspended.append(space)
            log.error(
                "subscription suspended: fix the cause, then reactivate it",
                space=space,
                subscription=suspended[0].get("name"),
                reason=suspended[0].get("suspensionReason"),
            )
            return
        created = client.create(space, topic=topic)
        result.created.append(space)
        log.info(
            "subscription created",
            space=space,
            subscription=created.get("name"),
            expire_time=created.get("expireTime"),
        )
        return
    sub = active[0]
    ends = expiry(sub)
    if ends is None or ends - now <= renew_within:
        renewed = client.renew(str(sub["name"]))
        result.renewed.append(space)
        log.info(
            "subscription renewed",
            space=space,
            subscription=sub.get("name"),
            expire_time=renewed.get("expireTime"),
        )
        return
    result.kept.append(space)
