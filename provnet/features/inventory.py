"""Inventory changes applied live, ifIndexes kept by interface name, and the inventory
object routes (``/api/v1/inventory/{kind}``, :mod:`provnet.api.inventory_routes`).

* Every ``CHECK_S`` (at most half a poll interval) the inventory version is read (one row);
  when an import, an API change, a sync or an ifIndex correction moved it, the poll plan is
  rebuilt (a new device is polled from its next slot, a removed one stops), the alert
  topology is reloaded and the coverage is recomputed (incrementally).
* Each poll result's interface names (ifName, else ifDescr) are compared with the
  inventory's: an interface imported by name gets its ifIndex, a renumbered one is corrected
  (which moves the version, so the plan follows).
* ``SIGHUP`` re-reads the settings file: SNMP profiles, the poll profile file and groups, and
  the alert rules file are taken over; the rest (ports, interval, state dir) needs a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from provnet.alerts.runner import AlertsHandle
from provnet.api.inventory_routes import inventory_objects_router
from provnet.inventory import audit, ifindex, version
from provnet.maps.coverage import CoverageService
from provnet.maps.errors import MapsError
from provnet.pollers.scheduler import CycleStats
from provnet.pollers.types import IfRates, PollResult

if TYPE_CHECKING:
    from provnet.config.settings import Settings
    from provnet.service import Service

log = logging.getLogger(__name__)
CHECK_S = 2.0


class InventoryWatch:
    """Result consumer + background task that keep the running service on the inventory."""

    def __init__(self, service: Service, alerting: AlertsHandle | None,
                 coverage: CoverageService | None,
                 on_reload: Sequence[Callable[[], None]] = ()) -> None:
        self.service, self.alerting, self.coverage = service, alerting, coverage
        #: told after each rebuild (e.g. the map pages forget their cached inventory reads)
        self.on_reload = list(on_reload)
        self.seen_version = -1
        self.names: dict[int, dict[str, int | None]] = {}
        self.pending: dict[int, dict[str, int]] = {}
        self.reloads = 0
        self._hup = False

    # --- ResultConsumer -------------------------------------------------------------------
    def on_result(self, result: PollResult, rates: dict[int, IfRates]) -> None:
        """Queue the ifIndex corrections this device's answer calls for."""
        del rates
        dev = result.target.device_id
        expected = self.names.get(dev)
        if not result.ok or not expected:
            return
        seen = ifindex.seen_names((i, s.name) for i, s in result.interfaces.items())
        fix = ifindex.resolve(expected, seen)
        if fix:
            self.pending[dev] = fix

    def on_cycle(self, stats: CycleStats) -> None:
        del stats

    # --- the check loop -------------------------------------------------------------------
    def check(self) -> bool:
        """Store pending ifIndexes, then reload when the version moved (runs in a thread)."""
        pending, self.pending = self.pending, {}
        if pending:
            with self.service.store.session() as s:
                for dev, fix in pending.items():
                    n = ifindex.store_ifindexes(s, dev, fix)
                    if n:
                        log.info("device %d: ifIndex of %s from SNMP", dev,
                                 ", ".join(f"{k}={v}" for k, v in sorted(fix.items())))
        with self.service.store.session() as s:
            current = version.current(s)
        if current == self.seen_version:
            return False
        first = self.seen_version < 0
        self.seen_version = current
        self.reload(rebuild=not first)
        return True

    def reload(self, rebuild: bool = True) -> None:
        """Read the inventory again: names, and (``rebuild``) plan, alerts, coverage."""
        svc = self.service
        with svc.store.session() as s:
            self.names = ifindex.device_ifindexes(s)
        if not rebuild:
            return
        self.reloads += 1
        svc.load_plan()
        if svc.api_context is not None:
            svc.api_context.invalidate()
        for forget in self.on_reload:
            forget()
        if self.alerting is not None:
            from provnet.features.alerts import reload as reload_alerts

            reload_alerts(svc, self.alerting)
        if self.coverage is not None and svc.settings.coverage.compute_on_start:
            try:
                self.coverage.refresh()
            except MapsError as exc:
                log.error("coverage after the inventory change failed: %s", exc)
        log.info("inventory version %d applied without restart", self.seen_version)

    def reload_settings(self, settings: Settings, who: audit.Who | None = None) -> None:
        """Take over what can change while running (see the module doc); ``who`` asked for
        it (default: a SIGHUP)."""
        svc = self.service
        keep = svc.settings
        svc.settings = keep.model_copy(update={
            "snmp_profiles": settings.snmp_profiles,
            "poller": keep.poller.model_copy(update={
                "profiles_file": settings.poller.profiles_file,
                "groups_dir": settings.poller.groups_dir}),
            "alerts": keep.alerts.model_copy(update={"rules_file": settings.alerts.rules_file}),
        })
        svc.load_plan()
        if self.alerting is not None:
            from provnet.alerts.rules import load_rules

            self.alerting.book.engine.rules = load_rules(settings.alerts.rules_file)
        who = who or audit.Who("signal:SIGHUP")
        log.info("settings reloaded (%s): SNMP profiles, poll profiles, alert rules",
                 "SIGHUP" if who.actor == "signal:SIGHUP" else f"by {who.actor}")
        with svc.store.session() as s:  # names and paths only: never a community or a key
            audit.record(s, who, "settings.reload", "settings",
                         _reloadable(keep), _reloadable(svc.settings))

    async def run(self, stop: asyncio.Event) -> None:
        """Check every ``CHECK_S`` (or half an interval) until ``stop``; SIGHUP reloads."""
        every = min(CHECK_S, self.service.settings.poller.interval_s / 2)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGHUP, self._on_hup)
        try:
            while not stop.is_set():
                try:
                    if self._hup and self.service.settings_loader is not None:
                        self._hup = False
                        await asyncio.to_thread(self._hup_reload, self.service.settings_loader)
                    await asyncio.to_thread(self.check)
                except Exception:  # a bad row or file must not stop monitoring
                    log.exception("applying the inventory change failed; will retry")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), every)
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGHUP)

    def _on_hup(self) -> None:
        self._hup = True

    def _hup_reload(self, loader: Callable[[], Settings]) -> None:
        try:
            settings = loader()
        except Exception as exc:  # a broken file keeps the running settings
            log.error("SIGHUP: settings not reloaded: %s", exc)
            return
        self.reload_settings(settings)


