"""SSH errors. A failing device is an :class:`~pollers.ssh.types.SshResult` with ``error``;
these exceptions cross only the adapter boundary and the set-up code."""

from __future__ import annotations

from provnet.pollers.errors import PollerError


class SshError(PollerError):
    """Root of the SSH collector's errors."""

    kind = "error"


class PlatformError(SshError):
    """A platform file is missing, malformed, or names an unknown parser."""

    kind = "platform"


class SshAuthError(SshError):
    """The device refused our credentials."""

    kind = "auth"


class SshUnreachableError(SshError):
    """TCP connect or SSH handshake failed or timed out."""

    kind = "unreachable"


class HostKeyError(SshError):
    """The device's host key is unknown (strict mode) or differs from the pinned one."""

    kind = "host_key"


class SshCommandError(SshError):
    """A command did not complete (timeout, unexpected prompt)."""

    kind = "command"
