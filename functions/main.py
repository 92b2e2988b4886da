"""Cloud Functions entry points. Each one decodes, hands the event to the pipeline, and decides
ack or redeliver — nothing else.

- A permanent error (bad message, configuration the admin must fix) is logged and acked:
  raising would make Pub/Sub redeliver it until it reaches the dead-letter topic for nothing.
- A retryable error propagates: functions-framework answers 500 and Pub/Sub redelivers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import flask
import functions_framework
from cloudevents.http import CloudEvent
from werkzeug.wrappers import Response

from chatsync.app import records
from chatsync.app.pipeline import Pipeline
from chatsync.app.settings import Settings
from chatsync.domain import errors, events
from chatsync.runtime import build_pipeline


@functools.cache
def pipeline() -> Pipeline:
    """Built once per instance (cold start), from the environment."""
    return build_pipeline(Settings.from_env())


def _handle(cloud_event: CloudEvent, entry_point: str) -> None:
    # Outside the try: a broken deployment (bad rules file, bad setting) must not ack messages;
    # they are redelivered, then dead-lettered, and can be replayed once it is fixed.
    runner = pipeline()
    log = runner.log.bind(entry_point=entry_point, message_id=cloud_event["id"])
    try:
        decoded = events.decode_cloud_event(
            cloud_event["id"], cloud_event["type"], cloud_event["source"], cloud_event.data
        )
        for event in decoded:
            report = runner.handle(event)
            log.info("event handled", event_id=event.meta.event_id, **report.summary())
    except errors.PermanentError as exc:
        chat = _chat_fields(exc)
        log.error(
            "event dropped: permanent error, acked without retry",
            error=str(exc),
            error_type=type(exc).__name__,
            **chat,
        )
        dropped = {
            "entry_point": entry_point,
            "error": str(exc),
            "error_type": type(exc).__name__,
            "at": runner.clock(),
            **chat,
        }
        runner.store.put_doc(
            records.DROPPED,
            str(cloud_event["id"]),
            records.expiring(records.DROPPED, dropped, now=runner.clock()),
        )
        return
    except errors.RetryableError as exc:
        log.warning(
            "event will be redelivered",
            error=str(exc),
            error_type=type(exc).__name__,
            **_chat_fields(exc),
        )
        raise


def _chat_fields(exc: errors.SyncError) -> dict[str, object]:
    """``http_status`` and ``space`` of a failed Chat call, for the metrics (else nothing)."""
    if isinstance(exc, errors.ChatApiError):
        return {"http_status": exc.status, "space": exc.space}
    return {}


@functions_framework.cloud_event
def on_hr_event(cloud_event: CloudEvent) -> None:
    """HR events (dirsync.hr.v1) from the HR topic."""
    _handle(cloud_event, "on_hr_event")


@functions_framework.cloud_event
def on_group_event(cloud_event: CloudEvent) -> None:
    """Google Group and user changes: Workspace audit logs or dirsync.hr.v1 group events."""
    _handle(cloud_event, "on_group_event")


@functions_framework.cloud_event
def on_chat_event(cloud_event: CloudEvent) -> None:
    """Workspace Events API Chat membership events: drift in managed spaces."""
    _handle(cloud_event, "on_chat_event")


@functions_framework.cloud_event
def on_reconcile_tick(cloud_event: CloudEvent) -> None:
    """Scheduler ticks: full reconcile, subscription renewal, approvals of held plans."""
    _handle(cloud_event, "on_reconcile_tick")


@functions_framework.cloud_event
def on_work_item(cloud_event: CloudEvent) -> None:
    """Work items a full reconcile or a large group event fanned out: one slice each, applied
    within the invocation budget (a continuation is published when it runs out)."""
    _handle(cloud_event, "on_work_item")


@functools.cache
def bridge(name: str) -> Callable[[flask.Request], Response]:
    """The SCIM or webhook app, built once per instance; imported here, not at cold start of
    the Pub/Sub functions, which never need scim2-models."""
    from chatsync import bridge_runtime as wiring
    from chatsync.app.bridges.settings import BridgeSettings

    settings = BridgeSettings.from_env()
    return wiring.scim_app(settings) if name == "scim" else wiring.webhook_app(settings)


@functions_framework.http
def on_scim(request: flask.Request) -> Response:
    """SCIM 2.0 from Okta or Entra ID: users and groups become dirsync.hr.v1 events."""
    return bridge("scim")(request)


@functions_framework.http
def on_hr_webhook(request: flask.Request) -> Response:
    """Signed HR webhooks (BambooHR, HiBob, ...): POST /<vendor>."""
    return bridge("webhooks")(request)
