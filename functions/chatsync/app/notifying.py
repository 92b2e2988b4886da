"""Tell the admin space: a held plan, drift, a space chatsync can no longer manage, a stalled run.

The use cases call ``held_plan`` (``app.gate``), ``drift`` (``app.drifting``),
``space_unmanageable`` / ``results_unmanageable`` (``app.applying``, ``app.handling``; the
per-space failure isolation calls ``space_unmanageable`` for each space it skips) and
``work_run_stalled`` (``app.fanout.check_runs``, at each tick that finds a run stalled). Each
builds a ``domain.notices.Notice`` and ``send`` posts it through the ``Notifier`` port
(``adapters.chat.messages``: ``spaces.messages.create`` as the Chat app, scope ``chat.bot``).

* **Never fails the event.** Any failure, Chat's or the store's, is one WARNING line
  (``notification="failed"``, ``notice``, ``http_status``) and the notice is dropped; the
  event goes on as if nothing was posted.
* **Once per key.** The keys posted are kept in the store (``notifications`` records): a
  redelivered event finds its key and posts nothing. The adapter also sends a request id made
  from the key, so two instances racing on one key still make one message.
* **Coalesced.** Keys bundle bursts (``domain.notices``): one message per held plan, per space
  and hour of drift, per broken space and day, per stalled run.
* **Paced.** Chat takes one message a second per space: the adapter waits its turn, and a 429
  is retried after its Retry-After, at most ``POLICY.max_attempts`` tries in all.
* **Not in a dry run**, and not without an admin space (``NullNotifier``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from chatsync.app import records
from chatsync.app.deps import Deps
from chatsync.app.executing import OpResult, Outcome
from chatsync.app.logs import Logger
from chatsync.app.retrying import RetryPolicy, retry
from chatsync.domain import errors, notices, work_runs

POLICY = RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=10.0)
"""Tries per post: Chat's per-space limit is one message a second, so a 429 clears quickly."""

UNMANAGEABLE = (403, 404)
"""Statuses that mean chatsync cannot manage a space (another status is not the space's fault)."""


def handles(deps: Deps) -> dict[str, str]:
    """Space name -> its handle in the rules file, to name spaces the way the admin does."""
    return {space.name: space.id for space in deps.ruleset.spaces}


def held_plan(deps: Deps, doc: Mapping[str, Any], *, log: Logger) -> str | None:
    """A plan a safety limit held: what, who, why and ``chatsync approve PLAN_ID``."""
    return _guarded(deps, log, lambda: notices.held_plan(doc, handles=handles(deps)))


def drift(
    deps: Deps,
    *,
    space: str,
    person: str,
    change: str,
    operations: Sequence[str],
    reasons: Sequence[str],
    reverted: bool,
    why_not_reverted: str = "",
    log: Logger,
) -> str | None:
    """A manual change that contradicts the rules, reverted or only reported."""
    return _guarded(
        deps,
        log,
        lambda: notices.drift(
            space=space,
            person=person,
            change=change,
            operations=operations,
            reasons=reasons,
            reverted=reverted,
            why_not_reverted=why_not_reverted,
            handle=handles(deps).get(space, ""),
            at=deps.clock(),
        ),
    )


def space_unmanageable(
    deps: Deps, *, space: str, status: int, detail: str, method: str = "", log: Logger
) -> str | None:
    """One managed space Chat answered 403 or 404 for: the hook for per-space isolation."""
    return spaces_unmanageable(deps, [notices.Unmanageable(space, status, detail, method)], log=log)


def spaces_unmanageable(
    deps: Deps, broken: Iterable[notices.Unmanageable], *, log: Logger
) -> str | None:
    """Spaces Chat refused, one message for those not already posted today."""
    try:
        now = deps.clock()
        fresh: dict[str, notices.Unmanageable] = {}
        for item in broken:
            if item.status not in UNMANAGEABLE or not item.space:
                continue
            key = notices.unmanageable_key(item.space, item.status, at=now)
            if key not in fresh and deps.store.get_doc(records.NOTIFICATIONS, key) is None:
                fresh[key] = item
    except Exception as exc:  # a notification never fails the event
        _failed(log, "space_unmanageable", "", exc)
        return None
    if not fresh:
        return None
    notice = notices.unmanageable(list(fresh.values()), handles=handles(deps), at=now)
    return send(deps, notice, log=log, covers=tuple(fresh))


