"""Rules compiled into lookup tables, so a person is tried only against the rules that may match.

``evaluate`` tries every rule for every person: a 100,000-person reconcile over 1,000 spaces
would run a hundred million condition checks to find the few rules each person matches. A
``CompiledRules`` indexes every rule's ``when`` by the facts it needs:

* equality and ``in`` on an attribute or ``custom.<key>``: a hash table value -> rules;
* ``prefix``: per attribute, a table of prefixes looked up at each prefix length in use; for
  ``org_unit_path``, the OU and each of its ancestors (a sub-OU matches, a sibling never does);
* ``group``: group -> rules (``group: {all: [...]}`` is filed under its first group);
* ``all``: filed under its most selective indexable part; ``any``: under every part;
* anything else (``regex``, ``not``, ``everyone``, an ``any`` with such a part) cannot say
  which people it needs: those rules are tried for everyone.

An index key is a necessary condition, never a sufficient one: ``candidates`` may return rules
that do not match, and every candidate is then checked in full by ``evaluating.explain_rule``
(``unless`` included), and decided by ``evaluating.decide``. ``evaluate`` stays the one
definition of what the rules mean; ``evaluate_indexed`` returns exactly its decisions, and
``decide_all`` exactly the ones the full reconcile keeps (a role somewhere, or a current member
of that space), at a cost that grows with matches and memberships instead of people x rules.
Within one ``decide_all`` a rule's verdict is remembered per distinct value of the facts it
reads (a department rule is checked once per department), since it depends on nothing else.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from chatsync.domain import model
from chatsync.domain.rules import schema
from chatsync.domain.rules.evaluating import RuleExplanation, decide, explain_rule

_UNIT = "org_unit_path"
_BROAD = frozenset({*schema.BOOLEAN_ATTRIBUTES, "employment_status"})
"""Attributes with a handful of values: a key on them selects a large share of everyone."""

_Key = tuple[str, str, str | bool]
"""``("eq", attribute, value)``, ``("prefix", attribute, text)``, ``("unit", "", base)`` or
``("group", "", email)``."""


@dataclass(frozen=True, slots=True)
class _Prefixes:
    lengths: tuple[int, ...]
    """The distinct prefix lengths in ``table``: a value is cut at each, then looked up."""
    table: Mapping[str, tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class _Reads:
    """The facts one rule reads: its verdict is a function of these alone."""

    attributes: tuple[str, ...]
    groups: tuple[model.Email, ...]
    values: Callable[[Mapping[str, object]], object]
    """The attributes' values out of a person's ``facts`` (``operator.itemgetter``)."""

    def key(self, facts: Mapping[str, object], person: model.Person) -> object:
        if not self.groups:
            return self.values(facts)
        return (self.values(facts), *(group in person.groups for group in self.groups))


@dataclass(frozen=True, slots=True)
class CompiledRules:
    """A ruleset's rules filed by the facts their ``when`` needs. Build with ``compile_rules``."""

    ruleset: schema.Ruleset
    equal: Mapping[str, Mapping[str | bool, tuple[int, ...]]]
    """attribute -> value -> positions of the rules in ``ruleset.rules``."""
    prefixes: Mapping[str, _Prefixes]
    """attribute (not ``org_unit_path``) -> its prefix table."""
    units: Mapping[str, tuple[int, ...]]
    """``org_unit_path`` prefix without trailing ``/`` -> rules."""
    groups: Mapping[model.Email, tuple[int, ...]]
    scanned: tuple[int, ...]
    """Rules whose ``when`` cannot be indexed: tried for everyone."""
    keyed_on: Mapping[str, tuple[int, ...]]
    """attribute -> every rule filed under it (for a fact of an unexpected type)."""
    considered: Mapping[model.SpaceName, tuple[str, ...]]
    """Ids of the rules naming each space, in file order: what a no-role decision cites."""
    reads: tuple[_Reads | None, ...]
    """Per rule, the facts its ``when`` and ``unless`` read; None when one is an email (unique
    to a person, so remembering the verdict would not pay)."""
    attributes: tuple[str, ...]
    """Every attribute a rule reads: a person's are read once per person (``facts``)."""
    groups_named: frozenset[model.Email] = frozenset()
    """Every group a rule's ``when`` or ``unless`` names (``Ruleset.groups_named``)."""

    def candidates(self, person: model.Person) -> tuple[schema.Rule, ...]:
        """The rules whose ``when`` may hold for ``person``, in file order (a superset of the
        rules that match: each still needs a full check)."""
        rules = self.ruleset.rules
        return tuple(rules[i] for i in self.candidate_positions(person))

    def candidate_spaces(self, person: model.Person) -> frozenset[model.SpaceName]:
        """The spaces where some rule may give ``person`` a role."""
        return frozenset(name for rule in self.candidates(person) for name in rule.spaces)

    def facts(self, person: model.Person) -> dict[str, object]:
        """The person's value of every attribute a rule reads, by rules-file name."""
        return {name: person.attribute(name) for name in self.attributes}

    def candidate_positions(
        self, person: model.Person, facts: Mapping[str, object] | None = None
    ) -> list[int]:
        """Positions in ``ruleset.rules`` of the candidates, ascending (``facts``: the
        person's, when already read)."""
        facts = self.facts(person) if facts is None else facts
        hits: set[int] = set(self.scanned)
        for name, table in self.equal.items():
            actual = facts[name]
            # The same three paths as evaluating._attribute: a flag, not set, or text.
            if isinstance(actual, bool) or name in schema.BOOLEAN_ATTRIBUTES:
                hits.update(table.get(bool(actual), ()))
            elif isinstance(actual, str):
                hits.update(table.get(_text(name, actual), ()))
            elif actual is not None:
                hits.update(self.keyed_on[name])
        for name, prefixes in self.prefixes.items():
            actual = facts[name]
            if isinstance(actual, str) and name not in schema.BOOLEAN_ATTRIBUTES:
                value = _text(name, actual)
                for length in prefixes.lengths:
                    if length > len(value):
                        break
                    hits.update(prefixes.table.get(value[:length], ()))
            elif actual is not None and not isinstance(actual, bool):
                hits.update(self.keyed_on[name])
        if self.units:
            unit = facts[_UNIT]
            if isinstance(unit, str):
                for base in _unit_bases(unit):
                    hits.update(self.units.get(base, ()))
            elif unit is not None and not isinstance(unit, bool):
                hits.update(self.keyed_on[_UNIT])
        if self.groups:
            for group in person.groups:
                hits.update(self.groups.get(group, ()))
        return sorted(hits)


