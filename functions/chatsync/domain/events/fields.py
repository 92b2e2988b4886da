"""Typed reads from decoded JSON, each failing with ``InvalidEvent`` that names the field path.

A ``Where`` travels with a decode: it knows the message id and, once read, the event type, so
every error reads ``message.data.person.title: expected a string, got 12 (message 24074,
type person.hired)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TypeVar

from chatsync.domain import errors

T = TypeVar("T")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})?$"
)
_SHOWN = 60


@dataclass(frozen=True, slots=True)
class Where:
    """The message being decoded, for error messages."""

    message_id: str | None
    event_type: str | None = None

    def typed(self, event_type: str) -> Where:
        return replace(self, event_type=event_type)

    def fail(self, path: str, problem: str) -> errors.InvalidEvent:
        """An ``InvalidEvent`` for *path*, mentioning the message id and type when known."""
        error = errors.InvalidEvent(path, problem, message_id=self.message_id)
        context = [f"message {self.message_id}"] if self.message_id else []
        if self.event_type:
            context.append(f"type {self.event_type}")
        if context:
            error.args = (f"{path}: {problem} ({', '.join(context)})",)
        return error


def show(value: object) -> str:
    """A short repr of a bad value for an error message."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__


def mapping(value: object, path: str, where: Where) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise where.fail(path, f"expected an object, got {kind_of(value)}")
    return value


def child(obj: Mapping[str, object], key: str, path: str, where: Where) -> Mapping[str, object]:
    if key not in obj:
        raise where.fail(f"{path}.{key}", "missing")
    return mapping(obj[key], f"{path}.{key}", where)


def optional_child(
    obj: Mapping[str, object], key: str, path: str, where: Where
) -> Mapping[str, object] | None:
    value = obj.get(key)
    return None if value is None else mapping(value, f"{path}.{key}", where)


def string(obj: Mapping[str, object], key: str, path: str, where: Where) -> str:
    """A required, non-empty string."""
    value = obj.get(key)
    if key not in obj or value is None:
        raise where.fail(f"{path}.{key}", "missing")
    if not isinstance(value, str):
        raise where.fail(f"{path}.{key}", f"expected a string, got {kind_of(value)}")
    if not value.strip():
        raise where.fail(f"{path}.{key}", "must not be empty")
    return value


def optional_string(obj: Mapping[str, object], key: str, path: str, where: Where) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise where.fail(f"{path}.{key}", f"expected a string, got {kind_of(value)}")
    return value


def boolean(obj: Mapping[str, object], key: str, path: str, where: Where, *, default: bool) -> bool:
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise where.fail(f"{path}.{key}", f"expected true or false, got {show(value)}")
    return value


def optional_integer(obj: Mapping[str, object], key: str, path: str, where: Where) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise where.fail(f"{path}.{key}", f"expected a non-negative integer, got {show(value)}")
    return value


def one_of(
    obj: Mapping[str, object], key: str, path: str, where: Where, choices: Sequence[str]
) -> str:
    value = string(obj, key, path, where)
    if value not in choices:
        raise where.fail(f"{path}.{key}", f"{show(value)} is not one of {', '.join(choices)}")
    return value


def strings(obj: Mapping[str, object], key: str, path: str, where: Where) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise where.fail(f"{path}.{key}", f"expected an array of strings, got {kind_of(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise where.fail(f"{path}.{key}[{i}]", f"expected a string, got {kind_of(item)}")
    return tuple(value)


def checked(
    obj: Mapping[str, object], key: str, path: str, where: Where, parse: Callable[[str], T]
) -> T:
    """A required string passed through a ``model`` validator that raises ``ValueError``."""
    value = string(obj, key, path, where)
    try:
        return parse(value)
    except ValueError as exc:
        raise where.fail(f"{path}.{key}", str(exc)) from None


def timestamp(
    obj: Mapping[str, object], key: str, path: str, where: Where, *, dates: bool = False
) -> datetime:
    """RFC 3339 with an offset, as aware UTC; with *dates*, ``YYYY-MM-DD`` is midnight UTC."""
    value = string(obj, key, path, where)
    parsed = parse_time(value, dates=dates)
    if parsed is None:
        expected = "an RFC 3339 time or a date" if dates else "an RFC 3339 time with an offset"
        raise where.fail(f"{path}.{key}", f"{show(value)} is not {expected}")
    return parsed


def parse_time(value: str, *, dates: bool = False) -> datetime | None:
    """Parse RFC 3339 (nanoseconds allowed, offset required) to aware UTC; None if it does not."""
    try:
        if dates and _DATE.match(value):
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        match = _DATETIME.match(value)
        if not match or not match.group(3):
            return None
        fraction = match.group(2)
        if fraction and len(fraction) > 7:
            value = value.replace(fraction, fraction[:7], 1)
        return datetime.fromisoformat(value.replace("z", "Z")).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
