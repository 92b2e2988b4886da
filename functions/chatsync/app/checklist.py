"""The preflight's checklist: one ``Check`` per line, what the checks read through
(``DoctorDeps``), and the console paths the fixes name. Used by ``app.doctor`` (the run) and
``app.space_checks`` (the checks per rules space).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from chatsync.app.ports import (
    ChatMembers,
    CreatorProbe,
    DirectoryProbe,
    Notifier,
    PubSubInventory,
    StateStore,
    TokenProbe,
    WorkspaceEvents,
)
from chatsync.domain import scopes
from chatsync.domain.rules import Ruleset

Status = Literal["ok", "warn", "fail"]

DWD_CONSOLE = (
    "Admin console > Security > Access and data control > API controls > Manage Domain Wide "
    "Delegation"
)
APPROVAL_CONSOLE = (
    "Admin console > Apps > Google Workspace Marketplace apps > Apps list > (the Chat app) > "
    "Data access > Grant access"
)
CHAT_ADMIN_ROLE = (
    "Admin console > Account > Admin roles: give the admin subject a role with the Google Chat "
    "privilege 'Manage Chat and spaces conversations'"
)
CLIENT_ID = "the runtime account's client id (Terraform output runtime_service_account_client_id)"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the checklist."""

    check: str
    subject: str
    status: Status
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        """``{"check", "subject", "status", "detail", "fix"}`` (the ``--json`` contract)."""
        return {
            "check": self.check,
            "subject": self.subject,
            "status": self.status,
            "detail": self.detail,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class DoctorDeps:
    """What the preflight reads through: the deployment's own edges, and doctor's probes."""

    ruleset: Ruleset
    table: scopes.ScopeTable
    auth_mode: str
    admin_subject: str
    chat: ChatMembers
    """The deployment's Chat port: each method with its own credential set."""
    directory: DirectoryProbe
    tokens: TokenProbe
    store: StateStore
    app_view: ChatMembers | None = None
    """spaces.get as the Chat app (preflight ``app_membership``), admin mode."""
    creator: CreatorProbe | None = None
    """preflight ``app_created``, app mode."""
    events: WorkspaceEvents | None = None
    pubsub: PubSubInventory | None = None
    project: str = ""
    customer: str = "my_customer"
    rules_file: str = ""
    rules_problem: str = ""
    """Why the deployment would refuse the rules file at cold start (``app.deployment``)."""
    notifier: Notifier | None = None
    """The admin space's messages (``CHATSYNC_ADMIN_SPACE``); None or an empty space: off."""


def failed(checks: Sequence[Check]) -> bool:
    return any(c.status == "fail" for c in checks)


def short(exc: BaseException) -> str:
    """An error as one bounded line of detail."""
    text = str(exc)
    return text if len(text) <= 240 else text[:237] + "..."


def text_line(check: Check) -> str:
    """``ok    space  spaces/X (id)  named space 'X'`` plus an indented ``fix:`` line."""
    line = f"{check.status:<5} {check.check:<13} {check.subject}: {check.detail}"
    return line + (f"\n      fix: {check.fix}" if check.fix and check.status != "ok" else "")
