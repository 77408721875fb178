"""The outbox on a real SQLite store, delivering to a real HTTP receiver on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete

from provnet.alerts.notify.model import OutboxDelivery, OutboxNotification
from provnet.alerts.notify.outbox import Outbox, backoff_delay
from provnet.config.notify import NotifierSettings, RetryPolicy
from provnet.inventory.store import Store, open_store
from tests.support.notify_cases import DATA, case
from tests.support.notify_receivers import HttpReceiver, Request

pytestmark = pytest.mark.integration


class Clock:
    """Test clock: time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def settings(url: str, **retry: float) -> NotifierSettings:
    return NotifierSettings.model_validate(
        {
            "webhook": {"enabled": True, "url": url, "timeout_s": 2},
            "retry": {"initial_s": 10, "factor": 2, "max_delay_s": 60, "jitter": 0, **retry},
            "poll_interval_s": 0.2,
        }
    )


def _run_until_delivered(outbox: Outbox, polls: int) -> None:
    """Run ``outbox`` until nothing is pending (checked ``polls`` times, 50 ms apart)."""

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(outbox.run(stop))
        for _ in range(polls):
            if outbox.pending() == 0:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await task

    asyncio.run(run())


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    from tests.support.pg_server import postgres_or_skip

    with postgres_or_skip() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated store, empty outbox: SQLite file, or the module's PostgreSQL server."""
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path}/provnet.db")
    else:
        s = open_store(request.getfixturevalue("pg_url"))
        with s.session() as session:
            session.execute(delete(OutboxDelivery))
            session.execute(delete(OutboxNotification))
    yield s
    s.close()


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    yield receiver
    receiver.stop()


@pytest.mark.parametrize(
    ("attempts", "rand", "expected"),
    [
        (1, 0.5, 10),
        (2, 0.5, 20),
        (3, 0.5, 40),
        (4, 0.5, 60),
        (9, 0.5, 60),
        (1, 0.0, 8),
        (1, 1.0, 12),
    ],
)
def test_backoff_delay(attempts: int, rand: float, expected: float) -> None:
    policy = RetryPolicy(initial_s=10, factor=2, max_delay_s=60, jitter=0.2)
    assert backoff_delay(policy, attempts, rand) == pytest.approx(expected)


def test_receiver_down_retried_with_backoff_then_delivered(
    store: Store, http: HttpReceiver
) -> None:
    clock = Clock()
    outbox = Outbox(store, settings(f"{http.url}/hook"), clock=clock)
    assert outbox.enqueue(case("firing-vi"))
    t0 = clock.now
    for expected_delay in (10, 20, 40, 60):  # receiver not started: connection refused
        assert asyncio.run(outbox.deliver_due()) == 0
        [d] = outbox.deliveries()
        assert d.status == "pending" and "ConnectError" in (d.last_error or "")
        assert d.next_attempt_at == clock.now + timedelta(seconds=expected_delay)
        clock.advance(expected_delay - 1)
        assert asyncio.run(outbox.deliver_due()) == 0  # not due yet: nothing sent
        clock.advance(1)
    http.start()
    assert asyncio.run(outbox.deliver_due()) == 1
    [d] = outbox.deliveries()
    assert d.status == "delivered" and d.attempts == 5
    assert d.delivered_at == t0 + timedelta(seconds=130)
    assert [b["key"] for b in http.bodies()] == ["incident-12-firing-1"]
    assert outbox.pending() == 0


def test_gives_up_after_max_attempts_and_stays_visible(store: Store, http: HttpReceiver) -> None:
    clock = Clock()
    outbox = Outbox(store, settings(f"{http.url}/hook", max_attempts=3), clock=clock)
    outbox.enqueue(case("firing-vi"))
    for _ in range(3):
        asyncio.run(outbox.deliver_due())
        clock.advance(120)
    [d] = outbox.deliveries()
    assert (d.status, d.attempts) == ("failed", 3)
    assert outbox.deliveries(status="failed")[0].key == "incident-12-firing-1"
    assert outbox.pending() == 0


def test_gives_up_after_max_age(store: Store, http: HttpReceiver) -> None:
    clock = Clock()
    outbox = Outbox(store, settings(f"{http.url}/hook", max_age_s=25), clock=clock)
    outbox.enqueue(case("firing-vi"))
    asyncio.run(outbox.deliver_due())  # t=0 fails, retry at 10
    clock.advance(10)
    asyncio.run(outbox.deliver_due())  # t=10 fails, retry at 30
    assert outbox.deliveries()[0].status == "pending"
    clock.advance(20)
    asyncio.run(outbox.deliver_due())  # t=30 fails, older than 25 s: give up
    assert outbox.deliveries()[0].status == "failed"


