"""SCIM over HTTP: routes, bearer-token auth, ``application/scim+json`` and SCIM error bodies.

    GET    /ServiceProviderConfig, /ResourceTypes[/{id}], /Schemas[/{id}]
    GET    /Users, /Groups                 ?filter= &startIndex= &count= &attributes=
                                           &excludedAttributes=
    POST   /Users, /Groups                 201 + Location + ETag
    POST   /Users/.search, /Groups/.search the same query in a SearchRequest body
    POST   /.search                        the same across Users and Groups (RFC 7644 §3.4.3)
    GET    /Users/{id}, /Groups/{id}       ETag; If-None-Match -> 304
    PUT    /Users/{id}, /Groups/{id}       If-Match honoured
    PATCH  /Users/{id}, /Groups/{id}       If-Match honoured
    DELETE /Users/{id}, /Groups/{id}       204

Paths may carry a prefix (``/scim/v2`` by default, or whatever the function URL adds): it is
stripped, so the IdP's "base URL" is the function URL plus that prefix. Every request needs
``Authorization: Bearer <token>``; the token is compared with ``hmac.compare_digest`` and a
miss is a 401 SCIM error with ``WWW-Authenticate: Bearer`` (RFC 7644 §2, RFC 6750 §3) before
anything else is read. Errors are always the RFC 7644 §3.12 document with ``status`` as a
string; a 405 names the allowed methods in ``Allow``. A failure to publish is a 500 SCIM error:
Okta and Entra retry those.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable
from typing import Any, cast

from scim2_models import (
    Context,
    Error,
    NotFoundException,
    NotImplementedException,
    SCIMException,
)
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Request, Response

from chatsync.app.bridges.ports import Kind
from chatsync.app.bridges.scim_service import ENDPOINTS, ScimService
from chatsync.app.logs import Logger
from chatsync.domain.bridges import scim_schema

_KINDS: dict[str, Kind] = {endpoint.casefold(): kind for kind, endpoint in ENDPOINTS.items()}
_SEARCH = ".search"
MAX_BODY = 1_000_000
"""Bytes; an IdP request is a few kilobytes (RFC 7644 §3.12 ``tooLarge`` is for bulk)."""


def scim_response(
    status: int, body: object | None, headers: dict[str, str] | None = None
) -> Response:
    data = json.dumps(body) if body is not None else None
    response = Response(data, status=status, headers=headers or {})
    if data is not None:
        response.content_type = scim_schema.CONTENT_TYPE
    return response


def error_response(status: int, detail: str, scim_type: str | None = None) -> Response:
    body: dict[str, Any] = {
        "schemas": [scim_schema.ERROR_SCHEMA],
        "status": str(status),
        "detail": detail,
    }
    if scim_type:
        body["scimType"] = scim_type
    headers = {"WWW-Authenticate": 'Bearer realm="chatsync-scim"'} if status == 401 else {}
    return scim_response(status, body, headers)


class _MethodNotAllowed(SCIMException):
    """405, with the methods the path does allow (RFC 9110 §15.5.6 asks for ``Allow``)."""

    status = 405

    def __init__(self, method: str, allowed: tuple[str, ...]) -> None:
        super().__init__(detail=f"{method} is not allowed here (allowed: {', '.join(allowed)})")
        self.allowed = allowed


def _from_exception(exc: SCIMException) -> Response:
    error: Error = exc.to_error()
    response = error_response(int(error.status or 400), str(error.detail or exc), error.scim_type)
    if isinstance(exc, _MethodNotAllowed):
        response.headers["Allow"] = ", ".join(exc.allowed)
    return response


class ScimApp:
    """The SCIM HTTP surface over one ``ScimService``; callable with a werkzeug/Flask request."""

    def __init__(
        self,
        *,
        service: ScimService,
        token: str | Callable[[], str],
        log: Logger | None = None,
        prefix: str = "/scim/v2",
    ) -> None:
        self._service = service
        self._token = token
        self._prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self._provider = scim_schema.provider()
        self._log = log or Logger()

    # -- WSGI, for serving locally ----------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response = self(Request(environ))
        return response(environ, start_response)

    def __call__(self, request: Request) -> Response:
        if not self._authorized(request):
            self._log.warning(
                "scim request refused: bad or missing bearer token",
                method=request.method,
                path=request.path,
            )
            return error_response(401, "Authorization: a valid bearer token is required")
        try:
            response = self._route(request)
        except SCIMException as exc:
            response = _from_exception(exc)
        except Exception as exc:
            self._log.error(
                "scim request failed; the client will retry",
                method=request.method,
                path=request.path,
                error=str(exc),
                error_type=type(exc).__name__,
            )
            return error_response(500, f"internal error ({type(exc).__name__}); retry later")
        self._log.info(
            "scim request", method=request.method, path=request.path, status=response.status_code
        )
        return response

    def _authorized(self, request: Request) -> bool:
        token = self._token() if callable(self._token) else self._token
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.casefold() != "bearer" or not given.strip() or not token:
            return False
        return hmac.compare_digest(given.strip().encode(), token.encode())

    # -- routing ----------------------------------------------------------------------------------
    def _segments(self, request: Request) -> list[str]:
        path = request.path
        if self._prefix and (path == self._prefix or path.startswith(self._prefix + "/")):
            path = path[len(self._prefix) :]
        return [s for s in path.split("/") if s]

    def _base_url(self, request: Request) -> str:
        return request.host_url.rstrip("/") + self._prefix

    def _route(self, request: Request) -> Response:
        segments = self._segments(request)
        base = self._base_url(request)
        method = request.method.upper()
        if not segments:
            raise NotFoundException(detail=f"{request.path}: no SCIM endpoint here")
        head = segments[0].casefold()
        if head in ("serviceproviderconfig", "resourcetypes", "schemas"):
            _allow(method, ("GET",))
            return self._discovery(head, segments[1:], base)
        if head in ("bulk", "me"):
            # RFC 7644 §3.7 and §3.11: an unsupported /Bulk or /Me is a 501.
            raise NotImplementedException(detail=f"/{segments[0]} is not supported here")
        if head == _SEARCH and len(segments) == 1:
            _allow(method, ("POST",))
            return self._search(None, request, base, _search_request(request))
        kind = _KINDS.get(head)
        if kind is None or len(segments) > 2:
            raise NotFoundException(detail=f"{request.path}: no SCIM endpoint here")
        if len(segments) == 1:
            _allow(method, ("GET", "POST"))
            if method == "GET":
                return self._search(kind, request, base, dict(request.args))
            return self._create(kind, request, base)
        target = segments[1]
        if target == _SEARCH:
            _allow(method, ("POST",))
            return self._search(kind, request, base, _search_request(request))
        _allow(method, ("GET", "PUT", "PATCH", "DELETE"))
        if_match = request.headers.get("If-Match")
        if method == "GET":
            rendered = self._service.get(
                kind,
                target,
                base_url=base,
                attributes=request.args.get("attributes"),
                excluded=request.args.get("excludedAttributes"),
            )
            if request.headers.get("If-None-Match") == rendered.etag:
                return scim_response(304, None, {"ETag": rendered.etag})
            return scim_response(200, rendered.body, {"ETag": rendered.etag})
        if method == "DELETE":
            self._service.delete(kind, target, if_match=if_match)
            return scim_response(204, None)
        payload = _json(request)
        if method == "PUT":
            rendered = self._service.replace(
                kind, target, payload, base_url=base, if_match=if_match
            )
        else:
            rendered = self._service.patch(kind, target, payload, base_url=base, if_match=if_match)
        return scim_response(200, rendered.body, {"ETag": rendered.etag})

    def _create(self, kind: Kind, request: Request, base: str) -> Response:
        rendered = self._service.create(kind, _json(request), base_url=base)
        location = str(rendered.body.get("meta", {}).get("location", ""))
        return scim_response(201, rendered.body, {"ETag": rendered.etag, "Location": location})

    def _search(
        self, kind: Kind | None, request: Request, base: str, params: dict[str, Any]
    ) -> Response:
        """One resource type's search, or with no *kind* the root's across every type."""
        query: dict[str, Any] = {
            "base_url": base,
            "filter_text": _text(params, "filter"),
            "start_index": _integer(params, "startIndex", 1) or 1,
            "count": _integer(params, "count", None),
            "attributes": _listing(params, "attributes"),
            "excluded": _listing(params, "excludedAttributes"),
        }
        if kind is None:
            return scim_response(200, self._service.search_all(**query))
        return scim_response(200, self._service.search(kind, **query))

    def _discovery(self, head: str, rest: list[str], base: str) -> Response:
        if head == "serviceproviderconfig":
            if rest:
                raise NotFoundException(detail="ServiceProviderConfig has no sub-resources")
            config = self._provider.config
            assert config is not None
            body = config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
            body["meta"] = {
                "resourceType": "ServiceProviderConfig",
                "location": f"{base}/ServiceProviderConfig",
            }
            return scim_response(200, body)
        kind_name, items = (
            ("ResourceType", list(self._provider.resource_types))
            if head == "resourcetypes"
            else ("Schema", list(self._provider.schemas))
        )
        endpoint = "ResourceTypes" if head == "resourcetypes" else "Schemas"
        docs = []
        for item in items:
            doc = item.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
            doc["meta"] = {"resourceType": kind_name, "location": f"{base}/{endpoint}/{doc['id']}"}
            docs.append(doc)
        if rest:
            if len(rest) > 1:
                raise NotFoundException(detail=f"{endpoint}/{'/'.join(rest)}: not found")
            found = [d for d in docs if str(d["id"]) == rest[0]]
            if not found:
                raise NotFoundException(detail=f"{endpoint}/{rest[0]}: not found")
            return scim_response(200, found[0])
        return scim_response(
            200,
            {
                "schemas": [scim_schema.LIST_SCHEMA],
                "totalResults": len(docs),
                "startIndex": 1,
                "itemsPerPage": len(docs),
                "Resources": docs,
            },
        )


def _allow(method: str, allowed: tuple[str, ...]) -> None:
    if method not in allowed:
        raise _MethodNotAllowed(method, allowed)


def _json(request: Request) -> Any:
    data = request.get_data(cache=True)
    if len(data) > MAX_BODY:
        raise SCIMException.from_error(
            Error(status=413, detail=f"request body larger than {MAX_BODY} bytes")
        )
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, BadRequest) as exc:
        raise SCIMException.from_error(
            Error(status=400, scim_type="invalidSyntax", detail=f"request body: not JSON ({exc})")
        ) from None


def _search_request(request: Request) -> dict[str, Any]:
    """A ``.search`` body: a SearchRequest message (RFC 7644 §3.4.3), its ``schemas`` required."""
    body = _json(request)
    schemas = body.get("schemas") if isinstance(body, dict) else None
    if not isinstance(schemas, list) or [str(s).casefold() for s in schemas] != [
        scim_schema.SEARCH_REQUEST_SCHEMA.casefold()
    ]:
        raise SCIMException.from_error(
            Error(
                status=400,
                scim_type="invalidSyntax",
                detail=f"a .search body is a SearchRequest: "
                f'"schemas": ["{scim_schema.SEARCH_REQUEST_SCHEMA}"]',
            )
        )
    return cast(dict[str, Any], body)


def _text(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SCIMException.from_error(
            Error(status=400, scim_type="invalidValue", detail=f"{name}: expected a string")
        )
    return value


def _integer(params: dict[str, Any], name: str, default: int | None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SCIMException.from_error(
            Error(status=400, scim_type="invalidValue", detail=f"{name}: {value!r} is not a number")
        ) from None


def _listing(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return _text(params, name)
