"""The netmiko adapter: one synchronous SSH session running a few commands (worker thread).

The only module that imports netmiko. Library errors become :mod:`pollers.ssh.errors`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import paramiko
from netmiko import (
    ConnectHandler,
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadTimeout,
)

from provnet.pollers.ssh.errors import (
    HostKeyError,
    SshAuthError,
    SshCommandError,
    SshError,
    SshUnreachableError,
)
from provnet.pollers.ssh.hostkeys import KnownHosts, fingerprint, policy_for
from provnet.pollers.ssh.types import SshTarget

log = logging.getLogger(__name__)


class SessionRunner(Protocol):
    """Runs commands on one device over SSH; raises :class:`SshError` subclasses."""

    def run(self, target: SshTarget, device_type: str, enable: bool,
            commands: dict[str, str], logout: str = "exit") -> dict[str, str]:
        """Open a session, run each command (key -> command), return key -> output."""
        ...


@dataclass
class NetmikoRunner:
    """:class:`SessionRunner` on netmiko, host keys checked against ``known_hosts``."""

    known_hosts: KnownHosts
    host_key_policy: str = "pin_first_use"
    connect_timeout_s: float = 10.0
    command_timeout_s: float = 30.0

    def _params(self, target: SshTarget, device_type: str) -> dict[str, object]:
        login = target.login
        return {
            "device_type": device_type, "host": target.host, "port": target.port,
            "username": login.username, "password": login.password or "",
            "secret": login.enable_secret or "",
            "key_file": str(login.key_file) if login.key_file else None,
            "use_keys": login.key_file is not None, "allow_agent": False,
            "conn_timeout": self.connect_timeout_s, "auth_timeout": self.connect_timeout_s,
            "banner_timeout": self.connect_timeout_s,
            "ssh_strict": True, "system_host_keys": False, "alt_host_keys": True,
            "alt_key_file": str(self.known_hosts.path), "auto_connect": False,
        }

    def run(self, target: SshTarget, device_type: str, enable: bool,
            commands: dict[str, str], logout: str = "exit") -> dict[str, str]:
        """See :class:`SessionRunner`."""
        try:
            conn = ConnectHandler(**self._params(target, device_type))
        except ValueError as exc:  # unknown device_type and the like
            raise SshError(f"{target.name}: {exc}") from exc
        conn.key_policy = policy_for(self.host_key_policy, self.known_hosts)
        try:
            _open(conn, target)
            if enable:
                try:
                    conn.enable()
                except (ValueError, ReadTimeout) as exc:
                    raise SshCommandError(f"{target.name}: cannot enter enable mode: "
                                          f"{exc}") from exc
            out: dict[str, str] = {}
            for key, command in commands.items():
                try:
                    out[key] = str(conn.send_command(command,
                                                     read_timeout=self.command_timeout_s))
                except (ReadTimeout, OSError, EOFError, paramiko.SSHException) as exc:
                    raise SshCommandError(f"{target.name}: {command!r} did not complete: "
                                          f"{_first_line(exc)}") from exc
            return out
        finally:
            # netmiko's own log-out first checks for config mode by reading until 2 s of
            # silence (Huawei): we never enter config mode, so just say goodbye and close
            setattr(conn, "cleanup", lambda *_a, **_k: conn.write_channel(logout + conn.RETURN))  # noqa: B010
            try:
                conn.disconnect()
            except Exception:  # closing a broken session must not mask the real error
                log.debug("disconnect from %s failed", target.name, exc_info=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _open(conn: object, target: SshTarget) -> None:
    where = f"{target.name} ({target.host}:{target.port})"
    try:
        conn._open()  # type: ignore[attr-defined]
    except NetmikoAuthenticationException as exc:
        raise SshAuthError(f"{where}: authentication failed for user "
                           f"{target.login.username!r}") from exc
    except NetmikoTimeoutException as exc:
        cause = exc.__context__
        if isinstance(cause, paramiko.BadHostKeyException):
            raise HostKeyError(
                f"{where}: HOST KEY CHANGED: offered {fingerprint(cause.key)}, pinned "
                f"{fingerprint(cause.expected_key)}; refusing to connect (if the device was "
                "replaced, remove its line from the known-hosts file)") from exc
        if "not found in known_hosts" in str(exc):
            raise HostKeyError(f"{where}: unknown host key and host_key_policy is strict "
                               "(add the key to the known-hosts file)") from exc
        raise SshUnreachableError(f"{where}: {_reason(exc)}") from exc
    except (OSError, EOFError, paramiko.SSHException) as exc:
        raise SshUnreachableError(f"{where}: {_first_line(exc)}") from exc
    except ReadTimeout as exc:
        raise SshCommandError(f"{where}: no prompt after login: {_first_line(exc)}") from exc


def _reason(exc: BaseException) -> str:
    cause = exc.__context__
    if cause is not None and str(cause):
        return f"{type(cause).__name__}: {_first_line(cause)}"
    return _first_line(exc)
