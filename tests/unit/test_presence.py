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
    seen = presence.Presence().observe({A: None, B: Role.MEMBER})
    assert not seen.may_be_in(A)
    assert seen.may_be_in(B)
    assert seen.may_be_in(C)


def test_applied_changes_move_the_record():
    """An add puts the person in, a removal takes them out."""
    start = presence.Presence().observe({A: None, B: Role.MEMBER})
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
    assert records[ANA].role_in(A) is Role.MEMBER
    assert records[bob].role_in(B) is Role.MEMBER


def test_the_record_round_trips_through_the_store_format():
    """to_dict / from_dict keep both sets."""
    record = presence.Presence(frozenset({A, B}), frozenset({A, B, C}), {B: Role.OWNER})
    assert presence.Presence.from_dict(record.to_dict()) == record


def test_the_role_last_seen_is_known_per_space():
    """A read records the role found; a space not found or never checked has no known role."""
    seen = presence.Presence().observe({A: Role.OWNER, B: Role.MEMBER, C: None})
    assert seen.role_in(A) is Role.OWNER
    assert seen.role_in(B) is Role.MEMBER
    assert seen.role_in(C) is None
    assert seen.role_in(SpaceName("spaces/D")) is None


def test_applied_changes_move_the_roles():
    """An add records its role, a role change the new one, a removal forgets it."""
    start = presence.Presence().observe({A: Role.MEMBER, B: Role.MANAGER})
    moved = start.after(
        [
            planning.ChangeRole(A, ANA, "spaces/A/members/1", Role.MEMBER, Role.OWNER),
            planning.RemoveMember(B, ANA, "spaces/B/members/1", Role.MANAGER),
            planning.AddMember(C, ANA, Role.MANAGER),
        ]
    )
    assert (moved.role_in(A), moved.role_in(B), moved.role_in(C)) == (
        Role.OWNER,
        None,
        Role.MANAGER,
    )


def test_a_record_written_before_roles_were_kept_knows_no_role():
    """An old record (no ``roles``): present, but the role must be read."""
    old = presence.Presence.from_dict({"present": ["spaces/A"], "checked": ["spaces/A"]})
    assert old.may_be_in(A)
    assert old.role_in(A) is None
    assert old.observe({A: Role.MEMBER}).role_in(A) is None


def test_a_full_reconcile_records_roles_above_member():
    owner = Membership(space=A, email=ANA, role=Role.OWNER, name="spaces/A/members/1")
    current = {A: planning.SpaceState(A, {ANA: owner}, frozenset({ANA}), complete=True)}
    (record,) = presence.from_rosters([ANA], current, ()).values()
    assert record.role_in(A) is Role.OWNER
    assert presence.documents({ANA: record})[ANA]["roles"] == {A: "owner"}


def test_a_failed_add_leaves_the_space_to_be_read():
    """An add that failed may have landed with any role: the space is read next time."""
    start = presence.Presence().observe({A: None})
    unsure = start.unsure([A])
    assert unsure.may_be_in(A)
    assert unsure.role_in(A) is None
