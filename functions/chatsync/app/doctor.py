"""``chatsync doctor``: a preflight of a deployment against its tenant, before any write.

Every check runs with the deployment's own credentials (the scope table's sets for its auth
mode) and only reads. Each answers ``ok``, ``warn`` or ``fail`` with the detail and, when it is
not ``ok``, the exact fix: the console path, the scope string, or the Terraform variable.

- ``auth``: the mode, and whom admin mode acts as.
- ``token`` (one per credential set the mode uses): a token is exchanged now. A delegated set
  refused with ``unauthorized_client`` is probed one scope at a time, so the fix names exactly
  the scopes the Admin console's domain-wide delegation entry lacks (the whole token fails for
  one missing scope: developers.google.com/identity/protocols/oauth2/service-account).
- ``directory``: users.list of the customer and groups.list of the first user.
- Per rules space: ``space`` (it exists, it is a named ``SPACE`` and not a group chat or a DM:
  a missing space, a group chat or a DM fails), ``members`` (the roster is readable with the
  members' credentials: app mode needs the admin's approval of chat.app.memberships), and
  ``app_created`` in app mode (app authentication changes roles only in spaces the Chat app
  created and removes managers only as their creator: developers.google.com/workspace/chat/
  update-members, spaces.members.delete reference; a warn where the rules need that), or
  ``app_member`` in admin mode (drift subscriptions are made by the Chat app, which must be in
  the space: developers.google.com/workspace/chat/authenticate-authorize-chat-app).
- ``events``: subscriptions.list with chat.bot works (creating one needs the approved
  chat.app.memberships.readonly, which only a create can prove: doctor writes nothing).
- ``pubsub`` with a project: every topic and subscription of ``terraform/pubsub.json`` exists
  (a warn when there are no credentials to look).
- ``broken_spaces``: spaces the running deployment recorded as refusing it (``app.broken``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from chatsync.app import broken
from chatsync.app.ports import (
    ChatMembers,
    CreatorProbe,
    DirectoryProbe,
    PubSubInventory,
    StateStore,
    TokenProbe,
    WorkspaceEvents,
)
from chatsync.domain import errors, scopes
from chatsync.domain.model import SpaceName, SpaceType
from chatsync.domain.rules import Ruleset
from chatsync.domain.rules.schema import Space

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


def run(deps: DoctorDeps) -> list[Check]:
    """Every check, in the order an admin fixes them (credentials first)."""
    checks = [_rules(deps), _auth(deps), *_tokens(deps), *_directory(deps)]
    usable: list[SpaceName] = []
    for managed in deps.ruleset.spaces:
        found = list(_space(deps, managed))
        checks += found
        if not any(c.status == "fail" for c in found):
            usable.append(managed.name)
    checks += _events(deps, usable)
    checks += _pubsub(deps)
    checks += _recorded(deps)
    return checks


def failed(checks: Sequence[Check]) -> bool:
    return any(c.status == "fail" for c in checks)


# -- credentials ------------------------------------------------------------------------------


def _rules(deps: DoctorDeps) -> Check:
    if deps.rules_problem:
        return Check(
            "rules",
            deps.rules_file,
            "fail",
            deps.rules_problem,
            "write your own rules file and set Terraform variable rules_file "
            "(CHATSYNC_RULES_FILE); check it with chatsync check",
        )
    return Check("rules", deps.rules_file, "ok", f"{len(deps.ruleset.spaces)} managed spaces")


def _auth(deps: DoctorDeps) -> Check:
    if deps.auth_mode == "admin":
        who = f" as {deps.admin_subject}" if deps.admin_subject else ""
        detail = (
            f"delegated Chat admin access (useAdminAccess){who}: manages every existing space "
            "of the organization"
        )
    else:
        detail = (
            "the Chat app itself: it must be a member of each space and changes roles only in "
            "spaces it created"
        )
    if deps.tokens.static:
        detail += "; fixed bearer token (CHATSYNC_ACCESS_TOKEN: emulator only)"
    return Check("auth", deps.auth_mode, "ok", detail)


def _tokens(deps: DoctorDeps) -> Iterator[Check]:
    if deps.tokens.static:
        return
    for used in deps.table.used(deps.auth_mode, preflight=True):
        error = deps.tokens.exchange(used.name)
        methods = ", ".join(deps.table.methods_of(used.name, deps.auth_mode))
        if error is None:
            yield Check("token", used.name, "ok", f"{' '.join(used.scopes)} for {methods}")
            continue
        status: Status = "warn" if used.optional else "fail"
        yield Check("token", used.name, status, f"no token: {error}", _token_fix(deps, used, error))


def _token_fix(deps: DoctorDeps, used: scopes.CredentialSet, error: str) -> str:
    if "signBlob" in error or "signJwt" in error or "IAM_PERMISSION_DENIED" in error:
        return (
            "grant roles/iam.serviceAccountTokenCreator on the runtime service account to itself "
            "(Terraform does: apply it) and enable iamcredentials.googleapis.com"
        )
    if used.delegated and "Invalid email or User ID" in error:
        return (
            f"CHATSYNC_ADMIN_SUBJECT={deps.admin_subject!r} is not an active user of the "
            "organization: set Terraform variable admin_subject to a Workspace admin's address"
        )
    if used.delegated:
        missing = deps.tokens.refused(used.name) or used.scopes
        urls = ",".join(scopes.SCOPE_URL + s for s in missing)
        every = ",".join(scopes.SCOPE_URL + s for s in deps.table.delegated_scopes(deps.auth_mode))
        return (
            f"{DWD_CONSOLE}: for {CLIENT_ID} add the OAuth scope(s) {urls} (the whole entry: "
            f"{every}; Terraform output domain_wide_delegation_scopes)"
        )
    return "check Application Default Credentials of the runtime service account"


def _directory(deps: DoctorDeps) -> Iterator[Check]:
    where = f"customer {deps.customer}"
    fix = (
        f"{DWD_CONSOLE}: allow {scopes.SCOPE_URL}admin.directory.user.readonly and "
        f"{scopes.SCOPE_URL}admin.directory.group.readonly for {CLIENT_ID}, and make "
        "CHATSYNC_ADMIN_SUBJECT (Terraform variable admin_subject) an administrator who may read "
        "users and groups"
    )
    try:
        first = deps.directory.first_user()
    except errors.SyncError as exc:
        yield Check("directory", where, "fail", f"users.list: {_short(exc)}", fix)
        return
    if first is None:
        yield Check(
            "directory",
            where,
            "fail",
            "users.list returned nobody",
            "set CHATSYNC_DIRECTORY_CUSTOMER (Terraform variable directory_customer) to your "
            "customer id, or my_customer",
        )
        return
    try:
        deps.directory.groups_of(first)
    except errors.SyncError as exc:
        yield Check("directory", where, "fail", f"groups.list: {_short(exc)}", fix)
        return
    yield Check("directory", where, "ok", f"users and groups readable (e.g. {first})")


# -- spaces -----------------------------------------------------------------------------------


def _space(deps: DoctorDeps, managed: Space) -> Iterator[Check]:
    space = managed.name
    subject = f"{space} ({managed.id})"
    try:
        info = deps.chat.get_space(space)
    except errors.SpaceUnreachable as exc:
        yield Check(
            "space",
            subject,
            "fail",
            f"Chat answered {exc.status}: {_short(exc)}",
            broken.fix(exc.status, deps.auth_mode),
        )
        return
    except errors.SyncError as exc:
        yield Check("space", subject, "fail", _short(exc), "run chatsync doctor again")
        return
    if info.space_type is not SpaceType.SPACE:
        kind = "a group chat" if info.space_type is SpaceType.GROUP_CHAT else "a direct message"
        yield Check(
            "space",
            subject,
            "fail",
            f"{kind} ({info.space_type.value}): chatsync manages named spaces only",
            f"remove {space} from the rules file (CHATSYNC_RULES_FILE) or name a space instead",
        )
        return
    yield Check("space", subject, "ok", f"named space {info.display_name!r}")
    yield _members(deps, space, subject)
    if deps.auth_mode == "app":
        yield _creator(deps, managed, subject)
    elif deps.app_view is not None:
        yield _app_member(deps, space, subject)


def _members(deps: DoctorDeps, space: SpaceName, subject: str) -> Check:
    used = deps.table.set_for("chat.spaces.members.list", deps.auth_mode)
    try:
        deps.chat.list_members(space, owners_only=True)
    except errors.SyncError as exc:
        status = exc.status if isinstance(exc, errors.ChatApiError) else 0
        if deps.auth_mode == "app":
            fix = (
                f"approve {scopes.SCOPE_URL}{used.scopes[0]} for the Chat app ({APPROVAL_CONSOLE}),"
                " and add the Chat app to the space"
            )
        else:
            fix = broken.fix(status or 403, deps.auth_mode) + f"; {CHAT_ADMIN_ROLE}"
        return Check("members", subject, "fail", f"members.list: {_short(exc)}", fix)
    return Check("members", subject, "ok", f"roster readable ({' '.join(used.scopes)})")


def _needs_roles(deps: DoctorDeps, managed: Space) -> list[str]:
    """Why the rules may need role changes or manager removals in the space (empty: never)."""
    why = [
        f"rule {r.id!r} grants {r.role.value}"
        for r in deps.ruleset.rules
        if managed.name in r.spaces and r.role.value in ("owner", "manager")
    ]
    if managed.mode == "authoritative":
        why.append("the space is authoritative (managers no rule selects are removed)")
    return why


def _creator(deps: DoctorDeps, managed: Space, subject: str) -> Check:
    needs = _needs_roles(deps, managed)
    if deps.creator is None:
        return Check("app_created", subject, "warn", "not checked", _creator_fix(needs))
    created = deps.creator.app_created(managed.name)
    if created:
        return Check("app_created", subject, "ok", "created by the Chat app: roles can change here")
    if created is None:
        return Check(
            "app_created",
            subject,
            "warn",
            "cannot tell whether the Chat app created this space (spaces.get with "
            f"chat.app.spaces: {deps.creator.last_error or 'no answer'})",
            f"optional: approve {scopes.SCOPE_URL}chat.app.spaces for the Chat app "
            f"({APPROVAL_CONSOLE}) so doctor can tell; or use auth_mode=admin",
        )
    if not needs:
        return Check(
            "app_created",
            subject,
            "ok",
            "created by a person; the rules only add and remove members here, which app "
            "authentication may do",
        )
    return Check(
        "app_created",
        subject,
        "warn",
        "created by a person, not the Chat app: app authentication can add and remove members "
        f"here but cannot change roles or remove managers ({'; '.join(needs)}); those changes "
        "would be refused (403) and the space reported as broken",
        _creator_fix(needs),
    )


def _creator_fix(needs: Sequence[str]) -> str:
    if not needs:
        return ""
    return (
        'set Terraform variable auth_mode = "admin" (the default: delegated Chat admin access '
        "manages existing spaces), or manage only spaces the Chat app created"
    )


def _app_member(deps: DoctorDeps, space: SpaceName, subject: str) -> Check:
    assert deps.app_view is not None
    try:
        deps.app_view.get_space(space)
    except errors.SyncError as exc:
        return Check(
            "app_member",
            subject,
            "warn",
            f"the Chat app cannot see the space ({_short(exc)}): no drift events from it; manual "
            "changes there are found by the full reconcile only",
            "add the Chat app to the space (in Chat: the space > Apps & integrations > Add apps)",
        )
    return Check("app_member", subject, "ok", "the Chat app is a member: drift events possible")


# -- events, Pub/Sub, records ------------------------------------------------------------------


def _events(deps: DoctorDeps, usable: Sequence[SpaceName]) -> Iterator[Check]:
    if deps.events is None:
        return
    if not usable:
        yield Check("events", "subscriptions", "warn", "no usable space to look at")
        return
    space = usable[0]
    create = deps.table.set_for("workspaceevents.subscriptions.create", deps.auth_mode)
    try:
        found = deps.events.find(space)
    except errors.SyncError as exc:
        yield Check(
            "events",
            space,
            "fail",
            f"subscriptions.list (chat.bot): {_short(exc)}",
            "enable workspaceevents.googleapis.com and configure the Chat app in the project "
            "(Google Cloud console > APIs & Services > Google Chat API > Configuration)",
        )
        return
    yield Check(
        "events",
        space,
        "ok",
        f"subscriptions.list works ({len(found)} live); create uses "
        f"{' '.join(create.scopes)}, approved for the Chat app ({APPROVAL_CONSOLE})",
    )


def _pubsub(deps: DoctorDeps) -> Iterator[Check]:
    if not deps.project or deps.pubsub is None:
        return
    subject = f"projects/{deps.project}"
    try:
        missing = deps.pubsub.missing(deps.project)
    except PermissionError as exc:
        yield Check(
            "pubsub",
            subject,
            "warn",
            f"not checked: {exc}",
            "run with Application Default Credentials (gcloud auth application-default login)",
        )
        return
    if missing:
        yield Check(
            "pubsub",
            subject,
            "fail",
            f"missing: {', '.join(missing)}",
            "terraform apply (terraform/pubsub.json names every topic and subscription)",
        )
        return
    yield Check("pubsub", subject, "ok", "every topic and subscription of terraform/pubsub.json")


def _recorded(deps: DoctorDeps) -> Iterator[Check]:
    managed = {s.name for s in deps.ruleset.spaces}
    for space, doc in broken.listed(deps.store):
        if space in managed:
            yield Check(
                "broken_spaces",
                space,
                "warn",
                f"recorded by the deployment: Chat answered {doc.get('status')} "
                f"{int(doc.get('count', 0))} time(s); pending: {len(doc.get('pending', []))}",
                f"{doc.get('fix', '')}; the next full reconcile applies it once fixed",
            )


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 240 else text[:237] + "..."


def text_line(check: Check) -> str:
    """``ok    space  spaces/X (id)  named space 'X'`` plus an indented ``fix:`` line."""
    line = f"{check.status:<5} {check.check:<13} {check.subject}: {check.detail}"
    return line + (f"\n      fix: {check.fix}" if check.fix and check.status != "ok" else "")
