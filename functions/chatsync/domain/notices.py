"""What chatsync tells the admin space, as text: a held plan, drift, a space it cannot manage, a
fanned-out run that stalled.

Each ``Notice`` says what happened, who it touches, why, and the exact command to approve or
fix it; ``text()`` renders it in Chat's text formatting (``*bold*``, `` `code` ``, bullets;
developers.google.com/workspace/chat/format-messages). Pure: ``app.notifying`` decides when to
post one and ``adapters.chat.messages`` posts it.

A notice's ``key`` is what makes it one message and no more: the same key is posted once
(``app.notifying`` keeps the keys it posted). Keys coalesce bursts:

* ``held:<plan id>``: one message per held plan, whatever redelivers it;
* ``drift:<mode>:<space>:<hour>``: the first drift in a space each hour (a burst of manual
  changes is one message; the rest are in the audit trail and the drift records);
* ``unmanageable:<space>:<status>:<day>``: a broken space once a day while it stays broken;
  the spaces one delivery finds broken are one message (``app.notifying`` records each
  space's key, so a space already posted today is left out of the next message);
* ``stalled:<run id>``: one message per stalled run, however many ticks report it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chatsync.domain import holding, messages, work_runs

MAX_LISTED = 20
"""Lines of a list (people, operations) shown before "... and N more"."""

MAX_BYTES = 30_000
"""Chat takes at most 32,000 bytes a message (spaces.messages.create); leave room."""

HOUR, DAY = 3600.0, 86400.0

KINDS = (
    "held_plan",
    "drift_reverted",
    "drift_reported",
    "space_unmanageable",
    "work_run_stalled",
)

WORK_DEAD_LETTERS = messages.DEFAULT_TOPICS["work"] + "-dlq"
"""The work topic's dead-letter topic (``terraform/pubsub.json``: topic + ``dead_letter_suffix``),
where an item goes after its last failed delivery."""
WORK_DEAD_LETTERS_INSPECT = WORK_DEAD_LETTERS + "-inspect"
"""The pull subscription on it (``dead_letter_subscription_suffix``), to look at those items."""


@dataclass(frozen=True, slots=True)
class Notice:
    """One message for the admin space."""

    kind: str
    """One of ``KINDS``: the ``notice`` field of the log lines about it."""
    key: str
    """Posted once per key (see the module docstring)."""
    title: str
    what: str
    who: tuple[str, ...]
    why: tuple[str, ...]
    commands: tuple[tuple[str, str], ...]
    """``(what it does, the command)``, in the order an admin would run them."""
    note: str = ""

    def text(self) -> str:
        """The message in Chat's text formatting, cut to ``MAX_BYTES``."""
        lines = [f"*{self.title}*", f"*What:* {self.what}"]
        if self.who:
            lines.append("*Who:*")
            lines += [f"• {line}" for line in listed(self.who)]
        if self.why:
            lines.append("*Why:*")
            lines += [f"• {line}" for line in listed(self.why)]
        for label, command in self.commands:
            lines.append(f"*{label}:* `{command}`")
        if self.note:
            lines.append(f"_{self.note}_")
        return cut("\n".join(lines))


def listed(items: Sequence[str], limit: int = MAX_LISTED) -> list[str]:
    """The first ``limit`` items, then how many more there are."""
    shown = list(items[:limit])
    if len(items) > limit:
        shown.append(f"... and {len(items) - limit} more")
    return shown


