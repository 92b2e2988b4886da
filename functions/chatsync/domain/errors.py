"""Every error chatsync raises on purpose, on two axes: *what* went wrong and *how to react*.

    SyncError
    ├── PermanentError            retrying cannot help: ack the message and record why
    │   ├── InvalidEvent          a message that does not decode (names the field path + message id)
    │   ├── RuleConfigError       a rules file that does not load (names file, rule, field)
    │   ├── ConfigError           a setting that does not parse (names the variable)
    │   ├── PlanRefused           a reviewed plan no longer matches the live state
    │   ├── SnapshotError         a snapshot file that does not load (names the file and field)
    │   ├── ReadOnlySnapshot      a write asked of a snapshot (it only answers reads)
    │   ├── InvalidResourceName   a Chat resource name that fails validation (no request is sent)
    │   ├── UnknownRun            a work item (or --status) names a run the store does not hold
    │   └── ChatPermissionDenied  400/403 from Chat: the admin must fix something
    │       └── SpaceUnreachable  403/404 for one space: skip it, record it, apply the others
    ├── RetryableError            another delivery may succeed; may carry ``delay`` seconds
    │   ├── ChatRateLimited       429
    │   ├── ChatUnavailable       5xx, timeouts, connection errors
    │   ├── DirectoryUnavailable  the Directory failed transiently
    │   ├── EndpointError         the server at an endpoint is not the Google API (wrong URL)
    │   └── CredentialsRefused    no token: delegation or signing refused (redelivered until fixed)
    └── ChatApiError              base of every Chat HTTP failure (status + truncated body)

Callers decide with ``isinstance(e, RetryableError)``, never by status code.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base for everything this package raises on purpose."""


class PermanentError(SyncError):
    """Retrying cannot help: ack the message and record it."""


class RetryableError(SyncError):
    """Worth another delivery. ``delay`` is a hint in seconds (from Retry-After / RetryInfo)."""

    def __init__(self, message: str, *, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay


class InvalidEvent(PermanentError):
    """A message that cannot be decoded. The message names the field path and the message id."""

    def __init__(self, path: str, problem: str, *, message_id: str | None = None) -> None:
        where = f" (message {message_id})" if message_id else ""
        super().__init__(f"{path}: {problem}{where}")
        self.path = path
        self.problem = problem
        self.message_id = message_id


class RuleConfigError(PermanentError):
    """A rules file that does not validate: ``file: rule 'id': field: problem``."""

    def __init__(
        self, file: str, problem: str, *, rule: str | None = None, field: str = ""
    ) -> None:
        parts = [file]
        if rule is not None:
            parts.append(f"rule '{rule}'")
        if field:
            parts.append(field)
        super().__init__(": ".join([*parts, problem]))
        self.file = file
        self.rule = rule
        self.field = field
        self.problem = problem


class ConfigError(PermanentError):
    """A setting that does not parse: ``CHATSYNC_X='value' is not ... (expected ...)``."""


class PlanRefused(PermanentError):
    """A saved plan whose premises no longer hold; the message names what moved."""


class SnapshotError(PermanentError):
    """A snapshot file that does not load: ``FILE: field: problem``."""

    def __init__(self, file: str, problem: str, *, field: str = "") -> None:
        super().__init__(": ".join(part for part in (file, field, problem) if part))
        self.file = file
        self.field = field
        self.problem = problem


class ReadOnlySnapshot(PermanentError):
    """A membership write asked of a snapshot: snapshots answer reads and refuse every write."""


class InvalidResourceName(PermanentError):
    """A ``spaces/<id>`` / ``users/<id-or-email>`` name that does not validate; never sent."""


class ChatApiError(SyncError):
    """A failed Chat or Directory API call: HTTP status, Google status name and a short body.

    ``space`` is the Chat space the call was about (``spaces/S``), or empty: log lines and the
    admin-space notification of a space chatsync can no longer manage name it.
    """

    def __init__(
        self, message: str, *, status: int, reason: str = "", body: str = "", space: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.body = body[:256]
        self.space = space


class ChatPermissionDenied(ChatApiError, PermanentError):
    """400 / 403 / 404-on-space: configuration the admin must fix; retrying will not help."""


class SpaceUnreachable(ChatPermissionDenied):
    """403 / 404 from Chat for one managed space: it does not exist, the Chat app is not in it
    (app auth), or this deployment may not change it (app auth outside spaces it created). The
    space is skipped for the event, logged with its fix and recorded for the reconcile
    (``app.broken``); the other spaces apply."""

    def __init__(
        self, message: str, *, space: str, status: int, reason: str = "", body: str = ""
    ) -> None:
        super().__init__(message, status=status, reason=reason, body=body)
        self.space = space


class ChatRetryable(ChatApiError, RetryableError):
    """A Chat answer worth trying again; ``delay``: the seconds Chat asked to wait, if any."""

    default_status = 503

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        reason: str = "",
        body: str = "",
        delay: float | None = None,
        space: str = "",
    ) -> None:
        status = self.default_status if status is None else status
        ChatApiError.__init__(self, message, status=status, reason=reason, body=body, space=space)
        self.delay = delay


class ChatRateLimited(ChatRetryable):
    """429 RESOURCE_EXHAUSTED."""

    default_status = 429


class ChatUnavailable(ChatRetryable):
    """5xx, timeouts and connection failures."""


class DirectoryUnavailable(RetryableError):
    """The Directory could not be read right now."""


class EndpointError(RetryableError):
    """The server at a configured endpoint did not answer like a Google API (an HTML page, a
    body that is not JSON): the URL is wrong, not the request.

    Retryable on purpose: the function must not ack (and so drop) an event because its
    deployment points at the wrong server; once the setting is fixed, redelivery succeeds. The
    CLI treats it as a configuration error (exit 2). The message names the URL that answered.
    """


class CredentialsRefused(RetryableError):
    """No token: the token endpoint refused the exchange (e.g. ``unauthorized_client``: a scope
    the Admin console does not allow for the client id) or IAM refused to sign. Retryable on
    purpose: the message is redelivered (then dead-lettered and replayable) until an admin fixes
    it, never acked and lost; ``chatsync doctor`` names the scope to add."""


class PersonNotFound(PermanentError):
    """The Directory has no such user: nothing to reconcile for them from this event."""


class UnknownRun(PermanentError):
    """A work item names a run the store does not hold (or a run id ``--status`` was asked for)."""