def test_permanent_error_fails_at_once(store: Store, http: HttpReceiver) -> None:
    http.respond = lambda _r: (400, b'{"error": "bad"}')
    http.start()
    outbox = Outbox(store, settings(f"{http.url}/hook"), clock=Clock())
    outbox.enqueue(case("firing-vi"))
    asyncio.run(outbox.deliver_due())
    [d] = outbox.deliveries()
    assert (d.status, d.attempts) == ("failed", 1) and "HTTP 400" in (d.last_error or "")


def test_duplicate_enqueue_is_ignored(store: Store, http: HttpReceiver) -> None:
    http.start()
    outbox = Outbox(store, settings(f"{http.url}/hook"), clock=Clock())
    n = case("firing-vi")
    assert outbox.enqueue(n) is True
    assert outbox.enqueue(n) is False
    assert Outbox(store, settings(f"{http.url}/hook")).enqueue(n) is False  # another instance
    asyncio.run(outbox.deliver_due())
    assert outbox.enqueue(n) is False  # even after delivery
    asyncio.run(outbox.deliver_due())
    assert len(http.requests) == 1


def test_queued_counts_the_channels_of_a_key(store: Store) -> None:
    n = case("firing-vi")
    none = Outbox(store, NotifierSettings(), clock=Clock())
    assert none.queued(n.key) == 0
    assert none.enqueue(n) is True
    assert none.queued(n.key) == 0  # persisted, but no channel to send it over
    webhook = Outbox(store, settings("http://127.0.0.1:9/hook"), clock=Clock())
    m = case("resolved-vi")
    assert webhook.enqueue(m) is True
    assert webhook.queued(m.key) == 1


def test_resolution_never_before_its_firing(store: Store, http: HttpReceiver) -> None:
    failed_once: list[str] = []

    def flaky(req: Request) -> tuple[int, bytes]:
        key = req.json()["key"]
        if key == "incident-12-firing-1" and not failed_once:  # the firing fails once
            failed_once.append(key)
            return 503, b"{}"
        return 200, b"{}"

    http.respond = flaky
    http.start()
    clock = Clock()
    outbox = Outbox(store, settings(f"{http.url}/hook"), clock=clock)
    firing, resolved = case("firing-vi"), case("resolved-vi")
    other = replace(
        case("firing-en"),
        key="incident-99-firing-1",
        incident=replace(case("firing-en").incident, id=99),
    )
    for n in (firing, resolved, other):
        outbox.enqueue(n)
    assert asyncio.run(outbox.deliver_due()) == 1  # only incident 99 goes through
    keys = [b["key"] for b in http.bodies()]
    assert "incident-12-resolved-1" not in keys and "incident-99-firing-1" in keys
    clock.advance(10)
    assert asyncio.run(outbox.deliver_due()) == 2
    keys = [b["key"] for b in http.bodies() if b["incident"]["id"] == 12]
    assert keys == ["incident-12-firing-1", "incident-12-firing-1", "incident-12-resolved-1"]


def test_restart_delivers_what_was_pending(tmp_path: Path, http: HttpReceiver) -> None:
    url = f"sqlite:///{tmp_path}/provnet.db"
    first = open_store(url)
    outbox = Outbox(first, settings(f"{http.url}/hook"))
    outbox.enqueue(case("firing-vi"))
    outbox.enqueue(case("resolved-vi"))

    async def run_for(box: Outbox, seconds: float) -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        await box.run(stop)

    asyncio.run(run_for(outbox, 0.5))  # receiver down the whole time
    assert outbox.pending() == 2
    first.close()

    http.start()
    second = open_store(url)  # "restart": new store, new outbox, same database
    restarted = Outbox(second, settings(f"{http.url}/hook"))
    assert restarted.pending() == 2
    _run_until_delivered(restarted, polls=60)
    second.close()
    # Delivered promptly although the first process had scheduled its retry 10 s later.
    assert [b["event"] for b in http.bodies()] == ["firing", "resolved"]


