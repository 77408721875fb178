"""The synthetic An Giang network built on the real units: sites, routers, links, BTS, fibre.

Everything here except the administrative units is synthetic and marked so
(``location_synthetic``, ``boundary_synthetic``). A fixed seed makes every run identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from provnet.demo.units import LEGACY_END, REFORM_DAY, Unit, Units
from provnet.inventory.search import fold
from provnet.maps.crs import geodesic_area_km2, lonlat_to_utm, to_wgs84, utm_to_lonlat
from provnet.maps.synthetic import province_outline, random_points_in, voronoi_cells

SEED = 8901
DEPARTMENTS = [
    "Văn phòng UBND tỉnh", "Sở Thông tin và Truyền thông", "Sở Tài chính",
    "Sở Kế hoạch và Đầu tư", "Sở Tư pháp", "Sở Nội vụ", "Sở Công Thương",
    "Sở Nông nghiệp và Phát triển nông thôn", "Sở Giao thông vận tải", "Sở Xây dựng",
    "Sở Tài nguyên và Môi trường", "Sở Lao động - Thương binh và Xã hội",
    "Sở Văn hóa, Thể thao và Du lịch", "Sở Khoa học và Công nghệ", "Sở Giáo dục và Đào tạo",
    "Sở Y tế", "Thanh tra tỉnh",
]
OPERATORS = (("Viettel", 0.40), ("VinaPhone", 0.33), ("MobiFone", 0.27))
FIBRE_OPERATORS = (("VNPT", 0.45), ("Viettel", 0.40), ("FPT", 0.15))
N_BTS = 2200
N_FIBRE = 5000
DUAL_HOMED = 6
URBAN_TYPES = {"Phường", "Thị trấn"}


@dataclass
class DemoNetwork:
    """Rows ready for bulk insert (explicit ids), keyed by table name."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, **row: Any) -> int:
        """Append a row with the next id of its table; return the id."""
        table_rows = self.rows.setdefault(table, [])
        row.setdefault("id", len(table_rows) + 1)
        table_rows.append(row)
        return int(row["id"])


def _unit_row(net: DemoNetwork, u: Unit, parent_id: int | None, geom: BaseGeometry | None) -> int:
    legacy = u.generation == "legacy"
    return net.add(
        "admin_unit", generation=u.generation, level=u.level, code=u.code, name=u.name,
        short_name=u.short_name, unit_type=u.unit_type, name_folded=fold(u.name),
        parent_id=parent_id, valid_from=None if legacy else REFORM_DAY,
        valid_to=LEGACY_END if legacy else None, lat=u.lat, lon=u.lon,
        area_km2=geodesic_area_km2(geom) if geom is not None else u.area_km2,
        boundary_wkt=geom.wkt if geom is not None else None, boundary_synthetic=geom is not None)


