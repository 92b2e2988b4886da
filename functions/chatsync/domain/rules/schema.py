"""The rules file in code: frozen values built by ``loading`` and read by ``evaluating``.

A ``Ruleset`` names the managed spaces, the protected people, the rules, the safety limits and
which source owns which fact.
A rule grants one role in some spaces to the people its ``when`` condition selects, unless its
``unless`` condition excludes them. Conditions form a small tree: attribute tests, group tests,
and ``all`` / ``any`` / ``not``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from chatsync.domain import model
from chatsync.domain.facts import Policy as FactsPolicy

Mode = Literal["authoritative", "additive"]
Outsiders = Literal["remove", "keep"]
Operator = Literal["equals", "in", "regex", "prefix"]

STRING_ATTRIBUTES = (
    "department",
    "title",
    "job_level",
    "org_unit_path",
    "location",
    "cost_center",
    "division",
    "employment_status",
    "email",
    "manager_email",
)
BOOLEAN_ATTRIBUTES = ("is_people_manager",)
ATTRIBUTES = STRING_ATTRIBUTES + BOOLEAN_ATTRIBUTES
"""Selectable attributes besides ``custom.<key>``."""
EMAIL_ATTRIBUTES = ("email", "manager_email")
"""Compared case-insensitively."""


@dataclass(frozen=True, slots=True)
class AttributeTest:
    """``department: {in: [Platform, Data]}`` and friends."""

    attribute: str
    operator: Operator
    values: tuple[str | bool, ...]
    """One value for equals/regex/prefix, several for ``in``."""
    pattern: re.Pattern[str] | None = None
    """The compiled ``regex`` (full match)."""


@dataclass(frozen=True, slots=True)
class GroupTest:
    """Membership of Google Groups (nested included): any of them, or all of them."""

    groups: tuple[model.Email, ...]
    require_all: bool = False


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every condition holds (an empty ``AllOf`` selects everyone)."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one condition holds."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    condition: Condition


Condition = AttributeTest | GroupTest | AllOf | AnyOf | Not


@dataclass(frozen=True, slots=True)
class Space:
    """One managed Chat space."""

    id: str
    """The short handle rules use."""
    name: model.SpaceName
    mode: Mode
    """``authoritative``: converge fully; ``additive``: never remove or demote (inactive aside)."""
    description: str = ""
    outsiders: Outsiders = "remove"
    """Members the Directory does not know (people of other organizations, deleted accounts):
    ``remove`` them like anyone no rule selects, or ``keep`` them as they are."""


@dataclass(frozen=True, slots=True)
class Rule:
    """Grant ``role`` in ``spaces`` to whoever ``when`` selects and ``unless`` does not."""

    id: str
    role: model.Role
    spaces: tuple[model.SpaceName, ...]
    """Resolved space names (``"*"`` expands to every managed space)."""
    when: Condition
    unless: Condition | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Safety:
    """Blast-radius limits; None means "no limit". Enforced outside the pure core."""

    max_removals_per_event: int | None = None
    max_removals_per_run: int | None = None
    max_removal_percent: float | None = None
    min_space_size_for_percent: int | None = None
    max_removals_per_window: int | None = None
    """Removals + demotions that events may apply within any ``window_minutes`` (rolling)."""
    window_minutes: int = 60


@dataclass(frozen=True, slots=True)
class Ruleset:
    """A loaded, validated rules file."""

    spaces: tuple[Space, ...]
    """Sorted by space name."""
    rules: tuple[Rule, ...]
    """In file order."""
    protected: frozenset[model.Email] = frozenset()
    safety: Safety = field(default_factory=Safety)
    source: str = "<rules>"
    """The file it came from, for messages."""
    version: int = 1
    facts: FactsPolicy = field(default_factory=FactsPolicy)
    """Which source (HR or the Directory) owns which attribute (``domain.facts``)."""

    def space(self, name: str) -> Space | None:
        """The managed space with this resource name or handle, or None."""
        for space in self.spaces:
            if name in (space.name, space.id):
                return space
        return None

    @property
    def managed(self) -> frozenset[model.SpaceName]:
        return frozenset(space.name for space in self.spaces)

    @property
    def uses_groups(self) -> bool:
        """Whether any rule looks at group membership (so facts need the Directory's groups)."""
        return any(
            _has_group(rule.when) or (rule.unless is not None and _has_group(rule.unless))
            for rule in self.rules
        )

    def rules_for(self, space: model.SpaceName) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if space in rule.spaces)

    def groups_named(self) -> frozenset[model.Email]:
        """Every group a rule's ``when`` or ``unless`` names: the only groups whose members
        the facts need, so the Directory can read these instead of every group."""
        named: set[model.Email] = set()
        for rule in self.rules:
            _collect_groups(rule.when, named)
            if rule.unless is not None:
                _collect_groups(rule.unless, named)
        return frozenset(named)


def _has_group(condition: Condition) -> bool:
    if isinstance(condition, GroupTest):
        return True
    if isinstance(condition, AllOf | AnyOf):
        return any(_has_group(c) for c in condition.conditions)
    if isinstance(condition, Not):
        return _has_group(condition.condition)
    return False


def _collect_groups(condition: Condition, into: set[model.Email]) -> None:
    if isinstance(condition, GroupTest):
        into.update(condition.groups)
    elif isinstance(condition, AllOf | AnyOf):
        for part in condition.conditions:
            _collect_groups(part, into)
    elif isinstance(condition, Not):
        _collect_groups(condition.condition, into)
