/* provnet map pages: province choropleth and commune detail, drawn with the bundled Leaflet.
   No tiles: the base map is the province outline, commune polygons and district boundaries.
   Every text that comes from the inventory goes through esc() before it reaches innerHTML. */
(function () {
  "use strict";
  const page = JSON.parse(document.getElementById("page-data").textContent);
  const T = page.labels;
  const OP = page.operator_colours;
  const ST = page.status_colours;
  const SCALE = ["#a50026", "#e34a33", "#fdae61", "#fee08b", "#a6d96a", "#1a9850"];
  const BREAKS = [20, 40, 60, 80, 95];

  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, (c) => (
      { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  function fmt(s, vars) { return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? vars[k] : "")); }
  function pct(v) { return v == null ? "–" : (Math.round(v * 10) / 10).toLocaleString(page.lang === "vi" ? "vi-VN" : "en-GB") + " %"; }
  function num(v, d) { return v == null ? "–" : Number(v).toLocaleString(page.lang === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: d || 0 }); }
  function opColour(op) { return OP[op] || "#555"; }
  function q(params) {
    return Object.entries(params).filter(([, v]) => v != null)
      .map(([k, v]) => encodeURIComponent(k) + "=" + encodeURIComponent(v)).join("&");
  }
  async function getJSON(url, optional) {
    const r = await fetch(url, { headers: { Accept: "application/json" } });
    if (!r.ok) {
      if (optional) return null;
      throw new Error(url + ": HTTP " + r.status);
    }
    return r.json();
  }
  function classColour(v, invert) {
    if (v == null) return "#cfd5db";
    const x = invert ? 100 - v : v;
    let i = 0;
    while (i < BREAKS.length && x >= BREAKS[i]) i++;
    return SCALE[i];
  }
  function newMap() {
    const map = L.map("map", { zoomSnap: 0.25, zoomControl: true, attributionControl: true });
    map.attributionControl.setPrefix("Leaflet");
    L.control.scale({ imperial: false, maxWidth: 160 }).addTo(map);
    return map;
  }
  // SVG pattern for hatched gaps, added to the renderer's own <svg> so url(#id) resolves
  function addHatch(map, id, colour) {
    const svg = map.getRenderer(L.polygon([[0, 0], [0, 0], [0, 0]]))._container;
    const ns = "http://www.w3.org/2000/svg";
    let defs = svg.querySelector("defs");
    if (!defs) { defs = document.createElementNS(ns, "defs"); svg.insertBefore(defs, svg.firstChild); }
    const p = document.createElementNS(ns, "pattern");
    p.setAttribute("id", id);
    p.setAttribute("patternUnits", "userSpaceOnUse");
    p.setAttribute("width", "8"); p.setAttribute("height", "8");
    p.setAttribute("patternTransform", "rotate(45)");
    const bg = document.createElementNS(ns, "rect");
    bg.setAttribute("width", "8"); bg.setAttribute("height", "8");
    bg.setAttribute("fill", colour); bg.setAttribute("fill-opacity", "0.10");
    const line = document.createElementNS(ns, "line");
    line.setAttribute("x1", "0"); line.setAttribute("y1", "0");
    line.setAttribute("x2", "0"); line.setAttribute("y2", "8");
    line.setAttribute("stroke", colour); line.setAttribute("stroke-width", "2.2");
    p.appendChild(bg); p.appendChild(line); defs.appendChild(p);
    return "url(#" + id + ")";
  }
  function linkPopup(p) {
    return '<div class="popup"><h3>' + esc(p.a_site_name) + " ⟷ " + esc(p.z_site_name) + "</h3>" +
      '<div class="code">' + esc(p.circuit_id || "") + " · " + esc(p.kind) + "</div><table>" +
      "<tr><th>" + esc(T.status) + '</th><td><b style="color:' + esc(p.colour) + '">' +
      esc(T["state_" + p.state]) + "</b> (" + esc(page.lang === "vi" && p.reason_vi ? p.reason_vi : p.reason) + ")</td></tr>" +
      "<tr><th>" + esc(T.capacity) + "</th><td>" + num(p.capacity_mbps) + " Mbit/s</td></tr>" +
      "<tr><th>" + esc(T.utilisation) + "</th><td>" + pct(p.utilisation_pct) + "</td></tr>" +
      "</table></div>";
  }
  function linkLayer(fc, thin) {
    return L.geoJSON(fc, {
      style: (f) => ({ color: f.properties.colour, weight: (f.properties.state === "down" || f.properties.state === "busy" ? 4 : 2.5) * (thin ? 0.6 : 1),
                       opacity: 0.9, dashArray: f.properties.state === "unknown" ? "4 4" : null }),
      onEachFeature: (f, layer) => layer.bindPopup(linkPopup(f.properties)),
    });
  }
  function linkLegend(el) {
    el.innerHTML = ["up", "busy", "down", "unknown"].map((s) =>
      '<span class="ln" style="border-color:' + ST[s] + '"></span><span>' + esc(T["state_" + s]) + "</span>").join("");
  }

  // ---------------------------------------------------------------- province page
  function metricOptions(stats) {
    const techs = new Set(), ops = new Set();
    for (const s of stats) {
      Object.keys(s.by_technology || {}).forEach((t) => techs.add(t));
      Object.keys(s.by_operator || {}).forEach((o) => ops.add(o));
    }
    const ts = [...techs].sort(), out = [];
    for (const t of ts) {
      out.push([t + ":any", fmt(T.metric_any, { tech: t })]);
      out.push([t + ":one", fmt(T.metric_one, { tech: t })]);
      out.push([t + ":none", fmt(T.metric_none, { tech: t })]);
    }
    out.push(["fibre", T.metric_fibre]);
    for (const o of [...ops].sort()) for (const t of ts) out.push([o + ":" + t, fmt(T.metric_op, { op: o, tech: t })]);
    return out;
  }
  function metricValue(s, metric) {
    if (!s) return null;
    if (metric === "fibre") return s.fibre_reach_pct;
    const [a, b] = metric.split(":");
    if (["any", "one", "none"].includes(b)) {
      const t = (s.by_technology || {})[a];
      return t ? t[b + "_pct"] : 0;
    }
    const o = (s.by_operator || {})[a];
    return o && o[b] != null ? o[b] : 0;
  }
  function scaleLegend(el, invert) {
    const edges = [0, ...BREAKS, 100];
    let html = "";
    for (let i = 0; i < SCALE.length; i++) {
      const lo = edges[i], hi = edges[i + 1];
      const c = invert ? SCALE[SCALE.length - 1 - i] : SCALE[i];
      html += '<span class="sw" style="background:' + c + '"></span><span>' + lo + "–" + hi + " " + esc(T.pct_area) + "</span>";
    }
    html += '<span class="sw" style="background:#cfd5db"></span><span>' + esc(T.no_coverage) + "</span>";
    el.innerHTML = html;
  }

  async function province() {
    const map = newMap();
    const gen = page.generation;
    const [communes, districts, outline, links, offices, stats] = await Promise.all([
      getJSON("/api/v1/geo/communes?" + q({ generation: gen })),
      gen === "legacy" ? getJSON("/api/v1/geo/boundaries?" + q({ level: "district" })) : null,
      getJSON("/api/v1/geo/boundaries?" + q({ level: "province" })),
      getJSON("/api/v1/geo/links"),
      getJSON("/api/v1/geo/routers"),
      getJSON("/api/v1/coverage/communes?" + q({ generation: gen }), true),
    ]);
    const byCode = {};
    (stats || []).forEach((s) => { byCode[s.code] = s; });
    const options = metricOptions(stats || []);
    const sel = document.getElementById("metric");
    sel.innerHTML = options.map(([v, l]) => '<option value="' + esc(v) + '">' + esc(l) + "</option>").join("");
    let metric = options.some(([v]) => v === page.metric) ? page.metric : (options[0] || ["fibre"])[0];
    sel.value = metric;

    L.geoJSON(outline, { style: { color: "#7d8a96", weight: 1, fillColor: "#f3efe4", fillOpacity: 1 },
                         interactive: false }).addTo(map);
    const communeLayer = L.geoJSON(communes, {
      className: "commune-path",
      style: { color: "#ffffff", weight: 0.8, fillOpacity: 0.85 },
      onEachFeature: (f, layer) => {
        layer.on("click", () => {
          window.location.href = "/maps/communes/" + encodeURIComponent(f.properties.code) + "?" + q({ lang: page.lang, generation: gen });
        });
        layer.on("mouseover", () => layer.setStyle({ weight: 2.5, color: "#143a5a" }));
        layer.on("mouseout", () => layer.setStyle({ weight: 0.8, color: "#ffffff" }));
      },
    }).addTo(map);
    const districtLayer = districts ? L.geoJSON(districts, {
      style: { color: "#2b3a48", weight: 2, fill: false, opacity: 0.8 }, interactive: false }).addTo(map) : null;
    const linkLyr = linkLayer(links, true).addTo(map);
    const pops = L.geoJSON({ type: "FeatureCollection",
                             features: offices.features.filter((f) => f.properties.kind === "core" || f.properties.kind === "pop") }, {
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: f.properties.kind === "core" ? 7 : 5, color: "#fff", weight: 1.5,
                                                    fillColor: "#143a5a", fillOpacity: 1 }),
      onEachFeature: (f, layer) => layer.bindPopup('<div class="popup"><h3>' + esc(f.properties.name) + '</h3><div class="code">' + esc(f.properties.code) + "</div></div>"),
    }).addTo(map);

    function recolour() {
      const invert = metric.endsWith(":none");
      communeLayer.eachLayer((layer) => {
        const p = layer.feature.properties, v = metricValue(byCode[p.code], metric);
        layer.setStyle({ fillColor: classColour(v, invert) });
        layer.bindTooltip("<b>" + esc(p.name) + "</b><br>" + (p.parent_name && gen === "legacy" ? esc(p.parent_name) + "<br>" : "") +
                          esc((options.find(([o]) => o === metric) || ["", ""])[1]) + ": " + pct(v), { sticky: true });
      });
      scaleLegend(document.getElementById("legend"), invert);
      const rows = communes.features.map((f) => [f.properties, metricValue(byCode[f.properties.code], metric)])
        .filter(([, v]) => v != null).sort((a, b) => (invert ? b[1] - a[1] : a[1] - b[1])).slice(0, 10);
      document.getElementById("worst").innerHTML = rows.length ? rows.map(([p, v]) =>
        '<li><a href="/maps/communes/' + encodeURIComponent(p.code) + "?" + q({ lang: page.lang, generation: gen }) + '">' +
        esc(p.name) + '</a> <span class="v">' + pct(v) + "</span></li>").join("") : '<li class="muted">' + esc(T.no_coverage) + "</li>";
      const vals = communes.features.map((f) => metricValue(byCode[f.properties.code], metric)).filter((v) => v != null);
      const mean = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
      const count = (st) => links.features.filter((f) => f.properties.state === st).length;
      document.getElementById("summary").innerHTML =
        '<div class="kpi"><b>' + num(communes.features.length) + "</b><span>" + esc(T.communes) + "</span></div>" +
        '<div class="kpi"><b>' + pct(mean) + "</b><span>" + esc(T.mean) + "</span></div>" +
        '<div class="kpi"><b style="color:' + ST.up + '">' + num(count("up") + count("busy")) + "</b><span>" + esc(T.links) + " · " + esc(T.state_up) + "</span></div>" +
        '<div class="kpi"><b style="color:' + ST.down + '">' + num(count("down")) + "</b><span>" + esc(T.links) + " · " + esc(T.state_down) + "</span></div>";
      const url = new URL(window.location.href);
      url.searchParams.set("metric", metric);
      window.history.replaceState(null, "", url);
    }
    sel.addEventListener("change", () => { metric = sel.value; recolour(); });
    recolour();
    linkLegend(document.getElementById("link-legend"));
    const overlays = {};
    overlays[T.communes] = communeLayer;
    if (districtLayer) overlays[T.districts] = districtLayer;
    overlays[T.links] = linkLyr;
    overlays[T.pops] = pops;
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    map.fitBounds(communeLayer.getBounds(), { padding: [10, 10] });
    map.attributionControl.addAttribution(esc(T.synthetic));
    document.body.dataset.readyMs = String(Math.round(performance.now()));
    document.body.dataset.ready = "1";
  }

  // ---------------------------------------------------------------- commune page
  function btsPopup(p) {
    const rows = (p.sectors || []).map((s) => "<tr><td>" + esc(s.technology) + "</td><td>" + num(s.band_mhz) +
      " MHz</td><td>" + num(s.azimuth_deg) + "°</td><td>" + num(s.height_m, 1) + " m</td></tr>").join("");
    return '<div class="popup"><h3>' + esc(p.name) + '</h3><div class="code">' + esc(p.code) + "</div>" +
      "<table><tr><th>" + esc(T.operator) + '</th><td colspan="3"><b style="color:' + opColour(p.operator) + '">' + esc(p.operator) +
      "</b></td></tr><tr><th>" + esc(T.technologies) + '</th><td colspan="3">' + esc((p.technologies || []).join(", ")) + "</td></tr>" +
      "<tr><th>" + esc(T.sectors) + "</th><th>" + esc(T.band) + "</th><th>" + esc(T.azimuth) + "</th><th>" + esc(T.height) + "</th></tr>" +
      rows + "</table></div>";
  }
  function fibrePopup(p) {
    return '<div class="popup"><h3>' + esc(p.name) + '</h3><div class="code">' + esc(p.code) + "</div><table>" +
      "<tr><th>" + esc(T.operator) + "</th><td>" + esc(p.operator) + "</td></tr>" +
      "<tr><th>" + esc(T.type) + "</th><td>" + esc(p.fibre_kind) + "</td></tr>" +
      "<tr><th>" + esc(T.ports) + "</th><td>" + num(p.ports) + "</td></tr></table></div>";
  }
  function officePopup(p) {
    const devs = (p.devices || []).map((d) => "<tr><td>" + esc(d.hostname) + "</td><td>" + esc(d.vendor) + " " +
      esc(d.platform) + "</td><td>" + esc(d.mgmt_address) + "</td></tr>").join("");
    return '<div class="popup"><h3>' + esc(p.name) + '</h3><div class="code">' + esc(p.code) + "</div><table>" + devs + "</table></div>";
  }
  function statsPanel(s, sites) {
    const el = document.getElementById("stats");
    const nBts = sites.features.filter((f) => f.properties.kind === "bts").length;
    const nFibre = sites.features.filter((f) => f.properties.kind === "fibre_point").length;
    if (!s) {
      el.innerHTML = '<p class="muted">' + esc(T.no_coverage) + "</p>";
      return;
    }
    const techs = Object.keys(s.by_technology).sort();
    const ops = Object.keys(s.by_operator).sort();
    let html = '<div class="kpis"><div class="kpi"><b>' + num(s.area_km2, 1) + " km²</b><span>" + esc(T.area) + "</span></div>" +
      '<div class="kpi"><b>' + pct(s.fibre_reach_pct) + "</b><span>" + esc(T.fibre_reach) + "</span></div>" +
      '<div class="kpi"><b>' + num(nBts) + "</b><span>" + esc(T.bts_count) + "</span></div>" +
      '<div class="kpi"><b>' + num(nFibre) + "</b><span>" + esc(T.fibre_count) + "</span></div></div>";
    html += "<h2>" + esc(T.by_technology) + "</h2><table><thead><tr><th>" + esc(T.col_tech) + "</th><th>" + esc(T.col_any) +
      "</th><th>" + esc(T.col_one) + "</th><th>" + esc(T.col_none) + "</th></tr></thead><tbody>";
    for (const t of techs) {
      const x = s.by_technology[t];
      html += "<tr><td>" + esc(t) + '</td><td><span class="bar" style="width:' + Math.round(x.any_pct * 0.4) + 'px"></span>' + pct(x.any_pct) +
        "</td><td>" + pct(x.one_pct) + '</td><td style="color:' + (x.none_pct > 5 ? "#c0392b" : "inherit") + '">' + pct(x.none_pct) + "</td></tr>";
    }
    html += "</tbody></table><h2>" + esc(T.by_operator) + "</h2><table><thead><tr><th>" + esc(T.operator) + "</th>" +
      techs.map((t) => "<th>" + esc(t) + "</th>").join("") + "</tr></thead><tbody>";
    for (const o of ops) {
      html += '<tr><td><span class="sw" style="display:inline-block;width:10px;height:10px;background:' + opColour(o) + '"></span> ' + esc(o) + "</td>" +
        techs.map((t) => "<td>" + pct(s.by_operator[o][t]) + "</td>").join("") + "</tr>";
    }
    html += '</tbody></table><p class="muted">' + esc(T.computed_at) + ": " + esc(s.computed_at) + "</p>";
    el.innerHTML = html;
  }
  function swatch(colour, cls) {
    return cls ? '<span class="sw ' + cls + '"></span>' : '<span class="sw" style="background:' + colour + '"></span>';
  }

  async function commune() {
    const map = newMap();
    const gen = page.generation, code = page.code;
    const neighbourQ = gen === "legacy" && page.parent_code ? { generation: gen, district: page.parent_code } : { generation: gen };
    const [unit, neighbours, outline, layers, sites, links, stats] = await Promise.all([
      getJSON("/api/v1/geo/communes?" + q({ generation: gen, code: code })),
      getJSON("/api/v1/geo/communes?" + q(neighbourQ)),
      getJSON("/api/v1/geo/boundaries?" + q({ level: "province" })),
      getJSON("/api/v1/coverage/layers?" + q({ commune: code, generation: gen }), true),
      getJSON("/api/v1/geo/sites?" + q({ commune: code, generation: gen })),
      getJSON("/api/v1/geo/links?" + q({ commune: code, generation: gen })),
      getJSON("/api/v1/communes/" + encodeURIComponent(code) + "/coverage?" + q({ generation: gen }), true),
    ]);
    const self = L.geoJSON(unit, { style: { color: "#143a5a", weight: 3, fillColor: "#ffffff", fillOpacity: 0.55 }, interactive: false });
    map.fitBounds(self.getBounds(), { padding: [20, 20] });  // the view must exist before the renderer
    L.geoJSON(outline, { style: { color: "#7d8a96", weight: 1, fillColor: "#f3efe4", fillOpacity: 1 }, interactive: false }).addTo(map);
    L.geoJSON({ type: "FeatureCollection", features: neighbours.features.filter((f) => f.properties.code !== code) }, {
      style: { color: "#9aa5b1", weight: 1, fillColor: "#e6e2d6", fillOpacity: 1 },
      onEachFeature: (f, layer) => {
        layer.bindTooltip(esc(f.properties.short_name || f.properties.name), { permanent: true, direction: "center", className: "commune-label" });
        layer.on("click", () => { window.location.href = "/maps/communes/" + encodeURIComponent(f.properties.code) + "?" + q({ lang: page.lang, generation: gen }); });
      },
    }).addTo(map);
    const gapFill = addHatch(map, "hatch-gap", "#c0392b");
    self.addTo(map);

    const overlays = {};
    const feats = layers ? layers.features : [];
    const techs = [...new Set(feats.map((f) => f.properties.technology).filter(Boolean))].sort();
    const ops = [...new Set(feats.map((f) => f.properties.operator).filter(Boolean))].sort();
    const defaultTech = techs.includes("4G") ? "4G" : techs[techs.length - 1];
    for (const t of techs) {
      for (const o of ops) {
        const fs = feats.filter((f) => f.properties.layer === "coverage" && f.properties.operator === o && f.properties.technology === t);
        if (!fs.length) continue;
        const lyr = L.geoJSON({ type: "FeatureCollection", features: fs }, {
          style: { color: opColour(o), weight: 1.2, opacity: 0.8, fillColor: opColour(o), fillOpacity: 0.18 }, interactive: false });
        overlays[swatch(opColour(o)) + esc(fmt(T.layer_cov, { op: o, tech: t }))] = lyr;
        if (t === defaultTech) lyr.addTo(map);
      }
    }
    for (const t of techs) {
      const fs = feats.filter((f) => f.properties.layer === "gap" && f.properties.technology === t);
      const lyr = L.geoJSON({ type: "FeatureCollection", features: fs }, {
        className: "gap-path",
        style: { color: "#c0392b", weight: 1.2, fillColor: gapFill, fillOpacity: 1 },
        onEachFeature: (f, layer) => layer.bindTooltip(esc(fmt(T.layer_gap, { tech: t })) + (f.properties.area_pct != null ? ": " + pct(f.properties.area_pct) : ""), { sticky: true }),
      });
      overlays[swatch("transparent", "hatch") + esc(fmt(T.layer_gap, { tech: t }))] = lyr;
      if (t === defaultTech) lyr.addTo(map);
    }
    const reach = feats.filter((f) => f.properties.layer === "fibre_reach");
    if (reach.length) {
      overlays[swatch("#f1c40f") + esc(T.layer_fibre_reach)] = L.geoJSON({ type: "FeatureCollection", features: reach }, {
        style: { color: "#b7950b", weight: 1, fillColor: "#f1c40f", fillOpacity: 0.25 }, interactive: false });
    }
    const siteOps = [...new Set(sites.features.filter((f) => f.properties.kind === "bts").map((f) => f.properties.operator))].sort();
    for (const o of siteOps) {
      const lyr = L.geoJSON({ type: "FeatureCollection", features: sites.features.filter((f) => f.properties.kind === "bts" && f.properties.operator === o) }, {
        pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 6, color: "#fff", weight: 1.5, fillColor: opColour(o), fillOpacity: 1, className: "bts-marker" }),
        onEachFeature: (f, layer) => layer.bindPopup(btsPopup(f.properties)),
      }).addTo(map);
      overlays['<span class="sw" style="border-radius:50%;background:' + opColour(o) + '"></span>' + esc(fmt(T.layer_bts, { op: o }))] = lyr;
    }
    overlays[swatch("#3d2b1f") + esc(T.layer_fibre)] = L.geoJSON({ type: "FeatureCollection", features: sites.features.filter((f) => f.properties.kind === "fibre_point") }, {
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 3, color: "#3d2b1f", weight: 1, fillColor: "#f5deb3", fillOpacity: 1, className: "fibre-marker" }),
      onEachFeature: (f, layer) => layer.bindPopup(fibrePopup(f.properties)),
    }).addTo(map);
    overlays[swatch("#143a5a") + esc(T.layer_offices)] = L.geoJSON({ type: "FeatureCollection", features: sites.features.filter((f) => !["bts", "fibre_point"].includes(f.properties.kind)) }, {
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 8, color: "#fff", weight: 2, fillColor: "#143a5a", fillOpacity: 1, className: "office-marker" }),
      onEachFeature: (f, layer) => layer.bindPopup(officePopup(f.properties)),
    }).addTo(map);
    overlays['<span class="sw" style="background:' + ST.up + '"></span>' + esc(T.links)] = linkLayer(links).addTo(map);
    if (defaultTech) {
      const infill = await getJSON("/api/v1/coverage/infill?" + q({ commune: code, technology: defaultTech, generation: gen }), true);
      if (infill && infill.length) {
        const group = L.layerGroup(infill.map((x) => {
          const ring = L.circle([x.lat, x.lon], { radius: x.range_m, color: "#d35400", weight: 1.5, dashArray: "5 5", fill: false, interactive: false });
          const pin = L.marker([x.lat, x.lon], { icon: L.divIcon({ className: "infill-pin", html: String(x.rank), iconSize: [22, 22] }) })
            .bindPopup('<div class="popup"><h3>' + esc(fmt(T.layer_infill, { tech: defaultTech })) + " #" + x.rank + "</h3><table>" +
              "<tr><th>" + esc(T.closes) + "</th><td>" + num(x.closes_km2, 2) + " km² (" + pct(x.closes_pct_of_gap) + ")</td></tr>" +
              "<tr><th>" + esc(T.range) + "</th><td>" + num(x.range_m) + " m</td></tr>" +
              "<tr><th>" + esc(T.nearest_fibre) + "</th><td>" + (x.nearest_fibre_m == null ? "–" : num(x.nearest_fibre_m) + " m") + "</td></tr></table></div>");
          return L.layerGroup([ring, pin]);
        })).addTo(map);
        overlays['<span class="sw" style="background:#d35400;border-radius:50%"></span>' + esc(fmt(T.layer_infill, { tech: defaultTech }))] = group;
      }
    }
    const control = L.control.layers(null, overlays, { collapsed: false, sortLayers: false }).addTo(map);
    // the layer list lives in the side panel: the map keeps its full width
    document.getElementById("layers").appendChild(control.getContainer());
    map.attributionControl.addAttribution(esc(T.synthetic));
    statsPanel(stats, sites);
    document.body.dataset.readyMs = String(Math.round(performance.now()));
    document.body.dataset.ready = "1";
  }

  const run = page.kind === "province" ? province : commune;
  run().catch((err) => {
    document.body.dataset.ready = "error";
    document.body.dataset.error = String(err);
    console.error(err);
  });
})();
