"""A trap newer than a poll's start wins over that poll's oper status (LiveState.update)."""

from __future__ import annotations

import pytest

from provnet.pollers.live import LiveState
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget

TARGET = SnmpTarget(7, "ag-c1", "127.10.1.2")
UP, DOWN = 1, 2


def _poll(live: LiveState, started: float, oper: int, octets: int) -> None:
    sample = IfSample(3, "ge-0/0/3", oper_status=oper, admin_status=1, in_octets=octets)
    live.update(PollResult(TARGET, started, 0.5, interfaces={3: sample}),
                {3: IfRates(in_bps=float(octets))})


@pytest.mark.parametrize(("second_poll_started", "trap_up", "second_poll_oper", "expected"), [
    # the second poll started before the trap (it read the interface before the change)
    (10.5, False, UP, DOWN),
    (10.5, True, DOWN, UP),
    # the second poll started after the trap: the poll is newer and wins
    (11.5, False, UP, UP),
    (11.5, True, DOWN, DOWN),
    (11.5, False, DOWN, DOWN),
])
def test_poll_started_before_a_trap_does_not_undo_it(
        second_poll_started: float, trap_up: bool, second_poll_oper: int, expected: int) -> None:
    live = LiveState()
    _poll(live, 10.0, DOWN if trap_up else UP, 100)
    assert live.apply_trap(7, 3, trap_up, 11.0)
    _poll(live, second_poll_started, second_poll_oper, 200)  # ends after the trap
    state = live.interface(7, 3)
    assert state is not None
    assert state.sample.oper_status == expected
    # counters, rates and the sample time always come from the newest poll
    assert state.sample.in_octets == 200 and state.rates.in_bps == 200.0
    assert state.time == second_poll_started


def test_trap_kept_until_a_poll_started_after_it() -> None:
    live = LiveState()
    _poll(live, 10.0, UP, 100)
    assert live.apply_trap(7, 3, False, 11.0)
    _poll(live, 10.5, UP, 200)   # stale: keeps the trap's down
    _poll(live, 10.8, UP, 300)   # still stale
    state = live.interface(7, 3)
    assert state is not None and state.sample.oper_status == DOWN and state.trap_time == 11.0
    _poll(live, 12.0, UP, 400)   # newer than the trap: the poll's up holds, trap forgotten
    state = live.interface(7, 3)
    assert state is not None and state.sample.oper_status == UP and state.trap_time is None


def test_trap_older_than_the_latest_poll_is_ignored() -> None:
    live = LiveState()
    _poll(live, 10.0, UP, 100)
    assert not live.apply_trap(7, 3, False, 9.0)  # delayed trap, poll already newer
    state = live.interface(7, 3)
    assert state is not None and state.sample.oper_status == UP
