"""``chatsync doctor``: a preflight of a deployment against its tenant, before any write.

The checklist types live in ``app.checklist``, the checks of one space in ``app.space_checks``.

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

from chatsync.app import broken, space_checks
from chatsync.app.checklist import (
    APPROVAL_CONSOLE,
    CLIENT_ID,
    DWD_CONSOLE,
    Check,
    DoctorDeps,
    Status,
    failed,
    short,
    text_line,
)
from chatsync.domain import errors, scopes
from chatsync.domain.model import SpaceName

__all__ = ["Check", "DoctorDeps", "failed", "run", "text_line"]


def run(deps: DoctorDeps) -> list[Check]:
    """Every check, in the order an admin fixes them (credentials first)."""
    checks = [_rules(deps), _auth(deps), *_tokens(deps), *_directory(deps)]
    usable: list[SpaceName] = []
    for managed in deps.ruleset.spaces:
        found = list(space_checks.checks(deps, managed))
        checks += found
        if not any(c.status == "fail" for c in found):
            usable.append(managed.name)
    checks += _events(deps, usable)
    checks += _pubsub(deps)
    checks += _admin_space(deps)
    checks += _recorded(deps)
    return checks


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
        yield Check("directory", where, "fail", f"users.list: {short(exc)}", fix)
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
        yield Check("directory", where, "fail", f"groups.list: {short(exc)}", fix)
        return
    yield Check("directory", where, "ok", f"users and groups readable (e.g. {first})")


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
            f"subscriptions.list (chat.bot): {short(exc)}",
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


def _admin_space(deps: DoctorDeps) -> Iterator[Check]:
    """The Chat app can post held plans and broken spaces to the admin space (it must be a
    member: developers.google.com/workspace/chat/create-messages, app authentication)."""
    notifier = deps.notifier
    if notifier is None:
        return
    if not notifier.space:
        yield Check(
            "admin_space",
            "CHATSYNC_ADMIN_SPACE",
            "warn",
            "no admin space: held plans and spaces chatsync cannot manage are only logged",
            "create a space for the admins, add the Chat app to it, and set Terraform variable "
            "admin_space (CHATSYNC_ADMIN_SPACE) to its name, spaces/...",
        )
        return
    try:
        name = notifier.check()
    except errors.SyncError as exc:
        yield Check(
            "admin_space",
            notifier.space,
            "fail",
            f"the Chat app cannot reach the admin space: {short(exc)}",
            "add the Chat app to the space (in Chat: the space > Apps & integrations > Add apps), "
            "or correct Terraform variable admin_space",
        )
        return
    yield Check("admin_space", notifier.space, "ok", f"the Chat app can post in {name!r}")


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
