"""Simulated SSH devices on fakenos (Cisco IOS, Huawei VRP) for the demo, tests and benches.

Each device is a fakenos host (paramiko SSH server) on its own address/port with outputs
rendered from recorded text (``sshsim_data/``) for its own interfaces: optics, interface
state and errors, running configuration. The running configuration is read from a file at
every ``show running-config``/``display current-configuration``, so editing that file is a
configuration change on the device.

Optics and interface state follow the SNMP simulator when it publishes its ports' state
(:mod:`provnet.simulator.portstate`; ``provnet demo`` does, to ``<state>/simulator-ports.json``):
at every command a port the SNMP side models shows its oper status and optical levels (a
port whose link is down reads no light, -40 dBm, as over SNMP); other ports keep the
device's seeded healthy levels.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provnet.simproc import stop_child
from provnet.simulator.portstate import PORT_STATES_FILE, PortState, PortStateFile

log = logging.getLogger(__name__)
DATA = Path(__file__).with_name("sshsim_data")
COMMANDS = {
    "huawei_vrp": {"optics": "display transceiver verbose", "interfaces": "display interface",
                   "running_config": "display current-configuration"},
    "cisco_ios": {"optics": "show interfaces transceiver", "interfaces": "show interfaces",
                  "running_config": "show running-config"},
}


@dataclass(frozen=True)
class SimDevice:
    """One simulated device: where it listens, who may log in, which ports it has."""

    name: str
    platform: str  # huawei_vrp | cisco_ios
    port: int
    address: str = "127.0.0.1"
    username: str = "provnet"
    password: str = "provnet"
    interfaces: Sequence[tuple[str, str]] = (("GigabitEthernet0/0/0", "uplink"),)
    host_key_file: Path | None = None
    seed: int = 0


def render_optics(dev: SimDevice, ports: Mapping[str, PortState] | None = None) -> str:
    """The optics command's output; ``ports`` (ifName -> state from the SNMP simulator)
    override the seeded levels of the ports it gives levels for."""
    rnd = random.Random(f"{dev.name}/{dev.seed}")
    rows = []
    for i, (ifname, _descr) in enumerate(dev.interfaces):
        v = {"rx": rnd.uniform(-14, -6), "tx": rnd.uniform(-6.5, -4.5),
             "temp": rnd.uniform(30, 45), "bias": rnd.uniform(12, 20)}
        state = (ports or {}).get(ifname)
        if state is not None and state.rx_dbm is not None:
            v["rx"] = state.rx_dbm
        if state is not None and state.tx_dbm is not None:
            v["tx"] = state.tx_dbm
        if dev.platform == "huawei_vrp":
            block = (DATA / "huawei_vrp_optics.txt").read_text(encoding="utf-8")
            rows.append(block.format(ifname=ifname, serial=f"{i:07d}", **v))
        else:
            short = ifname.replace("TenGigabitEthernet", "Te").replace("GigabitEthernet", "Gi")
            rows.append(f"{short:<11}  {v['temp']:5.1f}       3.29      {v['bias']:4.1f}"
                        f"      {v['tx']:4.1f}      {v['rx']:5.1f}\n")
    if dev.platform == "cisco_ios":
        return (DATA / "cisco_ios_optics_header.txt").read_text(encoding="utf-8") + "".join(rows)
    return "".join(rows)


_STATE_WORDS = {  # (link, protocol) as each CLI says it: up, down, administratively down
    "huawei_vrp": {"up": ("UP", "UP"), "down": ("DOWN", "DOWN"),
                   "admin": ("Administratively DOWN", "DOWN")},
    "cisco_ios": {"up": ("up", "up"), "down": ("down", "down"),
                  "admin": ("administratively down", "down")},
}


def render_interfaces(dev: SimDevice, ports: Mapping[str, PortState] | None = None) -> str:
    """The interfaces command's output; ``ports`` set the link/protocol state (else up)."""
    block = (DATA / f"{dev.platform}_interface.txt").read_text(encoding="utf-8")
    words = _STATE_WORDS[dev.platform]
    out = []
    for i, (n, d) in enumerate(dev.interfaces):
        state = (ports or {}).get(n)
        key = "up" if state is None or state.up else "down" if state.admin_up else "admin"
        link, proto = words[key]
        out.append(block.format(ifname=n, descr=d, ifindex=i + 1, crc=(i * 7) % 11,
                                link=link, protocol=proto))
    return "".join(out)


