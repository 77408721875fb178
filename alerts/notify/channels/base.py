"""The Channel protocol: one delivery path for rendered notifications."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from provnet.alerts.notify.types import Notification, Rendered


@runtime_checkable
class Channel(Protocol):
    """Delivers one notification; raises ``NotifyError`` (``ChannelError``) on failure."""

    name: str

    async def send(self, n: Notification, rendered: Rendered) -> None:
        """Deliver ``n``, already rendered (in ``self.language`` when the channel has one)."""
        ...
