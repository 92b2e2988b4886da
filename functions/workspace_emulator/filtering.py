"""The ``spaces.members.list`` filter grammar (reference §4).

Fields ``role`` (``=`` only; ``ROLE_MEMBER`` | ``ROLE_MANAGER``) and ``member.type`` (``=`` or
``!=``; ``HUMAN`` | ``BOT``), values in double quotes, clauses joined by ``AND`` (different fields)
or ``OR`` (alternatives of one field).

Strict choices on UNCONFIRMED points: parentheses are rejected; ``AND`` and ``OR`` may not be mixed
in one filter (precedence is undocumented); ``OR`` only joins clauses on the same field;
``ROLE_ASSISTANT_MANAGER`` is not a filter value (the docs never list it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workspace_emulator import errors
from workspace_emulator import store as st

_TOKEN = re.compile(
    r'\s*(?:(?P<kw>AND|OR)\b|(?P<field>[A-Za-z_.]+)\s*(?P<op>!=|=)\s*"(?P<value>[^"]*)")'
)
_VALUES = {"role": ("ROLE_MEMBER", "ROLE_MANAGER"), "member.type": ("HUMAN", "BOT")}


@dataclass(frozen=True, slots=True)
class Clause:
    """One ``field op "value"`` comparison."""

    field: str
    op: str
    value: str

    def matches(self, membership: st.Membership) -> bool:
        """Whether *membership* satisfies this clause (groups have no role and no member)."""
        if self.field == "role":
            return membership.role == self.value
        if membership.kind == "GROUP":
            return self.op == "!="
        return (membership.kind == self.value) == (self.op == "=")


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed filter: clauses all ANDed (``conjunctive``) or all ORed."""

    clauses: tuple[Clause, ...]
    conjunctive: bool

    def matches(self, membership: st.Membership) -> bool:
        """Whether *membership* passes the filter."""
        if not self.clauses:
            return True
        results = (c.matches(membership) for c in self.clauses)
        return all(results) if self.conjunctive else any(results)

    def excludes_apps(self) -> bool:
        """Whether the filter constrains ``member.type`` so no app can pass (admin-mode rule)."""

        def excluding(c: Clause) -> bool:
            return c.field == "member.type" and (c.op, c.value) in (("=", "HUMAN"), ("!=", "BOT"))

        if self.conjunctive:
            return any(excluding(c) for c in self.clauses)
        return bool(self.clauses) and all(excluding(c) for c in self.clauses)


def parse(text: str) -> Filter:
    """Parse a filter string, or raise 400 INVALID_ARGUMENT naming the problem."""
    if not text.strip():
        return Filter((), True)
    if "(" in text or ")" in text:
        raise _bad(text, "parentheses are not supported")
    clauses: list[Clause] = []
    keywords: set[str] = set()
    pos, expect_clause = 0, True
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _bad(text, f"cannot parse at offset {pos}")
        pos = match.end()
        if match.group("kw"):
            if expect_clause:
                raise _bad(text, f"unexpected {match.group('kw')}")
            keywords.add(match.group("kw"))
            expect_clause = True
            continue
        if not expect_clause:
            raise _bad(text, "missing AND/OR between comparisons")
        clauses.append(_clause(text, match.group("field"), match.group("op"), match.group("value")))
        expect_clause = False
    if expect_clause:
        raise _bad(text, "dangling operator")
    if len(keywords) > 1:
        raise _bad(text, "AND and OR cannot be mixed")
    conjunctive = keywords != {"OR"}
    fields = [c.field for c in clauses]
    if conjunctive and len(set(fields)) != len(fields):
        raise _bad(text, "the same field cannot be ANDed with itself")
    if not conjunctive and len(set(fields)) != 1:
        raise _bad(text, "OR only joins alternatives of the same field")
    return Filter(tuple(clauses), conjunctive)


def _clause(text: str, field: str, op: str, value: str) -> Clause:
    if field not in _VALUES:
        raise _bad(text, f"unknown field {field!r} (expected role or member.type)")
    if field == "role" and op != "=":
        raise _bad(text, "role only supports '='")
    if value not in _VALUES[field]:
        raise _bad(text, f"invalid value {value!r} for {field}")
    return Clause(field, op, value)


def _bad(text: str, why: str) -> errors.ApiError:
    return errors.invalid(f"Invalid filter {text!r}: {why}.", field="filter")