def compile_rules(ruleset: schema.Ruleset) -> CompiledRules:
    """Index every rule of ``ruleset`` (linear in the size of the rules)."""
    equal: dict[str, dict[str | bool, list[int]]] = {}
    prefixes: dict[str, dict[str, list[int]]] = {}
    units: dict[str, list[int]] = {}
    groups: dict[model.Email, list[int]] = {}
    scanned: list[int] = []
    keyed_on: dict[str, list[int]] = {}
    for position, rule in enumerate(ruleset.rules):
        keys = _keys(rule.when)
        if keys is None:
            scanned.append(position)
            continue
        for kind, name, value in sorted(keys, key=repr):
            if kind == "group":
                groups.setdefault(model.Email(str(value)), []).append(position)
                continue
            if kind == "unit":
                units.setdefault(str(value), []).append(position)
            elif kind == "prefix":
                prefixes.setdefault(name, {}).setdefault(str(value), []).append(position)
            else:
                equal.setdefault(name, {}).setdefault(value, []).append(position)
            keyed_on.setdefault(_UNIT if kind == "unit" else name, []).append(position)
    read: set[str] = {*equal, *prefixes, *([_UNIT] if units else [])}
    reads = tuple(_reads(rule, read) for rule in ruleset.rules)
    considered: dict[model.SpaceName, list[str]] = {}
    for rule in ruleset.rules:
        for name in rule.spaces:  # as evaluate groups them, a repeated space included
            considered.setdefault(name, []).append(rule.id)
    return CompiledRules(
        ruleset=ruleset,
        equal={a: {v: _once(p) for v, p in t.items()} for a, t in equal.items()},
        prefixes={
            a: _Prefixes(tuple(sorted({len(p) for p in t})), {p: _once(r) for p, r in t.items()})
            for a, t in prefixes.items()
        },
        units={b: _once(p) for b, p in units.items()},
        groups={g: _once(p) for g, p in groups.items()},
        scanned=tuple(scanned),
        keyed_on={a: _once(p) for a, p in keyed_on.items()},
        considered={s: tuple(ids) for s, ids in considered.items()},
        reads=reads,
        attributes=tuple(sorted(read)),
        groups_named=ruleset.groups_named(),
    )


