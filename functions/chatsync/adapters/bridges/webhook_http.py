"""Signed HR webhooks over HTTP: ``POST /webhooks/<vendor>`` (any prefix; the last segment).

HR vendors define no error body for receivers: they look at the status, retry on non-2xx (HiBob
"after a period of retries" gives up; BambooHR shows failures in its webhook log). So the status
is the protocol -- 2xx only when the delivery was handled -- and the body is a small JSON object
for whoever reads the vendor's delivery log:

    {"error": {"status": 401, "code": "bad_signature", "message": "Bob-Signature: does not verify"}}
    {"status": "ok", "vendor": "hibob", "event_type": "employee.updated", "published": 1}

Statuses and codes: ``webhook_service`` (the table at the top).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from chatsync.app.bridges.webhook_service import WebhookRefused, WebhookService
from chatsync.app.logs import Logger

MAX_BODY = 1_000_000


def _json(status: int, body: object) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


class WebhookApp:
    def __init__(self, *, service: WebhookService, log: Logger | None = None) -> None:
        self._service = service
        self._log = log or Logger()

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self(Request(environ))(environ, start_response)

    def __call__(self, request: Request) -> Response:
        segments = [s for s in request.path.split("/") if s]
        vendor = segments[-1] if segments else ""
        if request.method.upper() != "POST":
            return self._refuse(WebhookRefused(405, "method_not_allowed", "POST only"), vendor)
        body = request.get_data(cache=True)
        if len(body) > MAX_BODY:
            return self._refuse(WebhookRefused(413, "too_large", "body over 1 MB"), vendor)
        try:
            outcome = self._service.handle(vendor, dict(request.headers.items()), body)
        except WebhookRefused as refused:
            return self._refuse(refused, vendor)
        except Exception as exc:
            self._log.error(
                "webhook failed; the vendor will retry",
                vendor=vendor,
                error=str(exc),
                error_type=type(exc).__name__,
            )
            return _json(
                500, {"error": {"status": 500, "code": "internal", "message": type(exc).__name__}}
            )
        self._log.info(
            "webhook handled",
            vendor=vendor,
            event_type=outcome.event_type,
            employees=list(outcome.employees),
            published=[e["event_id"] for e in outcome.published],
        )
        return _json(
            200,
            {
                "status": "ok",
                "vendor": vendor,
                "event_type": outcome.event_type,
                "published": len(outcome.published),
            },
        )

    def _refuse(self, refused: WebhookRefused, vendor: str) -> Response:
        self._log.warning(
            "webhook refused",
            vendor=vendor,
            status=refused.status,
            code=refused.code,
            detail=refused.message,
        )
        return _json(
            refused.status,
            {"error": {"status": refused.status, "code": refused.code, "message": refused.message}},
        )
