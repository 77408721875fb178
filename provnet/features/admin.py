"""Users, tokens and settings over HTTP for admins (routes in ``api/admin.py``): the settings
reload re-reads the file the service was started with and hands it to the inventory watch,
exactly as ``SIGHUP`` does (audited with the admin as actor)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provnet.api.admin import SettingsRefused, admin_router
from provnet.inventory import audit, auth

if TYPE_CHECKING:
    from provnet.features.inventory import InventoryWatch
    from provnet.service import Service


def attach(service: Service, watch: InventoryWatch) -> None:
    """The routes under ``/api/v1/users``, ``/api/v1/tokens`` and ``/api/v1/settings``."""
    secret = auth.server_secret(service.settings.state_dir)

    def reload(who: audit.Who) -> dict[str, Any]:
        loader = service.settings_loader
        if loader is None:
            raise SettingsRefused(409, "this service was not started from a settings file "
                                       "that can be re-read")
        try:
            settings = loader()
        except Exception as exc:  # a broken file keeps the running settings
            raise SettingsRefused(422, f"settings not reloaded, the running ones are kept: "
                                       f"{exc}") from exc
        watch.reload_settings(settings, who)
        return {"reloaded": ["snmp_profiles", "poller.profiles_file", "poller.groups_dir",
                             "alerts.rules_file"], "targets": len(service.plan.targets)}

    service.routers.append(admin_router(service.store, secret, lambda: service.settings,
                                        reload))