def evaluate_indexed(compiled: CompiledRules, person: model.Person) -> tuple[model.Decision, ...]:
    """Exactly ``evaluate(compiled.ruleset, person)``, checking only the candidate rules."""
    ruleset = compiled.ruleset
    granting = _granting(compiled, person) if person.active else {}
    return tuple(
        decide(
            ruleset,
            space,
            person,
            granting=granting.get(space.name, ()),
            considered=compiled.considered.get(space.name, ()),
        )
        for space in ruleset.spaces
    )


def decide_all(
    compiled: CompiledRules,
    people: Iterable[model.Person],
    rosters: Mapping[model.SpaceName, Collection[model.Email]],
) -> list[model.Decision]:
    """The full reconcile's decisions: for each person (in order), the spaces of ``rosters``
    (in ``ruleset.spaces`` order) where they get a role or are a current member.

    Equal to evaluating everyone and keeping ``role is not None or email in rosters[space]``,
    but a person costs their candidate rules and their memberships, not every managed space.
    ``rosters`` maps each space read to the emails of its current members (a ``SpaceState``'s
    ``members`` will do); spaces not in it are not decided.
    """
    ruleset = compiled.ruleset
    spaces = ruleset.spaces
    at: dict[model.SpaceName, list[int]] = {}
    for position, space in enumerate(spaces):
        if space.name in rosters:
            at.setdefault(space.name, []).append(position)
    member_of: dict[model.Email, list[int]] = {}
    for name, members in rosters.items():
        for position in at.get(name, ()):
            for email in members:
                member_of.setdefault(email, []).append(position)
    decisions: list[model.Decision] = []
    verdicts: _Verdicts = {}
    for person in people:
        chosen = set(member_of.get(person.email, ()))
        granting = _granting(compiled, person, verdicts) if person.active else {}
        for name in granting:
            chosen.update(at.get(name, ()))
        for position in sorted(chosen):
            space = spaces[position]
            decisions.append(
                decide(
                    ruleset,
                    space,
                    person,
                    granting=granting.get(space.name, ()),
                    considered=compiled.considered.get(space.name, ()),
                )
            )
    return decisions


_Verdicts = dict[tuple[int, object], RuleExplanation | None]
"""Rule position and the facts it read -> its explanation when it matches (None: it does not),
shared by everyone with those facts."""
_UNSEEN = object()


def _granting(
    compiled: CompiledRules, person: model.Person, verdicts: _Verdicts | None = None
) -> dict[model.SpaceName, list[RuleExplanation]]:
    """The candidate rules that match, by space, in file order (as ``evaluate`` groups them).

    With ``verdicts``, a rule's explanation is computed once per distinct set of the facts it
    reads: a verdict and its wording depend on nothing else (``check`` quotes the facts it
    tested and the rule's own values, never the person's email unless the rule tests it).
    """
    by_space: dict[model.SpaceName, list[RuleExplanation]] = {}
    rules = compiled.ruleset.rules
    facts = compiled.facts(person)
    for position in compiled.candidate_positions(person, facts):
        reads = compiled.reads[position]
        if verdicts is None or reads is None:
            result: RuleExplanation | None = _matched(explain_rule(rules[position], person))
        else:
            key = (position, reads.key(facts, person))
            found = verdicts.get(key, _UNSEEN)
            if found is _UNSEEN:
                found = verdicts[key] = _matched(explain_rule(rules[position], person))
            result = cast(RuleExplanation | None, found)
        if result is not None:
            for name in result.spaces:
                by_space.setdefault(name, []).append(result)
    return by_space


