"""A trap cannot page alone: a link trap is believed only when a poll of the device agrees.

SNMPv2c traps travel over UDP with a community in clear text: the source address can be
forged and the community sniffed. So a linkDown/linkUp trap from a known management address
triggers an immediate poll of that device; its ifOperStatus for the trap's ifIndex decides
(pure function :func:`verdict`, wired in ``provnet.features.traps``).
"""

from __future__ import annotations

from typing import Literal

from provnet.pollers.traps import TrapEvent
from provnet.pollers.types import PollResult

OPER_UP = 1
#: confirmed: the poll shows the state the trap claims; contradicted: the poll shows the
#: opposite (a forged trap, or a flap already over); unanswered: no usable poll answer
Verdict = Literal["confirmed", "contradicted", "unanswered"]


def verdict(event: TrapEvent, result: PollResult) -> Verdict:
    """What the targeted poll says about a link trap's claim."""
    claimed_up = event.oper_up
    if claimed_up is None or event.ifindex is None or not result.ok:
        return "unanswered"
    sample = result.interfaces.get(event.ifindex)
    if sample is None or sample.oper_status is None:
        return "unanswered"
    return "confirmed" if (sample.oper_status == OPER_UP) == claimed_up else "contradicted"
