"""Facts about a person -> the role they should hold in each managed space, and why.

``evaluate`` gives one ``model.Decision`` per managed space; ``explain`` gives the whole story:
the facts, every rule with the condition that decided it (and the actual value), and the
outcome per space. Both are pure and deterministic.

Semantics: the highest role granted by a matching rule wins; a rule whose ``unless`` holds grants
nothing; inactive people (``model.INACTIVE``) hold no role anywhere; protected people are
evaluated like anyone else but their decisions carry ``protected=True`` so nobody changes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from chatsync.domain import model
from chatsync.domain.facts import Fact
from chatsync.domain.rules import schema

_NO_SOURCES: Mapping[str, Fact] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of one condition for one person, in words (with the actual value)."""

    passed: bool
    text: str


@dataclass(frozen=True, slots=True)
class RuleExplanation:
    rule_id: str
    role: model.Role
    spaces: tuple[model.SpaceName, ...]
    when: Check
    unless: Check | None
    description: str = ""

    @property
    def excluded(self) -> bool:
        return self.when.passed and self.unless is not None and self.unless.passed

    @property
    def matched(self) -> bool:
        """Selected by ``when`` and not excluded by ``unless``: the rule grants its role."""
        return self.when.passed and not self.excluded

    @property
    def reason(self) -> str:
        if self.excluded and self.unless is not None:
            return f"rule '{self.rule_id}' excluded: unless {self.unless.text}"
        if self.matched:
            return f"rule '{self.rule_id}' matched: {self.when.text}"
        return f"rule '{self.rule_id}' did not match: {self.when.text}"


@dataclass(frozen=True, slots=True)
class SpaceExplanation:
    space: model.SpaceName
    handle: str
    mode: schema.Mode
    decision: model.Decision


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything ``evaluate`` looked at and concluded about one person."""

    email: model.Email
    facts: Mapping[str, object]
    protected: bool
    inactive: bool
    rules: tuple[RuleExplanation, ...]
    spaces: tuple[SpaceExplanation, ...]
    sources: Mapping[str, Fact] = field(default_factory=lambda: _NO_SOURCES)
    """Where each fact came from (``domain.facts``), when the caller knows."""

    def lines(self) -> tuple[str, ...]:
        """A readable rendering, one line per fact (and its source), rule and space."""
        out = [f"{self.email}"]
        for name, value in self.facts.items():
            out.append(f"  fact {name}: {_plain(value)}")
            if name in self.sources:
                out.append(f"      {self.sources[name].describe()}")
        if self.protected:
            out.append("  protected: never changed by chatsync")
        if self.inactive:
            out.append("  inactive: holds no role in any managed space")
        for rule in self.rules:
            mark = "+" if rule.matched else "-"
            out.append(f"  {mark} {rule.reason} (grants {rule.role.value})")
        for space in self.spaces:
            role = space.decision.role.value if space.decision.role else "none"
            out.append(f"  => {space.space} ({space.handle}, {space.mode}): {role}")
        return tuple(out)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (for ``chatsync explain --json`` and log records)."""
        return {
            "email": self.email,
            "facts": {
                k: sorted(v) if isinstance(v, frozenset) else v for k, v in self.facts.items()
            },
            "sources": {name: fact.as_dict() for name, fact in self.sources.items()},
            "protected": self.protected,
            "inactive": self.inactive,
            "rules": [
                {
                    "id": r.rule_id,
                    "role": r.role.value,
                    "spaces": list(r.spaces),
                    "matched": r.matched,
                    "excluded": r.excluded,
                    "when": r.when.text,
                    "unless": None if r.unless is None else r.unless.text,
                    "reason": r.reason,
                }
                for r in self.rules
            ],
            "spaces": [
                {
                    "space": s.space,
                    "id": s.handle,
                    "mode": s.mode,
                    "role": None if s.decision.role is None else s.decision.role.value,
                    "rules": list(s.decision.rule_ids),
                    "reasons": list(s.decision.reasons),
                }
                for s in self.spaces
            ],
        }