class _Builder:
    def __init__(self, units: Units) -> None:
        self.u = units
        self.net = DemoNetwork()
        self.rng = np.random.default_rng(SEED)
        self.unit_id: dict[tuple[str, str], int] = {}
        self.cells: dict[str, BaseGeometry] = {}  # legacy commune code -> UTM polygon
        self.next_addr: dict[str, int] = {}

    # geography -------------------------------------------------------------------------------
    def geography(self) -> None:
        u = self.u
        pts = [lonlat_to_utm(c.lon, c.lat) for c in u.communes]
        lo = lonlat_to_utm(u.province_bounds[0], u.province_bounds[1])
        hi = lonlat_to_utm(u.province_bounds[2], u.province_bounds[3])
        outline = province_outline(pts, (lo[0], lo[1], hi[0], hi[1]))
        for c, cell in zip(u.communes, voronoi_cells(pts, outline), strict=True):
            self.cells[c.code] = cell
        by_district: dict[str, list[BaseGeometry]] = {}
        for c in u.communes:
            by_district.setdefault(c.parent_code or "", []).append(self.cells[c.code])
        pid = _unit_row(self.net, u.legacy_province, None, to_wgs84(outline))
        self.unit_id[("legacy", u.legacy_province.code)] = pid
        for d in u.districts:
            geom = to_wgs84(shapely.union_all(by_district[d.code]))
            self.unit_id[("legacy", d.code)] = _unit_row(self.net, d, pid, geom)
        for c in u.communes:
            parent = self.unit_id[("legacy", c.parent_code or "")]
            self.unit_id[("legacy", c.code)] = _unit_row(
                self.net, c, parent, to_wgs84(self.cells[c.code]))
        npid = _unit_row(self.net, u.new_province, None, None)
        self.unit_id[("2025", u.new_province.code)] = npid
        for w in u.wards_2025:
            self.unit_id[("2025", w.code)] = _unit_row(self.net, w, npid, None)
        for m in u.mapping:
            self.net.add("admin_unit_mapping", old_unit_id=self.unit_id[("legacy", m.old_code)],
                         new_unit_id=self.unit_id[("2025", m.new_code)], whole=m.whole,
                         is_default=m.is_default)

    # sites and routers -----------------------------------------------------------------------
    def site(self, code: str, name: str, kind: str, lon: float, lat: float,
             commune: str | None, district: str | None, synthetic: bool = True) -> int:
        return self.net.add(
            "site", code=code, name=name, name_folded=fold(name), kind=kind, lat=lat, lon=lon,
            location_synthetic=synthetic, contact=None,
            commune_id=self.unit_id[("legacy", commune)] if commune else None,
            district_id=self.unit_id[("legacy", district)] if district else None)

    def router(self, site_id: int, hostname: str, role: str, vendor: str, platform: str,
               subnet: str) -> int:
        n = self.next_addr.get(subnet, 0) + 1
        self.next_addr[subnet] = n
        addr = f"127.10.{int(subnet) + (n - 1) // 250}.{(n - 1) % 250 + 1}"
        return self.net.add("device", hostname=hostname, site_id=site_id, role=role, vendor=vendor,
                            platform=platform, mgmt_address=addr, snmp_profile="demo",
                            ssh_profile=None)

    def iface(self, device_id: int, ifindex: int, name: str, speed: int, descr: str = "") -> int:
        return self.net.add("interface", device_id=device_id, ifindex=ifindex, name=name,
                            speed_mbps=speed, description=descr or None)

    def link(self, a_if: int, z_if: int, kind: str, capacity: int, circuit: str) -> int:
        return self.net.add("link", a_interface_id=a_if, z_interface_id=z_if, kind=kind,
                            capacity_mbps=capacity, provider="VNPT", circuit_id=circuit)

    def routers(self) -> None:
        u = self.u
        lx = u.districts[0]  # Thành phố Long Xuyên, the provincial capital
        core_site = self.site("AG-CORE", "Trung tâm tích hợp dữ liệu tỉnh An Giang", "core",
                              lx.lon, lx.lat, None, lx.code)
        core = self.router(core_site, "ag-core-01", "core", "Huawei", "huawei_vrp", "0")
        core_ports = 0

        def core_port(speed: int, descr: str) -> int:
            nonlocal core_ports
            core_ports += 1
            return self.iface(core, core_ports, f"GigabitEthernet1/0/{core_ports}", speed, descr)

        pop_of: dict[str, tuple[int, int]] = {}  # district -> (device id, next port)
        for d in u.districts:
            s = self.site(f"POP-{d.code}", f"PoP {d.short_name}", "pop", d.lon, d.lat, None, d.code)
            dev = self.router(s, f"ag-pop-{d.code}", "pop", "Huawei", "huawei_vrp", "1")
            up = self.iface(dev, 1, "GigabitEthernet0/0/0", 1000, "uplink core")
            self.link(up, core_port(1000, f"PoP {d.short_name}"), "fibre", 1000, f"AG-BB-{d.code}")
            pop_of[d.code] = (dev, 2)
        for i, name in enumerate(DEPARTMENTS, start=1):
            x, y = lonlat_to_utm(lx.lon, lx.lat)
            lon, lat = utm_to_lonlat(x + self.rng.normal(0, 900), y + self.rng.normal(0, 900))
            s = self.site(f"DEPT-{i:02d}", name, "department", lon, lat, None, lx.code)
            dev = self.router(s, f"ag-dept-{i:02d}", "department", "Cisco", "cisco_ios", "2")
            up = self.iface(dev, 1, "GigabitEthernet0/0/0", 100, "uplink core")
            self.link(up, core_port(100, name), "fibre", 100, f"AG-DEPT-{i:02d}")
        dual = set(self.rng.choice(len(u.communes), DUAL_HOMED, replace=False).tolist())
        for i, c in enumerate(u.communes):
            cisco = i % 3 != 0
            s = self.site(f"UB-{c.code}", f"UBND {c.name}", "commune_office", c.lon, c.lat,
                          c.code, c.parent_code)
            dev = self.router(s, f"ag-ub-{c.code}", "commune", "Cisco" if cisco else "Huawei",
                              "cisco_ios" if cisco else "huawei_vrp", "3")
            uplinks = [c.parent_code or ""]
            if i in dual:
                uplinks.append(self._neighbour_district(c))
            for k, dist in enumerate(uplinks):
                pop, port = pop_of[dist]
                pop_of[dist] = (pop, port + 1)
                a = self.iface(dev, k + 1, f"GigabitEthernet0/0/{k}", 100, f"uplink PoP {dist}")
                z = self.iface(pop, port, f"GigabitEthernet0/1/{port - 2}", 100, f"UBND {c.name}")
                self.link(a, z, "fibre", 100, f"AG-TSL-{c.code}-{k + 1}")
            for k in range(2):
                self.iface(dev, 10 + k, f"GigabitEthernet0/1/{k}", 1000, "LAN")

    def _neighbour_district(self, c: Unit) -> str:
        x, y = lonlat_to_utm(c.lon, c.lat)
        others = [d for d in self.u.districts if d.code != c.parent_code]
        return min(others, key=lambda d: np.hypot(*(np.subtract(lonlat_to_utm(d.lon, d.lat),
                                                                (x, y))))).code

    # radio and fibre ---------------------------------------------------------------------------
    def _allocate(self, total: int, urban_weight: float) -> list[int]:
        w = np.array([self.cells[c.code].area * (urban_weight if c.unit_type in URBAN_TYPES else 1)
                      for c in self.u.communes])
        counts = np.floor(w / w.sum() * total).astype(int)
        counts = np.maximum(counts, 1)
        while counts.sum() < total:
            counts[int(self.rng.integers(len(counts)))] += 1
        return counts.tolist()

    def _operator(self, table: tuple[tuple[str, float], ...]) -> str:
        names, probs = zip(*table, strict=True)
        return str(self.rng.choice(names, p=probs))

    def bts(self) -> None:
        for c, n in zip(self.u.communes, self._allocate(N_BTS, 6.0), strict=True):
            urban = c.unit_type in URBAN_TYPES
            for j, (x, y) in enumerate(random_points_in(self.cells[c.code], n, self.rng)):
                lon, lat = utm_to_lonlat(x, y)
                op = self._operator(OPERATORS)
                s = self.site(f"BTS-{c.code}-{j + 1:03d}", f"BTS {op} {c.short_name} {j + 1}",
                              "bts", lon, lat, c.code, c.parent_code)
                b = self.net.add("bts", site_id=s, operator=op)
                az0 = float(self.rng.uniform(0, 120))
                techs = [("4G", 1800)]
                if self.rng.random() < 0.6:
                    techs.append(("3G", 2100))
                if urban and self.rng.random() < 0.25:
                    techs.append(("5G", 3500))
                h = float(self.rng.uniform(25, 45))
                for tech, band in techs:
                    for k in range(3):
                        self.net.add("sector", bts_id=b, technology=tech, band_mhz=band,
                                     azimuth_deg=round((az0 + 120 * k) % 360, 1),
                                     beamwidth_deg=65.0, height_m=round(h, 1), power_dbm=46.0,
                                     range_m=None)

    def fibre(self) -> None:
        for c, n in zip(self.u.communes, self._allocate(N_FIBRE, 4.0), strict=True):
            centre = lonlat_to_utm(c.lon, c.lat)
            pts = random_points_in(self.cells[c.code], n, self.rng, centre, sigma_m=1500)
            for j, (x, y) in enumerate(pts):
                lon, lat = utm_to_lonlat(x, y)
                op = self._operator(FIBRE_OPERATORS)
                s = self.site(f"FP-{c.code}-{j + 1:03d}", f"Điểm quang {op} {c.short_name} {j + 1}",
                              "fibre_point", lon, lat, c.code, c.parent_code)
                self.net.add("fibre_point", site_id=s, operator=op,
                             kind="splitter" if j % 4 else "odf", ports=16 if j % 4 else 48)


def build_demo_network(units: Units) -> DemoNetwork:
    """Units of both generations, synthetic geometry, core/PoP/commune routers, BTS, fibre."""
    b = _Builder(units)
    b.geography()
    b.routers()
    b.bts()
    b.fibre()
    return b.net