def cut(text: str, limit: int = MAX_BYTES) -> str:
    """``text`` whole if it fits in ``limit`` UTF-8 bytes, else its start and a marker."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: limit - 40].decode(errors="ignore") + "\n... (cut: message too long)"


def label(space: str, handles: Mapping[str, str]) -> str:
    """``spaces/S (handle)`` when the rules file names the space, else ``spaces/S``."""
    handle = handles.get(space)
    return f"{space} ({handle})" if handle else space


def held_plan(doc: Mapping[str, object], *, handles: Mapping[str, str]) -> Notice:
    """A plan a safety limit held (``domain.holding`` document)."""
    plan_id = str(doc.get("plan_id", ""))
    ops = holding.operations(doc)
    spaces = sorted({op.space for op in ops})
    counts: dict[str, int] = {}
    for op in ops:
        counts[op.verb] = counts.get(op.verb, 0) + 1
    summary = ", ".join(f"{n} {verb}" for verb, n in sorted(counts.items()))
    where = ", ".join(label(s, handles) for s in spaces)
    reasons = doc.get("reasons")
    scope = str(doc.get("scope", ""))
    came = "a full reconcile" if scope == "run" else "one event"
    return Notice(
        kind="held_plan",
        key=f"held:{plan_id}",
        title=f"chatsync: plan {plan_id} held for approval",
        what=(
            f"{len(ops)} change(s) ({summary}) in {where}, from {came} "
            f"({doc.get('run_id', '')}), exceed a safety limit: nothing of it was applied."
        ),
        who=tuple(op.describe() for op in ops),
        why=tuple(str(r) for r in reasons) if isinstance(reasons, list) else (),
        commands=(
            ("Review it in full", f"chatsync approve --show {plan_id}"),
            ("Apply it", f"chatsync approve {plan_id}"),
            ("See held plans", "chatsync approve --list"),
        ),
        note=(
            "If it is a mistake, fix the source (the HR feed, the group, the rules): a held plan "
            "is never applied unless someone approves it."
        ),
    )


def drift(
    *,
    space: str,
    person: str,
    change: str,
    operations: Sequence[str],
    reasons: Sequence[str],
    reverted: bool,
    why_not_reverted: str = "",
    handle: str = "",
    at: float,
) -> Notice:
    """A manual change in a managed space that contradicts the rules: reverted or reported."""
    mode = "reverted" if reverted else "reported"
    name = label(space, {space: handle} if handle else {})
    target = handle or space
    if reverted:
        what = (
            f"a membership in {name} was changed by hand ({change}); it contradicts the rules, "
            "so chatsync reverted it."
        )
        commands: tuple[tuple[str, str], ...] = (
            ("Why the rules decide so", f"chatsync explain {person} {target}"),
            ("What was reverted", f"chatsync audit --space {space}"),
        )
        note = (
            "If the change was meant, change the rules (a rule for the person, or mode: "
            "additive for the space); otherwise nothing to do."
        )
    else:
        what = (
            f"a membership in {name} was changed by hand ({change}); it contradicts the rules "
            f"and was reported, not reverted ({why_not_reverted})."
        )
        commands = (
            ("Why the rules decide so", f"chatsync explain {person} {target}"),
            ("Apply the rules to the space", f"chatsync reconcile --space {target}"),
        )
        note = "Reported drift is kept in the drift records: chatsync status lists them."
    return Notice(
        kind=f"drift_{mode}",
        key=f"drift:{mode}:{space}:{int(at // HOUR)}",
        title=f"chatsync: drift {mode} in {name}",
        what=what,
        who=tuple(operations) or (person,),
        why=tuple(reasons),
        commands=commands,
        note=note + " Further drift in this space within the hour is not posted again.",
    )


def unmanageable_key(space: str, status: int, *, at: float) -> str:
    """The key of one broken space on one day: a space is posted once a day per status."""
    return f"unmanageable:{space}:{status}:{int(at // DAY)}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Unmanageable:
    """One space Chat refused (403) or did not show (404) to chatsync."""

    space: str
    status: int
    detail: str
    """The error as logged: the call, Chat's status and message, and the fix chatsync knows."""
    method: str = ""


