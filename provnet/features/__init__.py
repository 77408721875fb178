"""Every feature attached to the running service, in one place.

Each module here attaches one feature (its background tasks, result consumers, API routers
and closers) to the :class:`~provnet.service.Service` extension points; :func:`attach_all`
calls them in order and links the features to each other explicitly (no registries):
traps, ICMP probes and SSH optic readings feed alerting; coverage feeds the map pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provnet.features import (
    actions,
    admin,
    alerts,
    cluster,
    coverage,
    gcpause,
    history,
    icmp,
    identity,
    influxd,
    inventory,
    maps,
    metrics,
    ssh,
    stream,
    traps,
    web,
    webeng,
)

if TYPE_CHECKING:
    from provnet.service import Service


def attach_all(service: Service) -> None:
    """Attach every feature to ``service`` (called after the poll plan is loaded).

    Raises the package error of a feature whose configuration is invalid (e.g.
    :class:`provnet.alerts.errors.RulesError`); the CLI maps it to an exit code.
    """
    alerting = alerts.attach(service)
    receiver = traps.attach(service, listeners=[alerting.on_trap] if alerting else [])
    icmp.attach(service, listeners=[alerting.on_icmp] if alerting else [])
    cov = coverage.attach(service)
    pages = maps.attach(service, cov)
    ssh.attach(service, on_optics=alerting.on_optics if alerting else None)
    stream.attach(service)  # live updates of each cycle: /api/v1/stream
    watch = inventory.attach(service, alerting, cov, on_reload=[pages.invalidate])
    hist = history.attach(service)
    if hist is not None:  # the sampled links and the history routes follow the inventory
        watch.on_reload.append(hist.reload)
    registry = metrics.attach(service, hist)
    if receiver is not None:  # traps received, ignored, refused by SNMPv3 security
        registry.register(traps.TrapCounts(receiver))
    webeng.attach(service, hist)  # link, device and commune pages (issue 15)
    influxd.attach(service, alerting=alerting)
    gcpause.attach(service)  # full GC passes off the API's tail (issue 14)
    identity.attach(service)  # every route's role enforced; the demo's first users
    nodes = cluster.attach(service, alerting)  # remote poller nodes over NATS (issue 16)
    if nodes is not None:  # an inventory change (a site's poller_group) re-plans at once
        watch.on_reload.append(nodes.refresh)
    actions.attach(service)  # poll a device / back its configuration up now (issue 13)
    admin.attach(service, watch)  # users, tokens, settings over HTTP for admins (issue 13)
    site = web.attach(service, cov, hist)  # the web face: search, home, incidents, help
    watch.on_reload.append(site.invalidate)