def netbox_task(service: Service) -> Callable[[asyncio.Event], Any]:
    """``netbox.url`` set: sync from NetBox at start and every ``netbox.interval_s``; the
    watch then applies each sync's changes like an import's."""
    import os

    from provnet.inventory.errors import InventoryError
    from provnet.inventory.netbox_sync import PynetboxSource, sync

    cfg = service.settings.netbox

    def once() -> None:
        token = os.environ.get(cfg.token_env)
        if not token or not cfg.url:
            log.error("NetBox sync skipped: environment variable %s is not set", cfg.token_env)
            return
        plan = sync(service.store, PynetboxSource(cfg.url, token), service.settings.state_dir,
                    cfg.url, cfg.filters,
                    poller_groups=[g.name for g in service.settings.cluster.groups])
        if not plan.ok:
            log.error("NetBox sync refused (nothing written): %s",
                      "; ".join(map(str, plan.issues[:10])))
        elif any(plan.diff.values()):
            log.info("NetBox sync: %s", ", ".join(f"{k} +{a} ~{c} -{r}" for k, (a, c, r)
                                                  in plan.counts().items() if a or c or r))

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(once)
            except InventoryError as exc:
                log.error("NetBox sync failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), cfg.interval_s)

    return run


def attach(service: Service, alerting: AlertsHandle | None,
           coverage: CoverageService | None,
           on_reload: Sequence[Callable[[], None]] = ()) -> InventoryWatch:
    """Register the watch (result consumer and background check), the inventory routes and,
    when configured, the scheduled NetBox sync."""
    watch = InventoryWatch(service, alerting, coverage, on_reload)
    service.routers.append(inventory_objects_router(
        service.store, [g.name for g in service.settings.cluster.groups]))
    service.consumers.append(watch)
    service.background.append(("inventory", watch.run))
    if service.settings.netbox.url:
        service.background.append(("netbox", netbox_task(service)))
    return watch


def _reloadable(settings: Settings) -> dict[str, object]:
    """What a SIGHUP may change, for the audit log (no secret)."""
    return {"snmp_profiles": sorted(settings.snmp_profiles),
            "poll_profiles_file": str(settings.poller.profiles_file),
            "poll_groups_dir": str(settings.poller.groups_dir),
            "alert_rules_file": str(settings.alerts.rules_file)}
