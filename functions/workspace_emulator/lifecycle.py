"""Subscription lifecycle (reference §11.3/§11.4): expiration reminders, expiry, suspension.

Driven by the emulator's clock (``Events.clock``, which ``advance`` moves), not by a thread:
:func:`tick` runs before every API call, when time is advanced, and when events are read. It
sends, in time order:

- ``expirationReminder`` 12 h and 1 h before ``expireTime``, once each per expiry. A reminder
  whose moment had already passed when the expiry was set is not sent (UNCONFIRMED; the strict
  reading: a 4 h subscription only ever gets the 1 h reminder). Renewing re-arms both.
  Only ACTIVE subscriptions are reminded;
- ``expired`` when ``expireTime`` passes; the subscription is then gone (get is 404, no events).

:func:`suspend` is the test hook for what Google does when it can no longer deliver (for
example ``ENDPOINT_PERMISSION_DENIED``): the subscription turns SUSPENDED, gets no membership
events, and a ``suspended`` event goes out (sent even though the cause may block delivery, so
the consumer side can be tested). ``subscriptions.reactivate`` turns it ACTIVE again.
"""

from __future__ import annotations

import uuid
from typing import Any

from workspace_emulator import errors, events

REMINDERS = (12 * 3600.0, 3600.0)
"""Seconds before ``expireTime`` at which ``expirationReminder`` is sent, earliest first."""

SUSPENSION_REASONS = (
    "USER_SCOPE_REVOKED",
    "APP_SCOPE_REVOKED",
    "RESOURCE_DELETED",
    "USER_AUTHORIZATION_FAILURE",
    "APP_AUTHORIZATION_FAILURE",
    "ENDPOINT_PERMISSION_DENIED",
    "ENDPOINT_NOT_FOUND",
    "ENDPOINT_RESOURCE_EXHAUSTED",
    "OTHER",
)


def render(sub: dict[str, Any]) -> dict[str, Any]:
    """A subscription as the API returns it (private ``_`` keys dropped, ``expireTime`` added)."""
    body = {k: v for k, v in sub.items() if not k.startswith("_")}
    body["expireTime"] = events.stamp(sub["_expires"])
    return body


def set_expiry(sub: dict[str, Any], expires: float, now: float) -> None:
    """Give *sub* a new expiry and re-arm its reminders."""
    sub["_expires"] = expires
    sub["_since"] = now
    sub["_reminded"] = []


def tick(hub: events.Events) -> None:
    """Send every lifecycle event that is due at the emulator's current time."""
    with hub.lock:
        now = hub.clock()
        for name, sub in list(hub.subscriptions.items()):
            expires = float(sub["_expires"])
            for before in REMINDERS:
                moment = expires - before
                due = sub["_since"] <= moment <= now and before not in sub["_reminded"]
                if due and sub["state"] == "ACTIVE":
                    sub["_reminded"].append(before)
                    hub.lifecycle_event(render(sub), "expirationReminder")
            if expires <= now:
                del hub.subscriptions[name]
                hub.lifecycle_event(render(sub), "expired")


def suspend(
    hub: events.Events, name: str, reason: str = "ENDPOINT_PERMISSION_DENIED"
) -> dict[str, Any]:
    """Suspend a live subscription for *reason* and send ``suspended``; return it rendered."""
    if reason not in SUSPENSION_REASONS:
        raise errors.invalid(f"reason must be one of {', '.join(SUSPENSION_REASONS)}.")
    with hub.lock:
        sub = hub.subscriptions.get(name)
        if sub is None or sub["_expires"] <= hub.clock():
            raise errors.not_found(f"Subscription {name} not found.")
        sub["state"] = "SUSPENDED"
        sub["suspensionReason"] = reason
        touch(sub, hub.clock())
        rendered = render(sub)
        hub.lifecycle_event(rendered, "suspended")
        return rendered


def touch(sub: dict[str, Any], now: float) -> None:
    """A new ``updateTime`` and ``etag`` after any change."""
    sub["updateTime"] = events.stamp(now)
    sub["etag"] = uuid.uuid4().hex[:12]
