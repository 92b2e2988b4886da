"""Which managed spaces chatsync may touch: named spaces only, never DMs or group chats."""

from __future__ import annotations

from chatsync.app.deps import Deps
from chatsync.app.logs import Logger
from chatsync.domain.model import SpaceName, SpaceType


def is_named_space(deps: Deps, space: SpaceName, log: Logger) -> bool:
    """True for a named space; a DM or group chat in the rules is logged at ERROR and left alone."""
    kind = deps.space_types.of(deps.chat, space)
    if kind is not SpaceType.SPACE:
        log.error(
            "managed space is not a named space: chatsync leaves DMs and group chats "
            "alone; remove it from the rules file",
            space=space,
            space_type=kind.value,
        )
        return False
    return True