def evaluate(ruleset: schema.Ruleset, person: model.Person) -> tuple[model.Decision, ...]:
    """One decision per managed space, sorted by space name."""
    results = tuple(explain_rule(rule, person) for rule in ruleset.rules)
    # Rules by space once, so a ruleset of many spaces costs rules + spaces, not rules x spaces.
    by_space: dict[model.SpaceName, list[RuleExplanation]] = {}
    for result in results:
        for name in result.spaces:
            by_space.setdefault(name, []).append(result)
    return tuple(
        _decide(ruleset, space, person, tuple(by_space.get(space.name, ())))
        for space in ruleset.spaces
    )


def explain(
    ruleset: schema.Ruleset,
    person: model.Person,
    space: str | None = None,
    *,
    sources: Mapping[str, Fact] = _NO_SOURCES,
) -> Explanation:
    """The facts, each rule's verdict with the deciding condition, and the outcome per space.

    ``space`` (a space name or handle) narrows the rules and outcomes to one managed space;
    an unmanaged one raises ``ValueError``. ``sources`` (``domain.facts.Facts.sources``) says
    where each fact came from and as of when.
    """
    spaces = ruleset.spaces
    if space is not None:
        found = ruleset.space(space)
        if found is None:
            known = ", ".join(f"{s.id} ({s.name})" for s in ruleset.spaces)
            raise ValueError(f"{space!r} is not a managed space; managed: {known}")
        spaces = (found,)
    names = {s.name for s in spaces}
    results = tuple(
        explain_rule(rule, person) for rule in ruleset.rules if names & set(rule.spaces)
    )
    return Explanation(
        email=person.email,
        facts=facts(person),
        protected=person.email in ruleset.protected,
        inactive=not person.active,
        rules=results,
        spaces=tuple(
            SpaceExplanation(s.name, s.id, s.mode, _decide(ruleset, s, person, results))
            for s in spaces
        ),
        sources=sources,
    )


def facts(person: model.Person) -> Mapping[str, object]:
    """The attributes rules can select on, by their rules-file names."""
    values: dict[str, object] = {name: person.attribute(name) for name in schema.ATTRIBUTES}
    custom = person.custom
    # The Directory adapter files a custom attribute twice, as ``HR.job_level`` and as
    # ``job_level`` (what rules usually name): show it once, by the short name.
    values |= {
        f"custom.{key}": value
        for key, value in sorted(custom.items())
        if not ("." in key and custom.get(key.split(".", 1)[1]) == value)
    }
    values["groups"] = tuple(sorted(person.groups))
    values["account"] = person.account.value
    return MappingProxyType(values)


def _decide(
    ruleset: schema.Ruleset,
    space: schema.Space,
    person: model.Person,
    results: tuple[RuleExplanation, ...],
) -> model.Decision:
    return decide(
        ruleset,
        space,
        person,
        granting=[r for r in results if r.matched and space.name in r.spaces],
        considered=[r.rule_id for r in results if space.name in r.spaces],
    )


def decide(
    ruleset: schema.Ruleset,
    space: schema.Space,
    person: model.Person,
    *,
    granting: Sequence[RuleExplanation],
    considered: Sequence[str],
) -> model.Decision:
    """One space's decision from the rules granting a role there (file order) and the ids of
    every rule naming the space. Shared with ``rules.index``, which finds ``granting`` without
    trying every rule, so both evaluators word and rank decisions the same way."""
    protected = person.email in ruleset.protected
    notes = (f"protected: listed under 'protected' in {ruleset.source}",) if protected else ()
    if not person.active:
        why = _inactive(person)
        reason = f"{person.email} {why}: inactive people hold no role in managed spaces"
        return model.Decision(
            space.name, person.email, None, (reason, *notes), (), protected, inactive=True
        )
    if not granting:
        reason = f"no rule selects {person.email} in {space.id}"
        if considered:
            reason += f" (considered: {', '.join(considered)})"
        return model.Decision(space.name, person.email, None, (reason, *notes), (), protected)
    role = max(r.role for r in granting)
    winners = [r for r in granting if r.role == role]
    return model.Decision(
        space.name,
        person.email,
        role,
        (*(r.reason for r in winners), *notes),
        tuple(r.rule_id for r in winners),
        protected,
    )


