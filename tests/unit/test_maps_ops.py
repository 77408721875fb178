"""maps.ops: which communes open incidents cut off (legacy and 2025 units)."""

from __future__ import annotations

from provnet.maps.geo_data import UnitGeo
from provnet.maps.ops import OpenIncident, cut_off_communes, incident_devices

COMMUNE_OF = {1: None, 2: "100", 10: "110", 11: "111", 12: "111", 13: "113"}


def inc(i: int, devices: set[int]) -> OpenIncident:
    return OpenIncident(i, "open", "critical", f"Sự cố {i}", f"Incident {i}", 1000.0 + i,
                        frozenset(devices))


def unit(code: str, legacy: tuple[str, ...]) -> UnitGeo:
    return UnitGeo(code, f"Phường {code}", code, "phuong", "commune", "2025", None, None, None,
                   False, True, None, (), legacy)


def test_incident_devices() -> None:
    assert incident_devices("link:100", {"cut_off": [10, "11", "x"]}) == {10, 11}
    assert incident_devices("device:13", {}) == {13}
    assert incident_devices("device:13", None) == {13}
    assert incident_devices("rule:util:x", {"cut_off": []}) == frozenset()


def test_cut_off_communes_legacy() -> None:
    out = cut_off_communes([inc(2, {13}), inc(1, {1, 2, 10, 11, 12})], COMMUNE_OF)
    assert sorted(out) == ["100", "110", "111", "113"]
    assert out["111"]["incident_id"] == 1 and out["111"]["devices"] == 2
    assert out["113"] == {"incident_id": 2, "status": "open", "severity": "critical",
                          "title_vi": "Sự cố 2", "title_en": "Incident 2", "started_at": 1002.0,
                          "incidents": [2], "devices": 1}


def test_a_commune_in_two_incidents_names_the_oldest_first() -> None:
    out = cut_off_communes([inc(5, {11}), inc(3, {12})], COMMUNE_OF)
    assert out["111"]["incident_id"] == 3 and out["111"]["incidents"] == [3, 5]


def test_cut_off_communes_folded_into_2025_units() -> None:
    units = [unit("900", ("110", "111")), unit("901", ("113",)), unit("902", ("111",))]
    out = cut_off_communes([inc(1, {10, 13})], COMMUNE_OF, units)
    assert sorted(out) == ["900", "901"]
    out = cut_off_communes([inc(1, {12})], COMMUNE_OF, units)  # a split legacy commune
    assert sorted(out) == ["900", "902"]
    assert cut_off_communes([], COMMUNE_OF, units) == {}