def results_unmanageable(deps: Deps, results: Sequence[OpResult], *, log: Logger) -> str | None:
    """Changes Chat refused with 403 or 404: their spaces cannot be managed as things stand."""
    broken = [
        notices.Unmanageable(r.op.space, r.http_status or 0, r.detail, _method(r))
        for r in results
        if r.outcome is Outcome.FAILED_PERMANENT and r.http_status in UNMANAGEABLE
    ]
    return spaces_unmanageable(deps, broken, log=log) if broken else None


def error_unmanageable(deps: Deps, exc: errors.ChatApiError, *, log: Logger) -> str | None:
    """A read that raised 403 or 404 for a managed space (the event is dropped as before)."""
    if exc.status not in UNMANAGEABLE or deps.ruleset.space(exc.space) is None:
        return None
    return space_unmanageable(
        deps, space=exc.space, status=exc.status, detail=str(exc), method="", log=log
    )


def work_run_stalled(deps: Deps, state: work_runs.RunStatus, *, log: Logger) -> str | None:
    """A fanned-out run without progress: once per run, whichever tick reports it first."""
    return _guarded(
        deps,
        log,
        lambda: notices.work_run_stalled(state, stall_minutes=deps.options.stall_minutes),
    )


def send(
    deps: Deps, notice: notices.Notice, *, log: Logger, covers: Sequence[str] = ()
) -> str | None:
    """Post ``notice`` unless its key was posted; return the message name, or None.

    ``covers``: further keys the message stands for (recorded with it, so none of them is
    posted again).
    """
    admin = deps.notifier.space
    if not admin or deps.options.dry_run:
        return None
    fields = {"notice": notice.kind, "notice_key": notice.key, "admin_space": admin}
    try:
        if deps.store.get_doc(records.NOTIFICATIONS, notice.key) is not None:
            log.info(
                "notification already posted: not posted again",
                notification="already_posted",
                **fields,
            )
            return None
        name = retry(
            lambda: deps.notifier.post(notice.text(), key=notice.key),
            policy=POLICY,
            sleep=deps.sleep,
            rng=random.Random(),
        )
        record: records.Notification = {
            "at": deps.clock(),
            "notice": notice.kind,
            "space": admin,
            "message": name,
        }
        deps.store.put_docs(
            records.NOTIFICATIONS,
            {key: dict(record) for key in dict.fromkeys((notice.key, *covers))},
        )
    except Exception as exc:  # a notification never fails the event
        _failed(log, notice.kind, notice.key, exc, admin_space=admin)
        return None
    log.info("notification posted", notification="posted", message_name=name, **fields)
    return name


def _failed(log: Logger, kind: str, key: str, exc: Exception, **fields: Any) -> None:
    log.warning(
        f"notification not posted: {exc}",
        notification="failed",
        notice=kind,
        notice_key=key,
        http_status=exc.status if isinstance(exc, errors.ChatApiError) else None,
        error_type=type(exc).__name__,
        **fields,
    )


def _method(result: OpResult) -> str:
    """The API method an error detail starts with (``spaces.members.patch spaces/S/... -> 403``)."""
    first = result.detail.split(" ", 1)[0]
    return first if first.startswith("spaces.") else ""


def _guarded(deps: Deps, log: Logger, build: Callable[[], notices.Notice]) -> str | None:
    """``send(build())``; a notice that cannot even be built is logged and dropped."""
    try:
        notice = build()
    except Exception as exc:  # a notification never fails the event
        _failed(log, "", "", exc)
        return None
    return send(deps, notice, log=log)