def _inactive(person: model.Person) -> str:
    """Why an inactive person is: their account first (it outranks any HR status)."""
    if person.account is model.Account.DELETED:
        return "is not in the Directory"
    if person.account is not model.Account.ACTIVE:
        return f"is {person.account.value}"
    return f"is {person.employment_status.value}"


def explain_rule(rule: schema.Rule, person: model.Person) -> RuleExplanation:
    """One rule's verdict on one person (``unless`` is checked only when ``when`` holds)."""
    when = check(rule.when, person)
    unless = check(rule.unless, person) if rule.unless is not None and when.passed else None
    return RuleExplanation(rule.id, rule.role, rule.spaces, when, unless, rule.description)


def check(condition: schema.Condition, person: model.Person) -> Check:
    """Evaluate one condition; the text names the deciding facts."""
    if isinstance(condition, schema.AttributeTest):
        return _attribute(condition, person)
    if isinstance(condition, schema.GroupTest):
        return _groups(condition, person)
    if isinstance(condition, schema.Not):
        inner = check(condition.condition, person)
        return Check(not inner.passed, f"not ({inner.text})")
    parts = [check(c, person) for c in condition.conditions]
    if isinstance(condition, schema.AllOf):
        if not parts:
            return Check(True, "everyone")
        failed = [p.text for p in parts if not p.passed]
        return Check(not failed, ", ".join(failed or [p.text for p in parts]))
    passed = [p.text for p in parts if p.passed]
    if passed:
        return Check(True, passed[0])
    return Check(False, "none of: " + "; ".join(p.text for p in parts))


def _attribute(test: schema.AttributeTest, person: model.Person) -> Check:
    name = test.attribute
    actual = person.attribute(name)
    if isinstance(actual, bool) or name in schema.BOOLEAN_ATTRIBUTES:
        flag = bool(actual)
        passed = flag in test.values
        if test.operator == "equals":
            return Check(passed, f"{name} is {_plain(flag)}")
        return Check(
            passed, f"{name} {_plain(flag)} {'in' if passed else 'not in'} {_list(test.values)}"
        )
    if actual is None:
        return Check(False, f"{name} is not set")
    value = actual.lower() if name in schema.EMAIL_ATTRIBUTES else actual
    shown = repr(actual)
    if test.operator == "equals":
        expected = test.values[0]
        if value == expected:
            return Check(True, f"{name} is {shown}")
        return Check(False, f"{name} is {shown}, not {expected!r}")
    if test.operator == "in":
        passed = value in test.values
        return Check(passed, f"{name} {shown} {'in' if passed else 'not in'} {_list(test.values)}")
    if test.operator == "prefix":
        prefix = str(test.values[0])
        passed = _has_prefix(name, value, prefix)
        verb = "starts with" if passed else "does not start with"
        return Check(passed, f"{name} {shown} {verb} {prefix!r}")
    assert test.pattern is not None
    passed = test.pattern.fullmatch(value) is not None
    return Check(
        passed,
        f"{name} {shown} {'matches' if passed else 'does not match'} /{test.pattern.pattern}/",
    )


def _has_prefix(name: str, value: str, prefix: str) -> bool:
    if name == "org_unit_path":  # an OU and everything below it, never a sibling with a longer name
        base = prefix.rstrip("/")
        return not base or value == base or value.startswith(base + "/")
    return value.startswith(prefix)


def _groups(test: schema.GroupTest, person: model.Person) -> Check:
    inside = [g for g in test.groups if g in person.groups]
    if len(test.groups) == 1:
        (group,) = test.groups
        return Check(bool(inside), f"{'member' if inside else 'not a member'} of group {group}")
    if test.require_all:
        missing = [g for g in test.groups if g not in person.groups]
        if missing:
            return Check(False, f"not a member of group {', '.join(missing)}")
        return Check(True, f"member of all of groups {', '.join(test.groups)}")
    if inside:
        return Check(True, f"member of group {inside[0]}")
    return Check(False, f"not a member of any of groups {', '.join(test.groups)}")


def _list(values: tuple[str | bool, ...]) -> str:
    return "[" + ", ".join(_plain(v) for v in values) + "]"


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "not set"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)