def _matched(result: RuleExplanation) -> RuleExplanation | None:
    return result if result.matched else None


def _keys(condition: schema.Condition) -> frozenset[_Key] | None:
    """Keys one of which every person the condition selects has; None: cannot be indexed."""
    if isinstance(condition, schema.AttributeTest):
        return _attribute_keys(condition)
    if isinstance(condition, schema.GroupTest):
        if not condition.groups:  # all of no groups holds for everyone; any of none, for no one
            return None if condition.require_all else frozenset()
        chosen = condition.groups[:1] if condition.require_all else condition.groups
        return frozenset(("group", "", g) for g in chosen)
    if isinstance(condition, schema.AnyOf):
        union: set[_Key] = set()
        for part in condition.conditions:
            keys = _keys(part)
            if keys is None:
                return None
            union |= keys
        return frozenset(union)
    if isinstance(condition, schema.AllOf):
        options = [k for k in (_keys(c) for c in condition.conditions) if k is not None]
        return min(options, key=lambda k: (_breadth(k), len(k)), default=None)
    return None  # Not: selects whoever lacks something, which no table lists


def _reads(rule: schema.Rule, attributes: set[str]) -> _Reads | None:
    """What ``rule`` reads; its attributes are added to ``attributes`` too."""
    mine: set[str] = set()
    groups: set[model.Email] = set()
    stack: list[schema.Condition] = [rule.when] if rule.unless is None else [rule.when, rule.unless]
    while stack:
        condition = stack.pop()
        if isinstance(condition, schema.AttributeTest):
            mine.add(condition.attribute)
        elif isinstance(condition, schema.GroupTest):
            groups.update(condition.groups)
        elif isinstance(condition, schema.Not):
            stack.append(condition.condition)
        else:
            stack.extend(condition.conditions)
    attributes |= mine
    if mine & set(schema.EMAIL_ATTRIBUTES):
        return None
    names = tuple(sorted(mine))
    values = operator.itemgetter(*names) if names else _nothing
    return _Reads(names, tuple(sorted(groups)), values)


def _nothing(facts: Mapping[str, object]) -> object:
    return ()


def _attribute_keys(test: schema.AttributeTest) -> frozenset[_Key] | None:
    name, values = test.attribute, test.values
    if not values:
        return None  # not what the loader builds: left to the evaluator as is
    # A flag (a boolean attribute, or a custom value that is a bool) passes when it is in values.
    flags = {("eq", name, v) for v in values if isinstance(v, bool)}
    if name in schema.BOOLEAN_ATTRIBUTES:
        return frozenset(flags)
    first = values[0]
    if test.operator == "equals":
        return frozenset(flags | ({("eq", name, first)} if isinstance(first, str) else set()))
    if test.operator == "in":
        return frozenset(flags | {("eq", name, v) for v in values if isinstance(v, str)})
    if test.operator == "prefix" and isinstance(first, str) and not flags:
        if name == _UNIT:
            return frozenset({("unit", "", first.rstrip("/"))})
        return frozenset({("prefix", name, first)})
    return None  # regex, or a prefix that is not text


def _breadth(keys: frozenset[_Key]) -> int:
    """How many people a key set may bring in, roughly: 0 a team, 2 a large share, 3 everyone."""
    worst = 0
    for kind, name, value in keys:
        if kind in ("prefix", "unit") and value == "":
            worst = max(worst, 3)
        elif kind == "eq" and name in _BROAD:
            worst = max(worst, 2)
        elif kind in ("prefix", "unit"):
            worst = max(worst, 1)
    return worst


def _text(name: str, actual: str) -> str:
    return actual.lower() if name in schema.EMAIL_ATTRIBUTES else actual


def _unit_bases(path: str) -> list[str]:
    """Every ``org_unit_path`` prefix (trailing ``/`` removed) that selects ``path``: the empty
    one, the path itself, and each ancestor (``/a/b`` -> ``""``, ``/a``, ``/a/b``)."""
    bases = ["", path]
    bases += [path[:i] for i, char in enumerate(path) if char == "/" and i]
    return bases


def _once(positions: Sequence[int]) -> tuple[int, ...]:
    return tuple(sorted(set(positions)))
