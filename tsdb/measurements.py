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

# History (issue 12): rollups provnet computes from the stream, and link status changes
ROLLUP_5M: Final = "rollup_5m"  # min/mean/max/count per series per 5 minutes (tag ``src``)
ROLLUP_1H: Final = "rollup_1h"  # the same per hour
LINK_STATUS: Final = "link_status"  # one point per change of a link's status (tag ``link``)
LINK_STATE: Final = "link_state"  # ``src`` of the rolled-up link state (``up`` 1/0 per cycle)
