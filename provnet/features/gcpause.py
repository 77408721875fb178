"""Keep the garbage collector's full passes off the API's tail (issue 14).

Measured with ``bench/loopwatch.py`` under API load: the event loop's longest stalls (0.3-0.4 s,
about one per 12 s) were generation-2 garbage collections walking every object of the
service: the inventory, SQLAlchemy's and FastAPI's/pydantic's structures, the live state.
Whatever callback allocated at that moment (a request, a poll result) paid for it.

Once the service has warmed up (``after_cycles`` poll cycles: the live state filled, the
inventory and the answers read once), one collection runs and everything left is moved to
the permanent generation (:func:`gc.freeze`): later full passes only walk what was allocated
since, a fraction of the heap. Objects frozen are never collected; they are the long-lived
start-up set, and garbage made later is collected as before.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import TYPE_CHECKING

from provnet.pollers.scheduler import CycleStats
from provnet.pollers.types import IfRates, PollResult

if TYPE_CHECKING:
    from provnet.service import Service

log = logging.getLogger(__name__)


class FreezeAfterWarmUp:
    """A result consumer: at the end of cycle ``after_cycles``, collect once, then freeze."""

    def __init__(self, after_cycles: int = 2) -> None:
        self.after_cycles = after_cycles
        self.cycles = 0
        self.frozen: int | None = None  # objects moved to the permanent generation

    def on_result(self, result: PollResult, rates: dict[int, IfRates]) -> None:
        """Nothing per device."""

    def on_cycle(self, stats: CycleStats) -> None:
        """Freeze once, after the warm-up cycles."""
        self.cycles += 1
        if self.cycles != self.after_cycles:
            return
        t0 = time.perf_counter()
        gc.collect()
        gc.freeze()
        self.frozen = gc.get_freeze_count()
        log.info("garbage collector: %d start-up objects frozen after %d cycles (%.0f ms)",
                 self.frozen, self.cycles, (time.perf_counter() - t0) * 1000)


def attach(service: Service) -> FreezeAfterWarmUp:
    """Register the consumer."""
    freezer = FreezeAfterWarmUp()
    service.consumers.append(freezer)
    return freezer
