"""Test and benchmark support (``bench/`` may import it): real peers (snmpd, snmpsim, the
simulator, SSH, PostgreSQL, SMTP/HTTP receivers), demo processes, fuzz settings, helpers."""
