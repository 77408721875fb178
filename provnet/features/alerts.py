"""Alerting attached to the service: the result consumer, the evaluation loop, the outbox
delivery loop and the alerts API. Collectors that feed it (traps, ICMP, SSH optics) are
linked to the returned handle by :func:`provnet.features.attach_all`."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from provnet.alerts.engine import Engine
from provnet.alerts.eventfeed import NodeFeed
from provnet.alerts.incidents import IncidentBook
from provnet.alerts.notify.outbox import Outbox
from provnet.alerts.observe import CycleCollector
from provnet.alerts.rules import load_rules
from provnet.alerts.runner import AlertsHandle
from provnet.alerts.view import InventoryView, load_view
from provnet.api.alerts import alerts_router
from provnet.api.alerts_nodes import nodes_router

if TYPE_CHECKING:
    from provnet.service import Service

log = logging.getLogger(__name__)


def public_url(service: Service) -> str:
    """The base URL of the API in notification links."""
    api = service.settings.api
    return service.settings.alerts.public_url or f"http://{api.host}:{api.port}"


def collector_for(view: InventoryView) -> CycleCollector:
    """The cycle collector of one inventory view (labels and link ends)."""
    link_labels: Mapping[int, Mapping[str, str]] = {k: view.link_labels(k) for k in view.links}
    return CycleCollector({d: i.labels() for d, i in view.devices.items()},
                          view.link_ends(), link_labels)


def reload(service: Service, handle: AlertsHandle) -> None:
    """The inventory changed: reason on the new topology from the next cycle on."""
    try:
        with service.store.session() as s:
            view = load_view(s)
    except LookupError as exc:
        log.error("alerts keep the previous topology: %s", exc)
        return
    handle.reload(collector_for(view), view)
    log.info("alerts: topology reloaded (%d devices, %d links)", len(view.devices),
             len(view.links))


def attach(service: Service) -> AlertsHandle | None:
    """Register alerting on ``service`` (None when ``alerts.enabled`` is false or there is
    no topology to reason on). Bad rules raise :class:`provnet.alerts.errors.RulesError`
    naming the file and the key."""
    cfg = service.settings.alerts
    if not cfg.enabled:
        return None
    rules = load_rules(cfg.rules_file)
    try:
        with service.store.session() as s:
            view = load_view(s)
    except LookupError as exc:  # no core site: no topology to reason on
        log.error("alerts disabled: %s", exc)
        return None
    collector = collector_for(view)
    outbox = Outbox(service.store, cfg.notify)
    base = public_url(service)
    if cfg.public_url is None:
        cfg = cfg.model_copy(update={"public_url": base})
    book = IncidentBook(service.store, Engine(rules, time.time), view, outbox, cfg, time.time)
    restored = book.restore()
    poller = service.settings.poller
    handle = AlertsHandle(book, collector, outbox, poller.interval_s,
                          optic_recent_s=poller.interval_s * poller.stale_after_intervals)
    service.consumers.append(handle)
    service.background.append(("alerts", handle.run))
    service.background.append(("outbox", outbox.run))
    # remote poller nodes (issue 16): the transport's consumer calls handle.nodes
    nodes = NodeFeed(handle, cfg.eventtime, time.time, cfg.escalate_after_s)
    service.background.append(("alerts-nodes", nodes.run))
    service.routers.append(nodes_router(nodes.status))
    service.routers.append(alerts_router(service.store, outbox, base,
                                         config_window_s=cfg.config_change_window_s))
    log.info("alerts: %d rules from %s, %d open alerts restored, channels: %s",
             len(rules.rules), rules.source, restored, ", ".join(outbox.channels) or "none")
    return handle
