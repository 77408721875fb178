"""pollers.icmp: probe summaries, the device status combiner, bounded probing (pure/fakes)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from provnet.config.icmp import IcmpSettings
from provnet.features import icmp as icmp_feature
from provnet.pollers.icmp import (
    DEGRADED,
    DOWN,
    SNMP_NOT_ANSWERING,
    UNKNOWN,
    UNREACHABLE,
    UP,
    device_status,
    device_status_of,
    icmp_loop,
    probe_all,
    summarise,
)
from provnet.pollers.live import LiveState
from provnet.pollers.readings import IcmpReading
from provnet.tsdb.points import Point


@pytest.mark.parametrize(
    ("sent", "rtts", "received", "loss", "rtt"),
    [
        (4, [0.5, 0.25, 1.0, 0.25], 4, 0.0, (0.25, 0.5, 1.0)),
        (4, [2.0, 4.0], 2, 50.0, (2.0, 3.0, 4.0)),
        (3, [10.0], 1, 66.67, (10.0, 10.0, 10.0)),
        (4, [], 0, 100.0, (None, None, None)),
        (0, [], 0, 100.0, (None, None, None)),
        (2, [1.0, 1.0, 1.0], 2, 0.0, (1.0, 1.0, 1.0)),  # duplicate replies are not > sent
        (3, [0.1234567, 0.2, 0.3], 3, 0.0, (0.123, 0.208, 0.3)),
    ],
)
def test_summarise(sent: int, rtts: list[float], received: int, loss: float,
                   rtt: tuple[float | None, float | None, float | None]) -> None:
    r = summarise("127.0.0.1", sent, rtts)
    assert (r.sent, r.received, r.loss_pct) == (sent, received, loss)
    assert (r.rtt_min_ms, r.rtt_avg_ms, r.rtt_max_ms) == rtt
    assert r.answered is (received > 0)


OK = summarise("a", 4, [1, 1, 1, 1])
ONE_LOST = summarise("a", 4, [1, 1, 1])
HALF = summarise("a", 4, [1, 1])
SILENT = summarise("a", 4, [])


@pytest.mark.parametrize(
    ("icmp", "snmp_ok", "status"),
    [
        (OK, True, UP),
        (OK, None, UP),
        (OK, False, SNMP_NOT_ANSWERING),
        (ONE_LOST, True, DEGRADED),  # 25 % loss reaches the default threshold
        (ONE_LOST, False, DEGRADED),
        (HALF, None, DEGRADED),
        (SILENT, False, UNREACHABLE),
        (SILENT, None, UNREACHABLE),
        (SILENT, True, UP),  # ICMP filtered, the agent answers: the device is up
        (None, True, UP),
        (None, False, DOWN),
        (None, None, UNKNOWN),
    ],
)
def test_device_status(icmp: IcmpReading | None, snmp_ok: bool | None, status: str) -> None:
    assert device_status(icmp, snmp_ok) == status


def test_degraded_threshold_is_configurable() -> None:
    assert device_status(ONE_LOST, True, degraded_loss_pct=30.0) == UP
    assert device_status(HALF, True, degraded_loss_pct=30.0) == DEGRADED


def test_settings_are_strict() -> None:
    with pytest.raises(ValueError, match="count"):
        IcmpSettings(count=0)
    with pytest.raises(ValueError, match="extra"):
        IcmpSettings.model_validate({"colour": "red"})


class FakePinger:
    """Answers from a table after ``delay_s`` (a Pinger for loop and attach tests)."""

    def __init__(self, answers: dict[str, list[float]], delay_s: float = 0.01) -> None:
        self.answers, self.delay_s = answers, delay_s
        self.in_flight = self.max_in_flight = 0
        self.calls: list[tuple[str, int, float, float]] = []

    async def sweep(self, targets: Sequence[tuple[int, str]],
                    settings: IcmpSettings) -> dict[int, IcmpReading]:
        readings = await asyncio.gather(*(
            self.ping(a, settings.count, settings.packet_interval_s, settings.timeout_s)
            for _, a in targets))
        return {d: r for (d, _), r in zip(targets, readings, strict=True)}

    async def ping(self, address: str, count: int, interval_s: float,
                   timeout_s: float) -> IcmpReading:
        self.calls.append((address, count, interval_s, timeout_s))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(self.delay_s)
        self.in_flight -= 1
        return summarise(address, count, self.answers.get(address, []))


def test_probe_all_reports_each_device_with_the_settings() -> None:
    pinger = FakePinger({f"127.0.0.{i}": [0.1, 0.1] for i in range(1, 40)})
    settings = IcmpSettings(count=2, packet_interval_s=0.0, timeout_s=0.3)
    seen: dict[int, IcmpReading] = {}
    targets = [(i, f"127.0.0.{i}") for i in range(1, 51)]
    done = asyncio.run(probe_all(pinger, targets, settings, seen.__setitem__))
    assert done == 50 and len(seen) == 50
    assert {c[1:] for c in pinger.calls} == {(2, 0.0, 0.3)}
    assert seen[1].received == 2 and seen[45].received == 0


def test_loop_sweeps_every_interval_until_stopped() -> None:
    pinger = FakePinger({"127.0.0.1": [0.2]}, delay_s=0.0)
    settings = IcmpSettings(interval_s=0.05, count=1)
    state = LiveState()

    async def run() -> int:
        stop = asyncio.Event()
        task = asyncio.create_task(icmp_loop(
            pinger, lambda: [(7, "127.0.0.1"), (8, "127.0.0.9")], settings,
            lambda dev, r: state.update_icmp(dev, r, 0.0), stop))
        await asyncio.sleep(0.5)  # the first sweep starts within one interval
        stop.set()
        await asyncio.wait_for(task, 1.0)
        return len(pinger.calls)

    calls = asyncio.run(run())
    assert calls >= 4
    entry7, entry8 = state.device(7), state.device(8)
    assert entry7 is not None and entry7.icmp is not None and entry7.icmp.received == 1
    assert entry8 is not None and entry8.icmp is not None and entry8.icmp.received == 0
    assert state.device(9) is None


class StubService:
    """The extension points features.icmp.attach uses (see provnet.service.Service)."""

    def __init__(self, icmp: IcmpSettings) -> None:
        self.settings = SimpleNamespace(icmp=icmp)
        self.plan = SimpleNamespace(
            targets=[SimpleNamespace(device_id=1, address="127.0.0.1"),
                     SimpleNamespace(device_id=2, address="127.10.0.9")],
            device_tags={1: {"device": "ub-mỹ-hòa", "site": "UB-30301"}})
        self.live = LiveState()
        self.background: list[tuple[str, Any]] = []
        self.routers: list[Any] = []
        self.points: list[Point] = []

    def queue_points(self, points: list[Point]) -> None:
        self.points.extend(points)

    def local_targets(self) -> list[Any]:
        """No remote poller nodes here: every target of the plan."""
        return list(self.plan.targets)


def run_background(task: Any, seconds: float = 0.3) -> None:
    """Run a ``service.background`` task for ``seconds``, then stop it (1 s to finish)."""

    async def run() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(task(stop))
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.wait_for(running, 1.0)

    asyncio.run(run())


def test_attach_icmp_registers_a_task_that_feeds_points_live_state_and_status() -> None:
    service = StubService(IcmpSettings(interval_s=0.05, count=2))
    pinger = FakePinger({"127.0.0.1": [0.3, 0.5]}, delay_s=0.0)
    assert icmp_feature.attach(service, pinger=pinger)  # type: ignore[arg-type]
    ((name, task),) = service.background
    assert name == "icmp"
    assert service.routers == []  # /api/v1/reachability is always mounted by create_app
    run_background(task)
    e1, e2 = service.live.device(1), service.live.device(2)
    assert e1 is not None and e2 is not None and e1.icmp and e2.icmp
    assert device_status(e1.icmp, snmp_ok=False) == SNMP_NOT_ANSWERING
    assert device_status(e2.icmp, snmp_ok=False) == UNREACHABLE
    assert not e1.polled and device_status_of(e1, 25.0) == "up"  # pings, not polled yet
    p1 = next(p for p in service.points if p.tags.get("device") == "ub-mỹ-hòa")
    assert p1.measurement == "icmp" and p1.tags["site"] == "UB-30301"
    assert p1.fields["received"] == 2 and p1.fields["rtt_avg_ms"] == 0.4
    assert any(p.tags == {"device": "2"} and p.fields["loss_pct"] == 100.0
               for p in service.points)


def test_attach_icmp_disabled_adds_nothing() -> None:
    service = StubService(IcmpSettings(enabled=False))
    assert not icmp_feature.attach(service)  # type: ignore[arg-type]
    assert service.background == []


@pytest.mark.parametrize("own_thread", [True, False])
def test_sweep_thread_and_delivery_on_the_callers_loop(own_thread: bool) -> None:
    main = threading.get_ident()
    probe_threads: set[int] = set()
    delivered: list[tuple[int, int]] = []

    class ThreadPinger(FakePinger):
        async def ping(self, address: str, count: int, interval_s: float,
                       timeout_s: float) -> IcmpReading:
            probe_threads.add(threading.get_ident())
            return await super().ping(address, count, interval_s, timeout_s)

    settings = IcmpSettings(interval_s=0.3, count=1, own_thread=own_thread)

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(icmp_loop(
            ThreadPinger({"127.0.0.1": [0.1]}), lambda: [(1, "127.0.0.1"), (2, "127.0.0.2")],
            settings, lambda dev, r: delivered.append((dev, threading.get_ident())), stop))
        for _ in range(700):
            if len(delivered) >= 2:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 2.0)

    asyncio.run(run())
    assert {d for d, _ in delivered} == {1, 2}
    assert {t for _, t in delivered} == {main}
    assert (main in probe_threads) is (not own_thread)
