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


def test_slow_calls_run_side_by_side_after_the_first_measure() -> None:
    """The first map runs alone and measures 20 ms calls; the next runs them on the kept
    threads, in order, and the same threads serve the map after it."""
    lanes = Lanes(4)
    first = lanes.map(call, [0.02, 0.02])
    second = lanes.map(call, [0.02, 0.021, 0.022, 0.023])
    third = lanes.map(call, [0.02, 0.02])
    caller = threading.current_thread().name
    assert {name for name, _ in first} == {caller}
    assert [s for _, s in second] == [0.02, 0.021, 0.022, 0.023]
    assert all(name.startswith("chatsync-lane") for name, _ in second + third)
    assert lanes.typical is not None and lanes.typical >= 0.02


def test_quick_calls_stay_in_the_callers_thread() -> None:
    """Calls of well under 5 ms gain nothing from threads: every map runs them in order here."""
    lanes = Lanes(4)
    caller = threading.current_thread().name
    for _ in range(PROBE_EVERY + 2):
        assert {name for name, _ in lanes.map(call, [0.0, 0.0, 0.0])} == {caller}


def test_the_first_error_raises() -> None:
    lanes = Lanes(2)
    lanes.typical = 1.0  # as if calls were slow: side by side

    def boom(n: int) -> int:
        if n == 2:
            raise ValueError("two")
        return n

    with pytest.raises(ValueError, match="two"):
        lanes.map(boom, [1, 2, 3])
