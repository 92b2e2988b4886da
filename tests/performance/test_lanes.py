"""Kept threads for Chat calls side by side: used while calls wait on the network, skipped while
they return at once, results always in order."""

from __future__ import annotations

import threading
import time

import pytest

from chatsync.app.lanes import PROBE_EVERY, Lanes


def call(seconds: float) -> tuple[str, float]:
    time.sleep(seconds)
    return threading.current_thread().name, seconds


def test_slow_calls_run_side_by_side_after_the_first_is_measured() -> None:
    """The first call runs alone and measures 30 ms; the rest of that map, and the next maps,
    run on the kept threads, results in order."""
    lanes = Lanes(4)
    first = lanes.map(call, [0.03, 0.031, 0.032])
    second = lanes.map(call, [0.03, 0.031, 0.032, 0.033])
    caller = threading.current_thread().name
    assert first[0][0] == caller
    assert [s for _, s in first] == [0.03, 0.031, 0.032]
    assert [s for _, s in second] == [0.03, 0.031, 0.032, 0.033]
    assert all(name.startswith("chatsync-lane") for name, _ in first[1:] + second)
    assert lanes.typical is not None and lanes.typical >= 0.03


def test_quick_calls_stay_in_the_callers_thread() -> None:
    """Calls of well under 20 ms gain nothing from threads: every map runs them in order here."""
    lanes = Lanes(4)
    caller = threading.current_thread().name
    for _ in range(PROBE_EVERY + 2):
        assert {name for name, _ in lanes.map(call, [0.0, 0.0, 0.0])} == {caller}


def test_always_runs_quick_calls_side_by_side_too() -> None:
    """For calls that each wait on a limiter of their own (a space's read bucket)."""
    lanes = Lanes(4)
    lanes.typical = 0.0
    names = {name for name, _ in lanes.map(call, [0.0] * 8, always=True)}
    assert all(name.startswith("chatsync-lane") for name in names)


def test_the_first_error_raises() -> None:
    lanes = Lanes(2)
    lanes.typical = 1.0  # as if calls were slow: side by side

    def boom(n: int) -> int:
        if n == 2:
            raise ValueError("two")
        return n

    with pytest.raises(ValueError, match="two"):
        lanes.map(boom, [1, 2, 3])
