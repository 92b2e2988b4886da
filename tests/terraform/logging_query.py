"""A small evaluator for the part of the Cloud Logging query language this module's filters use.

Reference: cloud.google.com/logging/docs/view/logging-query-language. Supported:

- comparisons ``path OP value`` with ``=``, ``!=``, ``:`` (has: substring for text), ``>``,
  ``>=``, ``<``, ``<=`` (numbers, and ``severity`` by its level order);
- a value that is a quoted string, a bare word or number, or a parenthesised OR of values:
  ``resource.type = ("a" OR "b")`` (true if any matches);
- ``AND`` (also implicit between adjacent terms), ``OR``, ``NOT`` and parentheses, with the
  language's precedence: NOT binds tightest, then **OR, then AND** (``a AND b OR c`` is
  ``a AND (b OR c)``, unlike most languages);
- string comparisons ignore case, as the documentation says of ``=`` and ``:``.

Anything else (regular expressions, functions, ``NULL_VALUE``, timestamps) raises
``UnsupportedQuery`` rather than guessing, so a filter that uses it cannot pass a test silently.
Paths are resolved in a LogEntry-shaped dict (``severity``, ``jsonPayload``, ``resource``, ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SEVERITIES = (
    "DEFAULT",
    "DEBUG",
    "INFO",
    "NOTICE",
    "WARNING",
    "ERROR",
    "CRITICAL",
    "ALERT",
    "EMERGENCY",
)
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>>=|<=|!=|=~|!~|[=:<>()])
      | (?P<word>[A-Za-z0-9_.\-/@%*]+)
    )""",
    re.VERBOSE,
)


class UnsupportedQuery(ValueError):
    """The query uses syntax this evaluator does not implement (or is malformed)."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # string | op | word
    text: str


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(query):
        if query[position:].strip() == "":
            break
        match = _TOKEN.match(query, position)
        if match is None:
            raise UnsupportedQuery(f"cannot read {query[position : position + 30]!r}")
        position = match.end()
        kind = match.lastgroup
        assert kind is not None
        text = match.group(kind)
        if kind == "string":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        tokens.append(Token(kind, text))
    return tokens


Predicate = Callable[[Mapping[str, Any]], bool]


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise UnsupportedQuery("the query ends too early")
        self.at += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text or token.kind == "string":
            raise UnsupportedQuery(f"expected {text!r}, found {token.text!r}")

    def is_keyword(self, token: Token | None, word: str) -> bool:
        return token is not None and token.kind == "word" and token.text == word

    # and_expr := or_expr { ["AND"] or_expr }
    def and_expr(self) -> Predicate:
        parts = [self.or_expr()]
        while True:
            token = self.peek()
            if token is None or (token.kind == "op" and token.text == ")"):
                break
            if self.is_keyword(token, "AND"):
                self.take()
            parts.append(self.or_expr())
        return lambda entry: all(part(entry) for part in parts)

    # or_expr := unary { "OR" unary }
    def or_expr(self) -> Predicate:
        parts = [self.unary()]
        while self.is_keyword(self.peek(), "OR"):
            self.take()
            parts.append(self.unary())
        return lambda entry: any(part(entry) for part in parts)

    def unary(self) -> Predicate:
        token = self.peek()
        if self.is_keyword(token, "NOT") or (token is not None and token.text == "-"):
            self.take()
            inner = self.unary()
            return lambda entry: not inner(entry)
        if token is not None and token.kind == "op" and token.text == "(":
            self.take()
            inner = self.and_expr()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        path = self.take()
        if path.kind != "word":
            raise UnsupportedQuery(f"a bare value {path.text!r} (global search) is not supported")
        op = self.take()
        if op.kind != "op" or op.text not in {"=", "!=", ":", ">", ">=", "<", "<="}:
            raise UnsupportedQuery(f"operator {op.text!r} is not supported")
        values = self.values()
        field = path.text

        def test(entry: Mapping[str, Any]) -> bool:
            found = resolve(entry, field)
            return any(compare(field, found, op.text, value) for value in values)

        return test

    def values(self) -> list[str]:
        token = self.take()
        if token.kind == "op" and token.text == "(":
            values = [self.value()]
            while self.is_keyword(self.peek(), "OR"):
                self.take()
                values.append(self.value())
            self.expect(")")
            return values
        return [self._literal(token)]

    def value(self) -> str:
        return self._literal(self.take())

    @staticmethod
    def _literal(token: Token) -> str:
        if token.kind == "op":
            raise UnsupportedQuery(f"expected a value, found {token.text!r}")
        if token.kind == "word" and "(" in token.text:
            raise UnsupportedQuery(f"functions are not supported: {token.text!r}")
        if token.kind == "word" and token.text in {"NULL_VALUE", "AND", "OR", "NOT", "*"}:
            raise UnsupportedQuery(f"{token.text} as a value is not supported")
        return token.text


def resolve(entry: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path, or None when any step is missing."""
    current: Any = entry
    for step in path.split("."):
        if not isinstance(current, Mapping) or step not in current:
            return None
        current = current[step]
    return current


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compare(field: str, found: Any, op: str, value: str) -> bool:
    """One comparison; a missing field matches nothing (not even ``!=``)."""
    if found is None:
        return False
    if isinstance(found, list):
        return any(compare(field, item, op, value) for item in found)
    if field == "severity":
        order = {name: rank for rank, name in enumerate(SEVERITIES)}
        left, right = order.get(str(found).upper()), order.get(value.upper())
        if left is None or right is None:
            raise UnsupportedQuery(f"unknown severity {found!r} or {value!r}")
        return _ordered(left, op, right)
    if op in {"=", "!="}:
        equal = _text(found).lower() == value.lower()
        return equal if op == "=" else not equal
    if op == ":":
        if isinstance(found, Mapping):
            return value in found
        return value.lower() in _text(found).lower()
    if isinstance(found, bool) or not isinstance(found, int | float):
        raise UnsupportedQuery(f"{field}: ordering compares numbers only, found {found!r}")
    try:
        number = float(value)
    except ValueError:
        raise UnsupportedQuery(f"{field} {op} {value!r}: not a number") from None
    return _ordered(float(found), op, number)


def _ordered(left: float, op: str, right: float) -> bool:
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    raise UnsupportedQuery(f"operator {op!r} on numbers")


def compile_query(query: str) -> Predicate:
    """A predicate over LogEntry-shaped dicts; raises ``UnsupportedQuery`` for unknown syntax."""
    parser = _Parser(tokenize(query))
    predicate = parser.and_expr()
    if parser.peek() is not None:
        raise UnsupportedQuery(f"unexpected {parser.peek()!r}")
    return predicate


def matches(query: str, entry: Mapping[str, Any]) -> bool:
    return compile_query(query)(entry)
