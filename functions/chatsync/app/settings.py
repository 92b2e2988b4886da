"""One frozen ``Settings`` object, parsed once from the environment at cold start.

Every field documents its variable, unit and why the default. ``Settings.from_env`` raises
``ConfigError`` naming the variable and the expected form. CLI flags override the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from chatsync.domain.errors import ConfigError
from chatsync.domain.model import SPACE_NAME

PREFIX = "CHATSYNC_"

AUTH_MODES = ("app", "admin")
STATE_BACKENDS = ("memory", "sqlite", "firestore")
DRIFT_MODES = ("revert", "report")

_TOPIC = re.compile(r"projects/[^/]+/topics/[^/]+")

DEPLOYED_MARKERS = ("K_SERVICE",)
"""Set by Cloud Run functions (and Cloud Run) on every instance: a deployed function, where a
missing CHATSYNC_RULES_FILE is named as the Terraform input to set."""


@dataclass(frozen=True, slots=True)
class Settings:
    rules_file: str = ""
    """CHATSYNC_RULES_FILE: path of the rules YAML. No default: the rules decide who is removed
    from which space, so they are always named. In a deployed function (``K_SERVICE`` set) a
    missing value is a ConfigError at cold start naming the Terraform input; locally, building
    the pipeline without it is one too (the CLI also finds the rules in a ``chatsync.toml``).
    The demo's rules (``functions/rules.yaml``) are used only by ``chatsync demo`` and the tests."""

    auth_mode: str = ""
    """CHATSYNC_AUTH_MODE: ``admin`` (the default) or ``app``; which token each API call uses in
    each mode is the table ``chatsync/scopes.json``.

    ``admin``: domain-wide delegation to CHATSYNC_ADMIN_SUBJECT with Chat admin access
    (chat.admin.memberships, useAdminAccess=true): adds, removes and changes roles in any existing
    space of the organization, whether or not the Chat app is in it
    (developers.google.com/workspace/chat/admin-privileges). ``app``: the runtime account acts as
    the Chat app (chat.app.memberships, approved once by an admin): it must be a member of each
    space, changes roles only in spaces it created and removes managers only as their creator
    (developers.google.com/workspace/chat/authenticate-authorize-chat-app, .../update-members,
    spaces.members.delete reference), so it cannot manage existing people-made spaces.
    Unset with CHATSYNC_ACCESS_TOKEN (the emulator's fixed token): the mode its principal stands
    for, ``admin`` for ``user:<email>`` (an admin's delegated token), else ``app``."""

    admin_subject: str = ""
    """CHATSYNC_ADMIN_SUBJECT: the Workspace admin impersonated in ``admin`` mode and for
    Directory reads (the Directory API always needs an admin subject)."""

    service_account: str = ""
    """CHATSYNC_SERVICE_ACCOUNT: email of the runtime service account; keyless domain-wide
    delegation signs JWTs as it through the IAM signJwt API. Empty: from the metadata server."""

    chat_endpoint: str = "https://chat.googleapis.com/"
    """CHATSYNC_CHAT_ENDPOINT: Chat API base URL; point it at the local emulator for tests."""

    directory_endpoint: str = "https://admin.googleapis.com/"
    """CHATSYNC_DIRECTORY_ENDPOINT: Admin SDK base URL; the emulator serves the same paths."""

    directory_customer: str = "my_customer"
    """CHATSYNC_DIRECTORY_CUSTOMER: customer id for users.list (``my_customer`` = the caller's)."""

    directory_schema: str = "HR"
    """CHATSYNC_DIRECTORY_SCHEMA: the Directory custom schema holding job_level,
    is_people_manager, employment_status and division (``customSchemas.<name>``). ``HR`` is
    what the demo org and the emulator's HR updates use; the mapping is
    ``adapters.directory.DirectoryMapping``."""

    directory_fields: str = ""
    """CHATSYNC_DIRECTORY_FIELDS: which field of that schema fills which attribute, as
    ``attribute=field,...`` (e.g. ``job_level=grade,is_people_manager=manages``). Empty: each
    attribute from the field of its own name. Listing any replaces the whole mapping."""

    access_token: str = ""
    """CHATSYNC_ACCESS_TOKEN: a fixed bearer token instead of Google credentials. For the local
    emulator only (e.g. ``app`` or ``user:admin@example.com``); never set it in production."""

    directory_token: str = ""
    """CHATSYNC_DIRECTORY_TOKEN: a fixed bearer token for Directory reads (emulator only).
    Empty: same as CHATSYNC_ACCESS_TOKEN."""

    app_token: str = ""
    """CHATSYNC_APP_TOKEN: a fixed bearer token for the calls the Chat app makes itself (the
    scope table's ``app`` sets: Workspace Events, and every Chat call in app mode); emulator
    only, e.g. ``app`` beside CHATSYNC_ACCESS_TOKEN=user:<admin> in admin mode. Empty: same as
    CHATSYNC_ACCESS_TOKEN."""

    token_uri: str = "https://oauth2.googleapis.com/token"
    """CHATSYNC_TOKEN_URI: the OAuth 2.0 token endpoint delegated (domain-wide) tokens are
    exchanged at. Only the emulator's tenant tests change it (``<emulator>/token``)."""

    iam_endpoint: str = "https://iamcredentials.googleapis.com/"
    """CHATSYNC_IAM_ENDPOINT: base URL of the IAM Credentials API whose signBlob signs the
    delegation JWTs (keyless). google-auth's ``iam.Signer`` has no setting for it, so requests
    for Google's host are sent here instead; only the emulator's tenant tests change it."""

    allow_demo_spaces: bool = False
    """CHATSYNC_ALLOW_DEMO_SPACES: let a rules file name the demo's spaces (``spaces/AAAA...`` of
    the demo seed) against Google's Chat API. Without it such a rules file is refused at cold
    start: the demo's rules must never be deployed as production rules. Against a loopback
    emulator the demo's spaces are always allowed (they exist nowhere else)."""

    state_backend: str = "sqlite"
    """CHATSYNC_STATE_BACKEND: where dedup watermarks, held plans and the audit trail live:
    ``firestore`` in production, ``sqlite`` (a file) for local runs, ``memory`` for tests."""

    state_path: str = ".chatsync/state.sqlite3"
    """CHATSYNC_STATE_PATH: the sqlite file for the ``sqlite`` backend."""

    firestore_database: str = "(default)"
    """CHATSYNC_FIRESTORE_DATABASE: Firestore database id for the ``firestore`` backend."""

    project: str = ""
    """GOOGLE_CLOUD_PROJECT (or CHATSYNC_PROJECT): the Cloud project, for Firestore and Pub/Sub."""

    dry_run: bool = False
    """CHATSYNC_DRY_RUN: plan and log but never write to Chat."""

    drift_mode: str = "revert"
    """CHATSYNC_DRIFT_MODE: what to do with a manual change that contradicts the rules in an
    authoritative space: ``revert`` it or only ``report`` it."""

    events_endpoint: str = "https://workspaceevents.googleapis.com/"
    """CHATSYNC_EVENTS_ENDPOINT: Workspace Events API base URL (subscriptions for drift events);
    the emulator serves the same paths."""

    chat_events_topic: str = ""
    """CHATSYNC_CHAT_EVENTS_TOPIC: ``projects/P/topics/T`` the drift subscriptions deliver to.
    Empty: ``projects/<project>/topics/chatsync-chat-events`` (terraform/pubsub.json)."""

    admin_space: str = ""
    """CHATSYNC_ADMIN_SPACE: ``spaces/<id>`` where the Chat app posts held plans, drift and spaces
    it can no longer manage (app.notifying). The Chat app must be a member of it. Empty: no
    notifications (the log lines and ``chatsync status`` still say everything)."""

    writes_per_minute: float = 300.0
    """CHATSYNC_WRITES_PER_MINUTE: membership writes (create, patch, delete) per minute this
    instance may send. Chat allows 300 per project across every instance of every function:
    Terraform sets floor(300 x the function's quota_share / its max instances)."""

    reads_per_minute: float = 3000.0
    """CHATSYNC_READS_PER_MINUTE: membership reads (get, list) per minute per instance; Chat
    allows 3000 per project, and 15 a second in any one space (always enforced)."""

    max_attempts: int = 4
    """CHATSYNC_MAX_ATTEMPTS: tries per API call within one delivery before handing the
    message back to Pub/Sub for redelivery."""

    request_timeout: float = 30.0
    """CHATSYNC_REQUEST_TIMEOUT: seconds per HTTP request to Google."""

    hash_emails: bool = False
    """CHATSYNC_HASH_EMAILS: log a salted hash instead of email addresses."""

    log_level: str = "INFO"
    """CHATSYNC_LOG_LEVEL: DEBUG, INFO, WARNING or ERROR."""

    log_format: str = "json"
    """CHATSYNC_LOG_FORMAT: ``json`` (one Cloud Logging record a line) or ``text`` (terminals)."""

    snapshot_uri: str = ""
    """CHATSYNC_SNAPSHOT_URI: where a full reconcile publishes the facts and rosters it read,
    ``gs://bucket/path.json`` (or a local file path), for ``chatsync plan --snapshot`` to review
    rules changes in CI without tenant credentials (docs/rules-review.md). Empty: not published."""

    work_topic: str = ""
    """CHATSYNC_WORK_TOPIC: ``projects/P/topics/chatsync-work``, where a full reconcile and a
    group event with many members publish their work items (``app.fanout``); Terraform sets it
    on the reconcile and group functions. Empty: they apply their changes themselves, in one
    invocation (fine for small tenants and local runs)."""

    invocation_budget_s: float = 270.0
    """CHATSYNC_INVOCATION_BUDGET_S: seconds of work one invocation may start (a work item stops
    there, records its cursor and publishes a continuation). Terraform sets the function's
    timeout less a tenth (at least 5 s): 486 for 540 s. Default: 270, the same margin under the
    default 300 s timeout of an event function."""

    work_item_size: int = 50
    """CHATSYNC_WORK_ITEM_SIZE: operations per work item of a full reconcile. 50 at a work
    instance's 45 writes a minute is about a minute of work: the last items of a run end close
    together (measured in docs/fanout.md), and continuations stay rare."""

    stall_minutes: float = 30.0
    """CHATSYNC_STALL_MINUTES: a fanned-out run with items left and no progress for this long is
    reported as stalled (an ERROR log line at each scheduler tick, and ``chatsync reconcile
    --status RUN``). Longer than an invocation (9 minutes) plus Pub/Sub's longest back-off (10)."""

    storage_endpoint: str = "https://storage.googleapis.com/"
    """CHATSYNC_STORAGE_ENDPOINT: Cloud Storage base URL for the snapshot upload; a local fake
    in tests."""

    def __post_init__(self) -> None:
        if not self.auth_mode:
            # The emulator's fixed token names its principal: ``user:<email>`` acts as a person
            # (an admin, as delegation does), anything else as the Chat app.
            app = bool(self.access_token) and not self.access_token.startswith("user:")
            object.__setattr__(self, "auth_mode", "app" if app else "admin")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            var = PREFIX + f.name.upper()
            raw = env.get(var)
            if f.name == "project":
                raw = raw or env.get("GOOGLE_CLOUD_PROJECT") or env.get("GCP_PROJECT")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(var, raw, f.default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "rules_file" not in values and any(env.get(m) for m in DEPLOYED_MARKERS):
            raise ConfigError(
                "CHATSYNC_RULES_FILE is not set in a deployed function (K_SERVICE is set): "
                "name your rules file (Terraform variable rules_file); the demo's rules.yaml "
                "is never used as a default in a deployment"
            )
        settings = cls(**values)
        settings.validate()
        return settings

    def with_overrides(self, **overrides: Any) -> Settings:
        updated = replace(self, **{k: v for k, v in overrides.items() if v is not None})
        updated.validate()
        return updated

    def require_credentials(self) -> None:
        """What building credentials needs (``adapters.credentials.CredentialSets`` calls it):
        in admin mode, the admin to impersonate, unless a fixed token stands in. Commands that
        read only the state store (``status --offline``, ``audit``, ``approve --list``,
        ``reconcile --status``) never build credentials, so they work without it."""
        if self.auth_mode == "admin" and not self.admin_subject and not self.access_token:
            local = "googleapis.com" not in self.chat_endpoint
            raise ConfigError(
                "CHATSYNC_ADMIN_SUBJECT is empty but CHATSYNC_AUTH_MODE='admin' "
                "(expected the email of a Workspace admin to impersonate"
                + (
                    f"; {self.chat_endpoint} is not Google's: for the local emulator pass "
                    "--token app (CHATSYNC_ACCESS_TOKEN=app) instead)"
                    if local
                    else ")"
                )
            )

    def validate(self) -> None:
        _choice("CHATSYNC_AUTH_MODE", self.auth_mode, AUTH_MODES)
        _choice("CHATSYNC_STATE_BACKEND", self.state_backend, STATE_BACKENDS)
        _choice("CHATSYNC_DRIFT_MODE", self.drift_mode, DRIFT_MODES)
        if self.admin_space and not SPACE_NAME.fullmatch(self.admin_space):
            raise ConfigError(
                f"CHATSYNC_ADMIN_SPACE={self.admin_space!r} is not a space name "
                "(expected spaces/<id>, e.g. spaces/AAAAchatsyncadmins)"
            )
        _choice("CHATSYNC_LOG_LEVEL", self.log_level, ("DEBUG", "INFO", "WARNING", "ERROR"))
        _choice("CHATSYNC_LOG_FORMAT", self.log_format, ("json", "text"))
        for var, url in (
            ("CHATSYNC_CHAT_ENDPOINT", self.chat_endpoint),
            ("CHATSYNC_DIRECTORY_ENDPOINT", self.directory_endpoint),
            ("CHATSYNC_EVENTS_ENDPOINT", self.events_endpoint),
            ("CHATSYNC_TOKEN_URI", self.token_uri),
            ("CHATSYNC_IAM_ENDPOINT", self.iam_endpoint),
            ("CHATSYNC_STORAGE_ENDPOINT", self.storage_endpoint),
        ):
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"{var}={url!r} is not a URL (expected http(s)://host[:port]/)")
        for var, value in (
            ("CHATSYNC_WRITES_PER_MINUTE", self.writes_per_minute),
            ("CHATSYNC_READS_PER_MINUTE", self.reads_per_minute),
            ("CHATSYNC_REQUEST_TIMEOUT", self.request_timeout),
        ):
            if value <= 0:
                raise ConfigError(f"{var}={value!r} must be greater than 0")
        if "://" in self.snapshot_uri and not self.snapshot_uri.startswith("gs://"):
            raise ConfigError(
                f"CHATSYNC_SNAPSHOT_URI={self.snapshot_uri!r} is neither gs://bucket/path.json "
                "nor a local file path"
            )
        if self.invocation_budget_s <= 0:
            raise ConfigError(
                f"CHATSYNC_INVOCATION_BUDGET_S={self.invocation_budget_s!r} must be greater than 0"
            )
        if self.work_item_size < 1:
            raise ConfigError(f"CHATSYNC_WORK_ITEM_SIZE={self.work_item_size!r} must be at least 1")
        if self.stall_minutes <= 0:
            raise ConfigError(f"CHATSYNC_STALL_MINUTES={self.stall_minutes!r} must be above 0")
        if self.work_topic and not _TOPIC.fullmatch(self.work_topic):
            raise ConfigError(
                f"CHATSYNC_WORK_TOPIC={self.work_topic!r} is not a topic id "
                "(expected projects/PROJECT/topics/TOPIC)"
            )
        if self.max_attempts < 1:
            raise ConfigError(f"CHATSYNC_MAX_ATTEMPTS={self.max_attempts!r} must be at least 1")

    @property
    def static_tokens(self) -> bool:
        """Fixed bearer tokens (the local emulator) instead of Google credentials."""
        return bool(self.access_token or self.directory_token or self.app_token)

    @property
    def events_topic(self) -> str:
        """Where drift subscriptions deliver: CHATSYNC_CHAT_EVENTS_TOPIC or the default name."""
        return self.chat_events_topic or (
            f"projects/{self.project or 'chatsync-local'}/topics/chatsync-chat-events"
        )

    @classmethod
    def variables(cls) -> tuple[str, ...]:
        """Every environment variable this module reads (Terraform tests compare against it)."""
        return (*(PREFIX + f.name.upper() for f in fields(cls)), "GOOGLE_CLOUD_PROJECT")


def _parse(var: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{var}={raw!r} is not a boolean (expected true or false)")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{var}={raw!r} is not an integer") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{var}={raw!r} is not a number") from None
    return raw


def _choice(var: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{var}={value!r} is not one of {', '.join(allowed)}")