class _StateOutput:
    """fakenos command output rendered at every call from the published port states."""

    def __init__(self, render: Callable[[SimDevice, Mapping[str, PortState] | None], str],
                 dev: SimDevice, states: PortStateFile) -> None:
        self.render, self.dev, self.states = render, dev, states

    def __call__(self, *_args: Any, **_kw: Any) -> str:
        return self.render(self.dev, self.states.device(self.dev.name))


def render_config(dev: SimDevice) -> str:
    """The device's initial running configuration."""
    if dev.platform == "huawei_vrp":
        ifs = "".join(f"interface {n}\n description {d}\n undo shutdown\n#\n"
                      for n, d in dev.interfaces)
    else:
        ifs = "".join(f"interface {n}\n description {d}\n no shutdown\n!\n"
                      for n, d in dev.interfaces)
    text = (DATA / f"{dev.platform}_config.txt").read_text(encoding="utf-8")
    return text.format(hostname=dev.name, interfaces=ifs, now="{now}", size="{size}")


def _vrp_prompts(nos: Any) -> Any:
    """Huawei VRP's user-view prompt is ``<name>`` (fakenos has ``name>``): netmiko's VRP
    driver then recognises it at once instead of waiting for a prompt at log-out."""
    def fix(p: Any) -> Any:
        if isinstance(p, list):
            return [fix(x) for x in p]
        return "<{base_prompt}>" if p == "{base_prompt}>" else p

    nos.initial_prompt = fix(nos.initial_prompt)
    for data in nos.commands.values():
        for key in ("prompt", "new_prompt"):
            if key in data:
                data[key] = fix(data[key])
    return nos


class _ConfigOutput:
    """fakenos command output read from a file at every call (volatile lines filled in)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, *_args: Any, **_kw: Any) -> str:
        text = self.path.read_text(encoding="utf-8")
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")
        return text.replace("{now}", now).replace("{size}", str(len(text)))


def default_port_states(config_dir: Path) -> Path:
    """Where ``provnet demo``'s SNMP simulator publishes its ports' state, seen from the SSH
    simulator's directory (``<state>/sshsim`` -> ``<state>/simulator-ports.json``)."""
    return config_dir.parent / PORT_STATES_FILE


@dataclass
class SshSimulator:
    """fakenos hosts for ``devices``; configurations live under ``config_dir``.

    ``port_states``: the SNMP simulator's port-state file (default
    :func:`default_port_states`; while it does not exist, every port is up and healthy).
    """

    devices: Sequence[SimDevice]
    config_dir: Path
    port_states: Path | None = None
    _net: Any = field(default=None, init=False)
    _states: PortStateFile = field(init=False)

    def __post_init__(self) -> None:
        if self.port_states is None:
            self.port_states = default_port_states(self.config_dir)
        self._states = PortStateFile(self.port_states)

    def config_path(self, name: str) -> Path:
        """The file holding device ``name``'s running configuration."""
        return self.config_dir / f"{name}.cfg"

    def _host(self, dev: SimDevice) -> dict[str, Any]:
        cmds = COMMANDS[dev.platform]
        path = self.config_path(dev.name)
        if not path.exists():
            path.write_text(render_config(dev), encoding="utf-8")
        prompts = ["{base_prompt}>", "{base_prompt}#", "<{base_prompt}>"]
        commands = {
            cmds["optics"]: {"output": _StateOutput(render_optics, dev, self._states),
                             "help": "optics", "prompt": prompts},
            cmds["interfaces"]: {"output": _StateOutput(render_interfaces, dev, self._states),
                                 "help": "ifs", "prompt": prompts},
            cmds["running_config"]: {"output": _ConfigOutput(path), "help": "config",
                                     "prompt": prompts},
            # VRP logs out with "quit"; without it netmiko waits ~2 s for a prompt at exit
            "quit": {"output": True, "help": "log out", "prompt": prompts},
        }
        server: dict[str, Any] = {"address": dev.address, "timeout": 1}
        if dev.host_key_file is not None:
            server["ssh_key_file"] = str(dev.host_key_file)
        return {"username": dev.username, "password": dev.password, "port": dev.port,
                "platform": dev.platform,
                "server": {"plugin": "ParamikoSshServer", "configuration": server},
                "nos": {"plugin": dev.platform, "configuration": {"commands": commands}}}

    def start(self) -> SshSimulator:
        """Start every host (each listens before this returns)."""
        from fakenos import FakeNOS

        self.config_dir.mkdir(parents=True, exist_ok=True)
        inventory = {"hosts": {d.name: self._host(d) for d in self.devices}}
        # fakenos parses a platform's YAML again for every host (~1 s each): parse once
        from fakenos.core.nos import Nos
        from fakenos.plugins.nos import nos_plugins

        shared = [_vrp_prompts(Nos(filename=nos_plugins[p])) if p == "huawei_vrp"
                  else Nos(filename=nos_plugins[p]) for p in {d.platform for d in self.devices}]
        self._net = FakeNOS(inventory=inventory, plugins=shared)
        logging.getLogger("fakenos").setLevel(logging.CRITICAL)  # logs every disconnect as error
        self._net.start()
        log.info("SSH simulator: %d fakenos devices", len(self.devices))
        return self

    def stop(self) -> None:
        """Stop every host."""
        if self._net is not None:
            self._net.stop()
            self._net = None

    def __enter__(self) -> SshSimulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _device_json(d: SimDevice) -> dict[str, Any]:
    return {"name": d.name, "platform": d.platform, "port": d.port, "address": d.address,
            "username": d.username, "password": d.password,
            "interfaces": [list(i) for i in d.interfaces],
            "host_key_file": str(d.host_key_file) if d.host_key_file else None, "seed": d.seed}


