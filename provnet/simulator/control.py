"""Runtime control channel: JSON lines over loopback TCP.

One JSON object per line in, one per line out (``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``). Requests:

- ``{"site": "AG-TT-01", "action": "link-down"}``: any fault action on a site (as ``--fault``)
- ``{"link": 5, "action": "link-down" | "link-up"}``: one link
- ``{"device": 12, "action": "device-down" | "device-up" | "reboot"}``: one device
  (``device`` may also be a sys_name or address)
- ``{"device": 12, "ifindex": 1, "action": "set-rate", "in_bps": 5e6, "out_bps": 1e6}``
- ``{"device": 12, "ifindex": 1, "action": "reset-counters"}``: counters restart from zero
  without a reboot (ifCounterDiscontinuityTime moves)
- ``{"action": "status"}``: reachable devices, links down, agent statistics
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from provnet.simulator.faults import DEVICE_ACTIONS, LINK_ACTIONS, Fault, check_action
from provnet.simulator.model import Change, Network

log = logging.getLogger(__name__)

MAX_LINE = 64 * 1024


def _device_id(network: Network, ref: Any) -> int:
    if isinstance(ref, int) and not isinstance(ref, bool):
        if ref not in network.devices:
            raise ValueError(f"unknown device {ref}")
        return ref
    if isinstance(ref, str):
        for dev in network.devices.values():
            if ref in (dev.plan.sys_name, dev.address):
                return dev.id
    raise ValueError(f"unknown device {ref!r}")


def _number(cmd: Mapping[str, Any], key: str) -> float | None:
    value = cmd.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{key}: expected a number >= 0, got {value!r}")
    return float(value)


def status(network: Network) -> dict[str, Any]:
    """Reachability and link summary."""
    return {
        "devices": len(network.devices),
        "reachable": sorted(network.reachable),
        "unreachable": sorted(set(network.devices) - network.reachable),
        "powered_off": sorted(d.id for d in network.devices.values() if not d.up),
        "links_down": sorted(i for i in network.links if not network.link_is_up(i)),
        "links_faulted": sorted(network.faulted),
    }


def apply_command(network: Network, cmd: Any, now: float) -> tuple[dict[str, Any],
                                                                   Change | None]:
    """Execute one request against the model; ValueError/KeyError on bad input."""
    if not isinstance(cmd, Mapping):
        raise ValueError("expected a JSON object")
    action = cmd.get("action")
    if not isinstance(action, str):
        raise ValueError("missing 'action'")
    if action == "status":
        return {"ok": True, **status(network)}, None
    if action == "set-rate":
        dev = _device_id(network, cmd.get("device"))
        ifindex = cmd.get("ifindex")
        if not isinstance(ifindex, int):
            raise ValueError("set-rate needs an integer 'ifindex'")
        change = network.set_rates(dev, ifindex, _number(cmd, "in_bps"), _number(cmd, "out_bps"),
                                   now)
    elif action == "reset-counters":
        dev = _device_id(network, cmd.get("device"))
        ifindex = cmd.get("ifindex")
        if not isinstance(ifindex, int):
            raise ValueError("reset-counters needs an integer 'ifindex'")
        change = network.reset_counters(dev, ifindex, now)
    elif "site" in cmd:
        if not isinstance(cmd["site"], str):
            raise ValueError("'site' must be a string")
        change = network.apply(Fault(cmd["site"], check_action(action)), now)
    elif "link" in cmd:
        if action not in LINK_ACTIONS:
            raise ValueError(f"action {action!r} does not apply to a link")
        link = cmd["link"]
        if not isinstance(link, int):
            raise ValueError("'link' must be an integer id")
        change = (network.link_down if action == "link-down" else network.link_up)(link, now)
    elif "device" in cmd:
        if action not in DEVICE_ACTIONS:
            raise ValueError(f"action {action!r} does not apply to a device")
        dev = _device_id(network, cmd["device"])
        change = {"device-down": network.device_down, "device-up": network.device_up,
                  "reboot": network.reboot}[action](dev, now)
    else:
        check_action(action)
        raise ValueError("need one of 'site', 'link' or 'device'")
    return {"ok": True, "change": change.describe(), "devices": list(change.devices),
            "links": list(change.links), "unreachable": list(change.unreachable),
            "reachable_again": list(change.reachable_again)}, change


Handler = Callable[[Any], dict[str, Any]]


def _answer(handler: Handler, line: bytes) -> dict[str, Any]:
    try:
        return handler(json.loads(line))
    except json.JSONDecodeError as exc:
        return {"ok": False, "error": f"bad JSON: {exc}"}
    except KeyError as exc:
        return {"ok": False, "error": str(exc.args[0] if exc.args else exc)}
    except ValueError as exc:
        return {"ok": False, "error": str(exc)}


class ControlServer:
    """JSON-lines server on loopback; ``close()`` also drops connected clients."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, port: int, host: str = "127.0.0.1") -> None:
        """Listen on ``host:port`` (0 = any free port)."""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"control channel binds loopback only, not {host!r}")
        self._server = await asyncio.start_server(self._client, host, port, limit=MAX_LINE)

    @property
    def address(self) -> tuple[str, int]:
        """Bound host and port."""
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def close(self) -> None:
        """Stop listening and disconnect clients."""
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    writer.write(b'{"ok": false, "error": "line too long"}\n')
                    break
                if not line:
                    break
                if line.strip():
                    reply = _answer(self.handler, line)
                    writer.write(json.dumps(reply, ensure_ascii=False).encode() + b"\n")
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
