"""provnet: pollers package.

Pure modules (no I/O, no pysnmp): ``types``, ``ifmib`` (IF-MIB OIDs, GETBULK walk logic),
``rates`` (counter-aware rates), ``samples`` (tsdb points). ``snmp`` is the only module that
imports pysnmp (``SnmpPoller``); ``scheduler`` runs polling cycles (``PollLoop``). Import the
submodules directly so that pure users never load pysnmp.
"""
