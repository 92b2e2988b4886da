"""The facts service: a person's facts, read and merged the same way on every path.

Reads the latest HR snapshot (``app.hr_snapshots``), the Directory (``users.get`` with the
person's groups; a 404 is an account that does not exist) and the group changes a Directory
read may not show yet (``app.group_changes``), and merges them per attribute under the rules
file's ``facts`` policy (``domain.facts.merge``). Every path reads facts here: HR events
(``person_sync``), group and Directory user events (``group_fanout``), drift (``drifting``),
the full reconcile (``reconciling``), and through them ``chatsync explain``, ``chatsync plan``
and the demo. So an event and the reconcile after it decide the same thing about a person.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from chatsync.app import group_changes, hr_snapshots
from chatsync.app.deferred import DueEvent
from chatsync.app.deps import Deps
from chatsync.domain import errors
from chatsync.domain.facts import DirectoryRead, Facts, HrSnapshot, merge
from chatsync.domain.model import Account, Email


def of(deps: Deps, key: str) -> Facts:
    """The person at ``key`` (an email, or a Directory id as Chat events give it)."""
    read_at = deps.clock()
    try:
        listed = deps.directory.get_person(key, groups=_rules_name_groups(deps))
    except errors.PersonNotFound:
        listed = None
    address = listed.email if listed is not None else Email(key.lower())
    hr = hr_snapshots.latest(deps.store, address)
    if hr is None and address != key.lower():  # HR may know the person by an alias
        hr = hr_snapshots.latest(deps.store, Email(key.lower()))
    changes = group_changes.of(deps.store, address)
    return merge(
        address, hr, DirectoryRead(listed, read_at), deps.ruleset.facts, changes, now=read_at
    )


def _rules_name_groups(deps: Deps) -> bool:
    """Whether a person's groups can decide anything: some rule names a group. When none does,
    an event reads the account alone (one ``users.get``, no ``groups.list`` walk)."""
    compiled = deps.compiled
    if compiled is not None and compiled.ruleset is deps.ruleset:
        return bool(compiled.groups_named)
    return bool(deps.ruleset.groups_named())


def subjects(deps: Deps, address: str) -> list[Facts]:
    """The person at ``address``; or, when it is a group (an Admin audit log names nested groups
    and users alike), everyone in it; or, when neither exists, a person with no account."""
    found = of(deps, address)
    if found.person.account is not Account.DELETED:
        return [found]
    try:
        members = deps.directory.group_members(Email(address.lower()))
    except errors.PersonNotFound:
        return [found]
    return [of(deps, member) for member in sorted(members)]


def everyone(
    deps: Deps, *, due: Sequence[DueEvent] = (), groups: Collection[Email] | None = None
) -> list[Facts]:
    """Everyone in the Directory, for the full reconcile: one ``users.list`` (with their
    memberships of ``groups``, the ones the rules name; None: every group), one listing each of
    HR snapshots and group changes. ``due`` deferred HR events count as applied, each where it
    is newer than the person's stored snapshot."""
    read_at = deps.clock()
    listed = deps.directory.list_people(groups)
    snapshots = hr_snapshots.everyone(deps.store)
    for event in due:
        held = snapshots.get(event.person.email)
        if held is None or event.mark.is_newer_than(hr_snapshots.mark_of(held)):
            snapshots[event.person.email] = HrSnapshot(
                event.person, event.key, event.mark.occurred_at, event.mark.sequence
            )
    changes = group_changes.everyone(deps.store)
    return [
        merge(
            person.email,
            snapshots.get(person.email),
            DirectoryRead(person, read_at),
            deps.ruleset.facts,
            changes.get(person.email, ()),
            now=read_at,
        )
        for person in listed
    ]
