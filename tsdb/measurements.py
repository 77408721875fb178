"""Every InfluxDB measurement provnet writes, named once (writers and readers import these).

Tags are stable codes (device, site, commune, district, ifname, ...); names and free text are
fields. Per-measurement tag sets are documented where the points are built.
"""

from __future__ import annotations

from typing import Final

IFSTATS: Final = "ifstats"  # interface counters and the rates the poller computed (SNMP)
SNMP_POLL: Final = "snmp_poll"  # one per device poll: duration, varbinds, error kind
OPTICS: Final = "optics"  # optical levels per port, SNMP and SSH alike (one series per port)
DEVICE_HEALTH: Final = "device_health"  # CPU, memory, temperature, uptime
ICMP: Final = "icmp"  # one per probe: sent, received, loss, RTT min/avg/max
SNMP_TRAP: Final = "snmp_trap"  # one per understood trap
IFSTATE: Final = "ifstate"  # interface admin/oper state read over SSH
SSH_POLL: Final = "ssh_poll"  # one per SSH session: purpose, duration, error kind
CONFIG_CHANGE: Final = "config_change"  # a configuration backup that differs from the last

ALL: Final = (IFSTATS, SNMP_POLL, OPTICS, DEVICE_HEALTH, ICMP, SNMP_TRAP, IFSTATE, SSH_POLL,
              CONFIG_CHANGE)
