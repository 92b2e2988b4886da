"""Presence records: where a person was last checked and found."""

from __future__ import annotations

from chatsync.app import presence
from chatsync.domain import planning
from chatsync.domain.model import Email, Membership, Role, SpaceName

A, B, C = SpaceName("spaces/A"), SpaceName("spaces/B"), SpaceName("spaces/C")
ANA = Email("ana@example.com")


def test_an_unchecked_space_may_hold_the_person():
    """Never checked: the person may be there, so it must be read."""
    assert presence.Presence().may_be_in(A)


def test_a_checked_space_without_the_person_needs_no_read():
    """Checked and not found: nothing there to remove."""
    seen = presence.Presence().observe({A: False, B: True})
    assert not seen.may_be_in(A)
    assert seen.may_be_in(B)
    assert seen.may_be_in(C)


def test_applied_changes_move_the_record():
    """An add puts the person in, a removal takes them out."""
    start = presence.Presence().observe({A: False, B: True})
    moved = start.after(
        [
            planning.AddMember(A, ANA, Role.MEMBER),
            planning.RemoveMember(B, ANA, "spaces/B/members/1", Role.MEMBER),
        ]
    )
    assert moved.present == {A}
    assert moved.checked == {A, B}


def test_a_full_reconcile_checks_every_surveyed_space_for_everyone():
    """People found nowhere are recorded as checked everywhere, present nowhere."""
    member = Membership(space=A, email=ANA, role=Role.MEMBER, name="spaces/A/members/1")
    current = {
        A: planning.SpaceState(A, {ANA: member}, frozenset(), complete=True),
        B: planning.SpaceState(B, {}, frozenset(), complete=True),
    }
    bob = Email("bob@example.com")
    records = presence.from_rosters([ANA, bob], current, [planning.AddMember(B, bob, Role.MEMBER)])
    assert records[ANA] == presence.Presence(frozenset({A}), frozenset({A, B}))
    assert records[bob] == presence.Presence(frozenset({B}), frozenset({A, B}))


def test_the_record_round_trips_through_the_store_format():
    """to_dict / from_dict keep both sets."""
    record = presence.Presence(frozenset({A}), frozenset({A, C}))
    assert presence.Presence.from_dict(record.to_dict()) == record
