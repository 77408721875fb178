"""Where feature packages attach to the running service (composition root).

Each feature (SSH collection, alerts, coverage maps, ...) adds one ``attach_*`` call to
:func:`attach`; its code registers consumers, background tasks, API routers and closers on
the :class:`~provnet.service.Service` extension points and never edits the core loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provnet.service import Service


def attach(service: Service) -> None:
    """Attach every feature to ``service`` (called after the poll plan is loaded)."""
    from provnet.alerts.service import attach_alerts
    from provnet.maps.api import attach_coverage
    from provnet.maps.pages import attach_maps
    from provnet.pollers.icmp import attach_icmp
    from provnet.pollers.traps import attach_traps
    from provnet.ssh_service import attach_ssh

    traps = attach_traps(service)
    icmp = attach_icmp(service)
    alerts = attach_alerts(service)
    if traps is not None and alerts is not None:  # linkDown/linkUp traps alert at once
        traps.listeners.append(alerts.on_trap)
    if icmp is not None and alerts is not None:  # latency and loss rules
        icmp.listeners.append(alerts.on_icmp)
    attach_coverage(service)
    attach_maps(service)
    attach_ssh(service)
