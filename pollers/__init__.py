"""provnet: pollers package.

Pure modules (no I/O, no pysnmp): ``types``, ``ifmib`` (IF-MIB OIDs, GETBULK walk logic),
``rates`` (counter-aware rates), ``samples`` (tsdb points). ``snmp`` is the only module that
imports pysnmp (``PysnmpTransport``, for SNMPv3); ``fastv2c`` is provnet's own v2c codec;
``engine`` polls devices by profile (``ProfilePoller``); ``scheduler`` runs polling cycles.
Import the submodules directly so that pure users never load pysnmp.
"""
