"""Table-driven: what a targeted poll says about a link trap's claim."""

from __future__ import annotations

import pytest

from provnet.pollers.trapconfirm import verdict
from provnet.pollers.traps import TrapEvent
from provnet.pollers.types import IfSample, PollResult, SnmpTarget

T = SnmpTarget(7, "ag-c1", "127.0.0.1")


def _poll(oper: int | None, ifindex: int = 3, error: str | None = None) -> PollResult:
    return PollResult(T, 100.0, 0.01, error=error,
                      interfaces={ifindex: IfSample(ifindex, "ge-0/0/3", oper_status=oper)})


@pytest.mark.parametrize(("kind", "trap_oper", "poll", "expected"), [
    ("link-down", 2, _poll(2), "confirmed"),
    ("link-down", None, _poll(2), "confirmed"),         # no ifOperStatus varbind: the kind
    ("link-down", 2, _poll(7), "confirmed"),            # lowerLayerDown counts as down
    ("link-down", 2, _poll(1), "contradicted"),         # forged, or a flap already over
    ("link-up", 1, _poll(1), "confirmed"),
    ("link-up", 1, _poll(2), "contradicted"),
    ("link-down", 2, _poll(None), "unanswered"),        # the agent gave no status
    ("link-down", 2, _poll(2, ifindex=4), "unanswered"),  # another port than the trap's
    ("link-down", 2, _poll(2, error="timeout"), "unanswered"),
    ("cold-start", None, _poll(1), "unanswered"),       # not a link trap
])
def test_verdict(kind: str, trap_oper: int | None, poll: PollResult, expected: str) -> None:
    ifindex = None if kind == "cold-start" else 3
    event = TrapEvent("127.0.0.1", kind, 100.5, ifindex, 500, trap_oper)  # type: ignore[arg-type]
    assert verdict(event, poll) == expected