def test_run_wakes_on_enqueue(store: Store, http: HttpReceiver) -> None:
    http.start()
    slow = NotifierSettings.model_validate(
        {"webhook": {"enabled": True, "url": f"{http.url}/hook"}, "poll_interval_s": 60}
    )
    outbox = Outbox(store, slow)

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(outbox.run(stop))
        await asyncio.sleep(0.2)  # the loop is now idle for up to 60 s
        outbox.enqueue(case("firing-vi"))
        for _ in range(100):
            if http.requests:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    assert len(http.requests) == 1


def test_test_notify_pass_only_touches_its_keys(store: Store, http: HttpReceiver) -> None:
    http.start()
    outbox = Outbox(store, settings(f"{http.url}/hook"), clock=Clock())
    outbox.enqueue(case("firing-vi"))
    outbox.enqueue(case("test-vi"))
    assert asyncio.run(outbox.deliver_due(keys=["test-20261121T150000"])) == 1
    assert [b["event"] for b in http.bodies()] == ["test"]
    [d] = outbox.deliveries(key="test-20261121T150000")
    assert (d.channel, d.status) == ("webhook", "delivered")
    assert outbox.pending() == 1


def test_send_test_notification_reports_each_channel(store: Store, http: HttpReceiver) -> None:
    from provnet.alerts.notify.testnotify import send_test_notification
    from tests.support.helpers import free_port

    http.start()
    both = NotifierSettings.model_validate(
        {
            "webhook": {"enabled": True, "url": f"{http.url}/hook"},
            "email": {
                "enabled": True,
                "port": free_port(),
                "recipients": ["a@x.vn"],
                "timeout_s": 2,
            },
        }
    )
    outbox = Outbox(store, both)
    records = asyncio.run(send_test_notification(outbox))
    assert [(r.channel, r.status) for r in records] == [
        ("email", "failed"),
        ("webhook", "delivered"),
    ]
    assert "ConnectionRefused" in (records[0].last_error or "")
    assert outbox.pending() == 0  # the failed test is not retried by the service
    [body] = http.bodies()
    assert body["event"] == "test" and body["affected"][0]["site_name"] == "UBND xã Lương Phi"


def test_two_outboxes_on_one_store_send_once(store: Store, http: HttpReceiver) -> None:
    http.start()
    a = Outbox(store, settings(f"{http.url}/hook"))
    b = Outbox(store, settings(f"{http.url}/hook"))
    for name in ("firing-vi", "firing-en", "test-vi"):
        n = case(name)
        a.enqueue(replace(n, key=f"{n.key}-{name}"))

    async def both() -> list[int]:
        return list(await asyncio.gather(a.deliver_due(), b.deliver_due()))

    assert sum(asyncio.run(both())) == 3
    assert len(http.requests) == 3


CHILD = """
import asyncio, json, sys
from provnet.alerts.notify.codec import from_dict
from provnet.alerts.notify.outbox import Outbox
from provnet.config.notify import NotifierSettings
from provnet.inventory.store import open_store
db, hook, case = sys.argv[1:4]
outbox = Outbox(open_store(db), NotifierSettings.model_validate(
    {"webhook": {"enabled": True, "url": hook, "timeout_s": 60}}))
outbox.enqueue(from_dict(json.load(open(case))["notification"]))
asyncio.run(outbox.run(asyncio.Event()))
"""


def test_killed_mid_send_is_delivered_after_restart(tmp_path: Path, http: HttpReceiver) -> None:
    import subprocess
    import sys
    import threading
    import time

    from tests.support.helpers import stop_process

    release = threading.Event()

    def hang_first(req: Request) -> tuple[int, bytes]:
        if len(http.requests) == 1:
            release.wait(30)  # the child is killed while waiting for this answer
        return 200, b"{}"

    http.respond = hang_first
    http.start()
    db = f"sqlite:///{tmp_path}/provnet.db"
    open_store(db).close()  # migrate before the child starts
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            db,
            f"{http.url}/hook",
            str(DATA / "firing-vi" / "input.json"),
        ],
    )
    try:
        deadline = time.monotonic() + 30
        while not http.requests:
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        child.kill()  # SIGKILL mid-send: no cleanup
        child.wait(10)
    finally:
        stop_process(child)
        release.set()
    store = open_store(db)
    restarted = Outbox(store, settings(f"{http.url}/hook"))
    assert restarted.pending() == 1
    _run_until_delivered(restarted, polls=100)
    [d] = restarted.deliveries()
    assert d.status == "delivered"
    assert [b["key"] for b in http.bodies()] == ["incident-12-firing-1"] * 2  # at-least-once
    store.close()
