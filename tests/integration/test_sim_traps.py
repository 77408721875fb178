"""The simulator sends real v2c traps on link-down/link-up/reboot; our TrapReceiver reads them."""

from __future__ import annotations

import asyncio

from pydantic import SecretStr

from provnet.config.traps import TrapSettings
from provnet.pollers.traps import TrapEvent, TrapReceiver
from provnet.simulator.example import example_plan
from provnet.simulator.plan import plan_from_dict
from provnet.simulator.runner import Simulator
from tests.support.sim_fixtures import free_udp_port

C1_ADDR, POP_A_ADDR = "127.77.10.1", "127.77.1.1"


def test_link_down_up_and_reboot_send_traps_from_both_ends() -> None:
    plan = plan_from_dict(example_plan(port=free_udp_port(), community="sim-comm"))

    async def scenario() -> list[list[tuple[str, str, int | None, bool | None]]]:
        events: list[TrapEvent] = []
        receiver = TrapReceiver(TrapSettings(port=0, communities=[SecretStr("sim-comm")]),
                                events.append)
        await receiver.start()
        phases: list[list[tuple[str, str, int | None, bool | None]]] = []
        try:
            async with Simulator(plan, trap_to=receiver.address) as sim:
                for cmd in ({"link": 3, "action": "link-down"},
                            {"link": 3, "action": "link-up"},
                            {"device": 11, "action": "reboot"}):
                    events.clear()
                    sim.command(cmd)
                    for _ in range(40):
                        await asyncio.sleep(0.05)
                        if len(events) >= (1 if cmd["action"] == "reboot" else 2):
                            break
                    await asyncio.sleep(0.1)
                    phases.append(sorted((e.source, e.kind, e.ifindex, e.oper_up)
                                         for e in events))
                assert sim.traps is not None and sim.traps.failed == 0
        finally:
            receiver.close()
        return phases

    down, up, reboot = asyncio.run(scenario())
    # link 3 = C1 ifindex 1 <-> POP-A ifindex 2 (example plan)
    assert down == [(POP_A_ADDR, "link-down", 2, False), (C1_ADDR, "link-down", 1, False)]
    assert up == [(POP_A_ADDR, "link-up", 2, True), (C1_ADDR, "link-up", 1, True)]
    assert (C1_ADDR, "cold-start", None, None) in reboot
