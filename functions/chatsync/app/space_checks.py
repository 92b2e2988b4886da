"""The preflight's checks of one rules space (``chatsync doctor``, see ``app.doctor``).

``space``: it exists and is a named ``SPACE`` (a missing space, a group chat or a DM fails).
``members``: its roster is readable with the deployment's members credentials. In app mode,
``app_created``: app authentication changes roles only in spaces the Chat app created and removes
managers only as their creator (developers.google.com/workspace/chat/update-members;
spaces.members.delete reference), so a person-made space where the rules need that fails. In
admin mode, ``app_member``: drift subscriptions are made by the Chat app, which must be in the
space (developers.google.com/workspace/chat/authenticate-authorize-chat-app).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from chatsync.app import broken
from chatsync.app.checklist import APPROVAL_CONSOLE, CHAT_ADMIN_ROLE, Check, DoctorDeps, short
from chatsync.domain import errors, scopes
from chatsync.domain.model import SpaceName, SpaceType
from chatsync.domain.rules.schema import Space


def checks(deps: DoctorDeps, managed: Space) -> Iterator[Check]:
    space = managed.name
    subject = f"{space} ({managed.id})"
    try:
        info = deps.chat.get_space(space)
    except errors.SpaceUnreachable as exc:
        yield Check(
            "space",
            subject,
            "fail",
            f"Chat answered {exc.status}: {short(exc)}",
            broken.fix(exc.status, deps.auth_mode),
        )
        return
    except errors.SyncError as exc:
        yield Check("space", subject, "fail", short(exc), "run chatsync doctor again")
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
        return Check("members", subject, "fail", f"members.list: {short(exc)}", fix)
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
        "fail",
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
            f"the Chat app cannot see the space ({short(exc)}): no drift events from it; manual "
            "changes there are found by the full reconcile only",
            "add the Chat app to the space (in Chat: the space > Apps & integrations > Add apps)",
        )
    return Check("app_member", subject, "ok", "the Chat app is a member: drift events possible")
