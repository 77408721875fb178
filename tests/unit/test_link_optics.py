"""Which transceiver reading belongs to a link end (pollers/link_optics.py), table-driven."""

from __future__ import annotations

import pytest

from provnet.pollers.link_optics import port_tag, reading_for, reading_view
from provnet.pollers.readings import OpticReading

GI1 = OpticReading("1.1", ifindex=1, name="GigabitEthernet0/0/1", rx_dbm=-12.5, tx_dbm=-3.0,
                   rx_low_dbm=-20.0, rx_high_dbm=-3.0)
GI2_NO_INDEX = OpticReading("1.2", ifindex=None, name="Gi0/0/2", rx_dbm=-14.0)
SENSOR = OpticReading("67109120", ifindex=None, name=None, rx_dbm=-9.0)
ALL = (GI1, GI2_NO_INDEX, SENSOR)


@pytest.mark.parametrize(("ifindex", "ifname", "want"), [
    (1, "GigabitEthernet0/0/1", GI1),          # by ifIndex
    (1, "something else", GI1),                # ifIndex wins over the name
    (0, "GigabitEthernet0/0/1", GI1),          # unresolved end (ifIndex 0): by name
    (None, "Gi0/0/1", GI1),                    # short form of the inventory name
    (7, "GigabitEthernet0/0/2", GI2_NO_INDEX),  # reading without ifIndex: by expanded name
    (9, "GigabitEthernet0/0/9", None),         # nothing on that port
    (None, None, None),
])
def test_reading_for(ifindex: int | None, ifname: str | None,
                     want: OpticReading | None) -> None:
    assert reading_for(ALL, ifindex, ifname) is want


@pytest.mark.parametrize(("reading", "ifindex", "ifname", "tag"), [
    (GI1, 1, "Gi0/0/1", "GigabitEthernet0/0/1"),         # the reading's own key
    (GI2_NO_INDEX, 5, "x", "GigabitEthernet0/0/2"),
    (SENSOR, None, None, "sensor67109120"),
    (None, 3, "Gi0/0/3", "GigabitEthernet0/0/3"),         # no reading: the end's name
    (None, 3, None, "if3"),
    (None, 0, "", "sensorNone"),                         # nothing known at all
])
def test_port_tag_is_the_optics_points_ifname(reading: OpticReading | None, ifindex: int | None,
                                               ifname: str | None, tag: str) -> None:
    assert port_tag(reading, ifindex, ifname) == tag


def test_reading_view() -> None:
    assert reading_view(None) is None
    assert reading_view(GI1) == {"rx_dbm": -12.5, "tx_dbm": -3.0, "rx_low_dbm": -20.0,
                                 "rx_high_dbm": -3.0, "tx_low_dbm": None, "tx_high_dbm": None}
