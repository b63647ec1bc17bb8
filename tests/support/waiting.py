"""Waiting on a condition instead of on the clock.

A test that sleeps a fixed time and then asserts passes on an idle machine and fails on a busy
one (CI, or two test passes side by side). Wait for what the assertion needs instead, with a
limit generous enough that only a real failure reaches it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

PATIENCE = 60.0  # seconds: a limit for failures only; a passing test returns much sooner


def wait_until(
    predicate: Callable[[], T],
    timeout: float = PATIENCE,
    interval: float = 0.1,
    what: str = "the condition",
) -> T:
    """Call `predicate` until it returns something truthy and return that value.

    Raises AssertionError naming `what` and the last value after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {value!r})")
        time.sleep(interval)


def wait_past(moment: float) -> None:
    """Wait until the wall clock (time.time()) is past `moment`, e.g. a token's expiry."""
    wait_until(lambda: time.time() > moment, interval=0.05, what=f"the clock to pass {moment}")
