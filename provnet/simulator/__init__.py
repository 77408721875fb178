"""Simulated An Giang network for ``provnet demo`` and the tests.

Every router of a plan becomes a real SNMPv2c agent on its own 127.x.y.z address (same UDP
port on each), serving IF-MIB/ifXTable data from one coherent model: links go down at both
ends, reachability follows the topology to the core, counters grow at plausible rates.
We do not use snmpsim for this (see :mod:`provnet.simulator.agent` for why).

Modules: ``plan`` (JSON contract), ``traffic``/``device``/``model`` (pure model),
``faults`` (fault specs), ``agent`` (SNMP wire, the only pysnmp user), ``control``
(JSON-lines control channel), ``runner`` (in-process ``Simulator``/``serve``),
``__main__`` (``python -m provnet.simulator``).
"""
