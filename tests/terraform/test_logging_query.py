"""The Logging-query evaluator behaves as the language is documented, for the subset it takes."""

from __future__ import annotations

import pytest

from .logging_query import UnsupportedQuery, matches

ENTRY = {
    "severity": "WARNING",
    "logName": "projects/p/logs/run.googleapis.com%2Fstdout",
    "resource": {"type": "cloud_run_revision", "labels": {"service_name": "chatsync-hr"}},
    "jsonPayload": {"message": "Event will be redelivered", "attempts": 3, "rule": ["a", "b"]},
}


def test_or_binds_tighter_than_and() -> None:
    """``a AND b OR c`` is ``a AND (b OR c)`` in the Logging query language."""
    assert not matches('severity="ERROR" AND resource.type="x" OR jsonPayload.attempts=3', ENTRY)
    assert matches('(severity="ERROR" AND resource.type="x") OR jsonPayload.attempts=3', ENTRY)


def test_a_value_disjunction_matches_any_of_its_values() -> None:
    """``field = ("a" OR "b")``."""
    query = 'resource.labels.service_name=("chatsync-group" OR "chatsync-hr")'
    assert matches(query, ENTRY)
    assert not matches('resource.labels.service_name=("chatsync-group" OR "x")', ENTRY)


def test_equality_and_has_ignore_case_and_has_finds_substrings() -> None:
    """``=`` compares whole values, ``:`` finds a substring; neither minds case."""
    assert matches('jsonPayload.message="event will be redelivered"', ENTRY)
    assert not matches('jsonPayload.message="event will be"', ENTRY)
    assert matches('jsonPayload.message:"WILL BE"', ENTRY)
    assert matches('logName:"run.googleapis.com%2Fstdout"', ENTRY)


def test_severity_compares_by_level() -> None:
    """severity>=WARNING admits WARNING and above, in LogSeverity order."""
    assert matches("severity>=WARNING", ENTRY)
    assert not matches("severity>=ERROR", ENTRY)
    assert matches("severity<ERROR", ENTRY)


def test_numbers_order_and_lists_match_any_element() -> None:
    """Numeric fields order; a repeated field matches when one element does."""
    assert matches("jsonPayload.attempts>2", ENTRY)
    assert not matches("jsonPayload.attempts>3", ENTRY)
    assert matches('jsonPayload.rule="b"', ENTRY)


def test_missing_fields_match_nothing_not_even_inequality() -> None:
    """A comparison on an absent field is false, and NOT turns it true."""
    assert not matches('jsonPayload.space="x"', ENTRY)
    assert not matches('jsonPayload.space!="x"', ENTRY)
    assert matches('NOT jsonPayload.space="x"', ENTRY)


def test_implicit_and_between_terms() -> None:
    """Adjacent comparisons are ANDed."""
    assert matches("severity=WARNING jsonPayload.attempts=3", ENTRY)
    assert not matches("severity=WARNING jsonPayload.attempts=4", ENTRY)


@pytest.mark.parametrize(
    "query",
    [
        'jsonPayload.message=~"redeliver"',
        "jsonPayload.space:*",
        'jsonPayload.message="a" AND (',
        '"bare text"',
        'jsonPayload.message>"a"',
    ],
)
def test_unsupported_syntax_is_refused_not_guessed(query: str) -> None:
    """Syntax outside the subset raises, so no filter passes a test by accident."""
    with pytest.raises(UnsupportedQuery):
        matches(query, ENTRY)