def unmanageable(
    broken: Sequence[Unmanageable], *, handles: Mapping[str, str], at: float
) -> Notice:
    """Managed spaces chatsync can no longer manage (403/404 from Chat), one message for all."""
    spaces = sorted({b.space for b in broken})
    statuses = sorted({b.status for b in broken})
    first = spaces[0] if spaces else ""
    handle = handles.get(first, "") or first
    fixes = []
    if 403 in statuses:
        fixes.append(
            "403: app auth: add the Chat app to the space (app auth changes roles only in "
            "spaces the app created); admin auth: the delegation must allow "
            "chat.admin.memberships and the admin subject needs the Chat admin privilege."
        )
    if 404 in statuses:
        fixes.append(
            "404: the space was deleted, or the app is not in it (app auth): restore or re-add "
            "the app, or take the space out of the rules file."
        )
    keys = sorted({unmanageable_key(b.space, b.status, at=at) for b in broken})
    return Notice(
        kind="space_unmanageable",
        key=keys[0] if len(keys) == 1 else "unmanageable:" + _digest("\n".join(keys)),
        title=(
            "chatsync: cannot manage "
            + (label(first, handles) if len(spaces) == 1 else f"{len(spaces)} spaces")
        ),
        what=(
            "Chat refused chatsync in managed space(s) "
            + ", ".join(label(s, handles) for s in spaces)
            + ": no change there is applied until it is fixed."
        ),
        who=tuple(
            f"{label(b.space, handles)}: {b.status} on {b.method or 'a call'}" for b in broken
        ),
        why=tuple(dict.fromkeys(fixes + [b.detail for b in broken])),
        commands=(
            ("Check the setup", "chatsync doctor"),
            ("Then apply what waited", f"chatsync reconcile --space {handle}"),
        ),
        note="Posted once a day per space while it stays broken.",
    )


STALL_CAUSES = (
    "an item failed every delivery Pub/Sub allows (Chat or the Directory failing, rate limits "
    f"that outlasted the retries) and was dead-lettered to {WORK_DEAD_LETTERS}",
    "the work function cannot start",
    "the work topic has no push subscription to the work function",
)
"""What a run without progress looks like from the run document (``domain.work_runs``)."""

ORIGINS = {
    "reconcile": "a full reconcile",
    "reconcile_spaces": "a reconcile of some spaces",
    "group": "a group event",
}
"""A run's ``origin`` (``app.fanout``), as the message says it."""


def work_run_stalled(state: work_runs.RunStatus, *, stall_minutes: float) -> Notice:
    """A fanned-out run with items left and no progress for ``stall_minutes`` (``app.fanout``).

    What follows depends on the run's origin, as ``app.reconciling`` does it: a scheduled full
    reconcile supersedes a stalled full-reconcile run and plans again; nothing supersedes a run
    of a group event or of some spaces, which each tick reports again while it stays stalled.
    """
    run_id = state.run_id
    came = ORIGINS.get(state.origin, state.origin or "an unknown origin")
    idle = round(state.idle_s / 60, 1)
    if state.origin == "reconcile":
        note = (
            "A scheduled full reconcile supersedes a stalled full-reconcile run (at the tick that "
            "finds it stalled) and plans again from the rosters as they are then; items of this "
            "run delivered after that are acked unapplied. If the new run stalls too, the cause "
            "is still there."
        )
    else:
        note = (
            "Nothing supersedes a run of this origin: each scheduler tick reports it again while "
            "it stays stalled (this message is not repeated). The next full reconcile plans "
            "every managed space from its roster, so what this run's items left undone is "
            "planned there too."
        )
    return Notice(
        kind="work_run_stalled",
        key=f"stalled:{run_id}",
        title=f"chatsync: work run {run_id} stalled",
        what=(
            f"run {run_id}, from {came} ({state.origin}), has made no progress for {idle:g} "
            f"minutes (CHATSYNC_STALL_MINUTES={stall_minutes:g}): {state.items_done} of "
            f"{state.items_total} work items done, {state.items_left} left, "
            f"{state.items_failed} done with failed changes."
        ),
        who=(),
        why=STALL_CAUSES,
        commands=(
            ("Look at the run", f"chatsync reconcile --status {run_id}"),
            (
                f"Look at items dead-lettered to {WORK_DEAD_LETTERS}",
                f"gcloud pubsub subscriptions pull {WORK_DEAD_LETTERS_INSPECT} --limit 10",
            ),
            ("Count every dead-letter backlog", "chatsync status --project PROJECT"),
        ),
        note=note,
    )
