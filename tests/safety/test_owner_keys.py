"""The last-owner guard knows the plan's own people when Chat lists owners by id only."""

from __future__ import annotations

from types import SimpleNamespace

from chatsync.app import gate
from chatsync.domain import planning
from chatsync.domain.model import Email, Membership, Role, SpaceName

SPACE = SpaceName("spaces/AAAAplatform")
RAJ = Email("raj.mehta@example.com")


class IdsOnly:
    """A Chat port that lists owners as user auth does: users/{id}, no email."""

    def list_members(self, space: SpaceName, *, owners_only: bool = False) -> list[Membership]:
        return [
            Membership(
                space=space, email=None, role=Role.OWNER, name=f"{space}/members/7", user="users/7"
            )
        ]


def test_the_sole_owner_listed_by_id_is_recognised_as_the_person_removed():
    """Owners map to the plan's emails by membership name, so one owner is one owner."""
    removal = planning.RemoveMember(SPACE, RAJ, f"{SPACE}/members/7", Role.OWNER)
    pipeline = SimpleNamespace(chat=IdsOnly())
    current = gate.owners_of(pipeline, planning.Plan((removal,), ()))  # type: ignore[arg-type]
    assert current[SPACE].owners == {RAJ}