def _device_from_json(o: dict[str, Any]) -> SimDevice:
    return SimDevice(o["name"], o["platform"], o["port"], o["address"], o["username"],
                     o["password"], [tuple(i) for i in o["interfaces"]],  # type: ignore[misc]
                     Path(o["host_key_file"]) if o["host_key_file"] else None, o["seed"])


class SshSimulatorProcess:
    """The same devices in a child process (``python -m provnet.sshsim``): fakenos threads
    then take no CPU from the service, and stopping is one SIGTERM instead of a join per
    host. Output goes to ``<config_dir>/sshsim.log``. ``port_states`` as for
    :class:`SshSimulator`."""

    def __init__(self, devices: Sequence[SimDevice], config_dir: Path,
                 port_states: Path | None = None, prefix: Sequence[str] = ()) -> None:
        #: ``prefix`` runs the child through a wrapper that execs it (the tests'
        #: ``ip netns exec NS``: the devices inside a poller node's network namespace)
        self.prefix = list(prefix)
        self.devices = list(devices)
        self.config_dir = config_dir
        self.port_states = port_states or default_port_states(config_dir)
        self.log_path = config_dir / "sshsim.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def config_path(self, name: str) -> Path:
        """The file holding device ``name``'s running configuration."""
        return self.config_dir / f"{name}.cfg"

    def start(self, timeout_s: float = 60.0) -> SshSimulatorProcess:
        """Spawn the child and wait until it says READY."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        spec = self.config_dir / "devices.json"
        spec.write_text(json.dumps([_device_json(d) for d in self.devices], ensure_ascii=False),
                        encoding="utf-8")
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [*self.prefix, sys.executable, "-m", "provnet.sshsim", str(spec),
                 str(self.config_dir),
                 str(self.port_states)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
            if "READY" in text:
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"SSH simulator exited ({self.proc.returncode}):\n"
                                   f"{text[-2000:]}")
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"SSH simulator not ready after {timeout_s:.0f} s; see {self.log_path}")

    def stop(self, timeout_s: float = 5.0) -> None:
        """SIGTERM our child (by PID), SIGKILL if it lingers. Idempotent."""
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_child(proc, timeout_s)

    def __enter__(self) -> SshSimulatorProcess:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def main(argv: Sequence[str]) -> None:
    """``python -m provnet.sshsim DEVICES.json CONFIG_DIR [PORT_STATES.json]``: serve until
    SIGTERM."""
    os.nice(10)  # the simulated devices yield the CPU to the service and its SNMP simulator
    devices = [_device_from_json(o) for o in json.loads(Path(argv[0]).read_text("utf-8"))]
    sim = SshSimulator(devices, Path(argv[1]), Path(argv[2]) if len(argv) > 2 else None).start()
    print(f"READY {len(devices)} devices", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    # fakenos joins every host's threads one by one (seconds each): the OS closes sockets
    del sim
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
