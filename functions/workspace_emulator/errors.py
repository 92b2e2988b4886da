"""Google API errors as the emulator answers them.

Every refusal is an :class:`ApiError`; :meth:`ApiError.body` renders the JSON Google's front end
sends (``{"error": {"code", "message", "status", "details"}}``, reference §9.1) so that
googleapiclient raises ``HttpError`` with the same ``status``/``content``/``error_details``.
"""

from __future__ import annotations

from typing import Any

STATUS_CODES: dict[str, int] = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "ABORTED": 409,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL": 500,
    "UNKNOWN": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}
"""Canonical gRPC status name → HTTP status."""

STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
"""HTTP status → the status name used when only a number is known (faults)."""

ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


class ApiError(Exception):
    """A refusal the emulator sends back as a Google JSON error."""

    def __init__(
        self,
        status: str,
        message: str,
        *,
        reason: str | None = None,
        service: str = "chat.googleapis.com",
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        code: int | None = None,
        legacy_reason: str | None = None,
    ) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.code = code if code is not None else STATUS_CODES[status]
        self.message = message
        self.details: list[dict[str, Any]] = list(details or [])
        if reason is not None:
            self.details.insert(
                0,
                {
                    "@type": ERROR_INFO,
                    "reason": reason,
                    "domain": "googleapis.com",
                    "metadata": {"service": service},
                },
            )
        self.headers = dict(headers or {})
        self.legacy_reason = legacy_reason

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        if self.legacy_reason is not None:
            # Admin SDK style: the legacy `errors` array some front ends still send.
            error["errors"] = [
                {"message": self.message, "domain": "global", "reason": self.legacy_reason}
            ]
        return {"error": error}


def invalid(message: str, *, field: str | None = None) -> ApiError:
    """400 INVALID_ARGUMENT, with a BadRequest field violation when a field is named."""
    details = []
    if field is not None:
        details.append(
            {"@type": BAD_REQUEST, "fieldViolations": [{"field": field, "description": message}]}
        )
    return ApiError("INVALID_ARGUMENT", message, details=details)


def precondition(message: str) -> ApiError:
    """400 FAILED_PRECONDITION."""
    return ApiError("FAILED_PRECONDITION", message)


def denied(message: str, *, reason: str = "PERMISSION_DENIED") -> ApiError:
    """403 PERMISSION_DENIED."""
    return ApiError("PERMISSION_DENIED", message, reason=reason)


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    """404 NOT_FOUND."""
    return ApiError("NOT_FOUND", message)


def already_exists(message: str) -> ApiError:
    """409 ALREADY_EXISTS."""
    return ApiError("ALREADY_EXISTS", message)


def unauthenticated(message: str, *, reason: str = "ACCESS_TOKEN_TYPE_UNSUPPORTED") -> ApiError:
    """401 UNAUTHENTICATED, with the ErrorInfo reason Google's front end uses."""
    return ApiError(
        "UNAUTHENTICATED",
        message,
        reason=reason,
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def from_status(code: int, message: str) -> ApiError:
    """An error known only by its HTTP status (injected faults)."""
    return ApiError(STATUS_NAMES.get(code, "UNKNOWN"), message, code=code)


def without_retry_hints(error: ApiError) -> ApiError:
    """*error* without ``Retry-After`` and ``RetryInfo``: how Google's backend checks answer a
    429 (reference §10, "extra backend rate checks can also yield 429"), unlike the quotas."""
    error.headers.pop("Retry-After", None)
    error.details = [d for d in error.details if d.get("@type") != RETRY_INFO]
    return error
