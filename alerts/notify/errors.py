"""Exception root of the notification package."""

from __future__ import annotations


class NotifyError(Exception):
    """A notification could not be rendered or delivered (library errors are translated here)."""


class ChannelError(NotifyError):
    """One channel failed to deliver one notification; ``retryable`` says whether to try again."""

    def __init__(self, channel: str, message: str, *, retryable: bool = True) -> None:
        super().__init__(f"{channel}: {message}")
        self.channel = channel
        self.retryable = retryable
