/* provnet map pages: province choropleth and commune detail, drawn with the bundled Leaflet.
   No tiles: the base map is the province outline, commune polygons and district boundaries.
   Every text that comes from the inventory goes through esc() before it reaches innerHTML. */
(function () {
  "use strict";
  const page = JSON.parse(document.getElementById("page-data").textContent);
  const T = page.labels;
  const OP = page.operator_colours;
  const ST = page.status_colours;

  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, (c) => (
      { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  function fmt(s, vars) { return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? vars[k] : "")); }
  // rounded to 0.1 and clamped at 0 like maps/classes.py shown(): never "-0 %"
  function pct(v) { return v == null ? "–" : (Math.max(0, Math.round(v * 10) / 10) + 0).toLocaleString(page.lang === "vi" ? "vi-VN" : "en-GB") + " %"; }
  function num(v, d) { return v == null ? "–" : Number(v).toLocaleString(page.lang === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: d || 0 }); }
  function opColour(op) { return OP[op] || "#555"; }
  function q(params) {
    return Object.entries(params).filter(([, v]) => v != null)
      .map(([k, v]) => encodeURIComponent(k) + "=" + encodeURIComponent(v)).join("&");
  }
  async function getJSON(url, optional) {
    let r;
    try {
      r = await fetch(url, { headers: { Accept: "application/json" } });
    } catch (err) {  // a network blip (a keep-alive socket closed under us): once more
      await new Promise((done) => setTimeout(done, 300));
      r = await fetch(url, { headers: { Accept: "application/json" } });
    }
    if (!r.ok) {
      if (optional) return null;
      throw new Error(url + ": HTTP " + r.status);
    }
    return r.json();
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
  // Colours, classes, legend, mean and the worst list all come from /api/v1/coverage/choropleth
  // (maps/classes.py classify): this script never classifies a value itself.
  function metricLabel(m) {
    if (m === "fibre") return T.metric_fibre;
    const [a, b] = m.split(":");
    if (b === "any" || b === "one" || b === "none") return fmt(T["metric_" + b], { tech: a });
    return fmt(T.metric_op, { op: a, tech: b });
  }
  function metricTech(m) {
    if (m === "fibre") return "4G";
    const [a, b] = m.split(":");
    return /^[2-5]G$/.test(a) ? a : b;
  }
  function rangeText(c) { return num(c.lo, 1) + "–" + num(c.hi, 1) + " %"; }
  function scaleLegend(el, chor, cutFill) {
    let html = chor.classes.map((c) =>
      '<span class="sw" data-class="' + c.index + '" style="background:' + c.colour + '"></span><span data-class="' + c.index + '">' + esc(rangeText(c)) + "</span>").join("");
    html += '<span class="sw" data-class="none" style="background:' + chor.no_data_colour + '"></span><span>' + esc(T.no_coverage) + "</span>";
    html += '<span class="sw hatch-cut"></span><span>' + esc(T.cut_off) + "</span>";
    html += '<span class="note">' + esc(chor.lower_is_better ? T.lower_better : T.higher_better) + " · " + esc(T.pct_area) + "</span>";
    el.innerHTML = html;
    void cutFill;
  }
  function devicesTable(devs) {
    return "<table>" + (devs || []).map((d) => "<tr><td>" + esc(d.hostname) + "</td><td>" + esc(d.vendor) + " " + esc(d.platform) +
      '</td><td class="dev-' + esc(d.status) + '">' + esc(T["dev_" + d.status] || d.status) + "</td></tr>").join("") + "</table>";
  }
  function sitePopup(p) {
    return '<div class="popup"><h3>' + esc(p.name) + '</h3><div class="code">' + esc(p.code) + "</div>" + devicesTable(p.devices) + "</div>";
  }
  function downloadButton(href, label, id) {
    return '<a class="button" download id="' + esc(id) + '" href="' + esc(href) + '">' + esc(label) + "</a>";
  }
  function clock() {
    return new Date().toLocaleTimeString(page.lang === "vi" ? "vi-VN" : "en-GB", { timeZone: "Asia/Ho_Chi_Minh", hour12: false });
  }

  async function province() {
    const map = newMap();
    const gen = page.generation;
    const [communes, districts, outline, links0, offices0, chorFirst, cut0] = await Promise.all([
      getJSON("/api/v1/geo/communes?" + q({ generation: gen })),
      gen === "legacy" ? getJSON("/api/v1/geo/boundaries?" + q({ level: "district" })) : null,
      getJSON("/api/v1/geo/boundaries?" + q({ level: "province" })),
      getJSON("/api/v1/geo/links"),
      getJSON("/api/v1/geo/routers"),
      getJSON("/api/v1/coverage/choropleth?" + q({ metric: page.metric, generation: gen }), true),
      getJSON("/api/v1/geo/cutoff?" + q({ generation: gen })),
    ]);
    let chor = chorFirst || await getJSON("/api/v1/coverage/choropleth?" + q({ generation: gen }), true);
    let metric = chor ? chor.metric : "4G:any";
    let cut = cut0, links = links0, offices = offices0;
    const sel = document.getElementById("metric");
    sel.innerHTML = (chor ? chor.metrics : []).map((v) => '<option value="' + esc(v) + '">' + esc(metricLabel(v)) + "</option>").join("");
    sel.value = metric;

    map.fitBounds(L.geoJSON(communes).getBounds(), { padding: [10, 10] });  // the view first: paths need it
    L.geoJSON(outline, { style: { color: "#7d8a96", weight: 1, fillColor: "#f3efe4", fillOpacity: 1 },
                         interactive: false }).addTo(map);
    const communeLayer = L.geoJSON(communes, {
      className: "commune-path",
      style: { color: "#ffffff", weight: 0.8, fillOpacity: 0.85 },
      onEachFeature: (f, layer) => {
        layer.on("click", () => {
          const c = cut.communes[f.properties.code];
          const href = "/maps/communes/" + encodeURIComponent(f.properties.code) + "?" + q({ lang: page.lang, generation: gen });
          if (!c) { window.location.href = href; return; }
          layer.bindPopup('<div class="popup"><h3>' + esc(f.properties.name) + '</h3><p class="cutoff-badge">' + esc(fmt(T.cut_off_by, { id: c.incident_id })) +
            "</p><p>" + esc(page.lang === "vi" ? c.title_vi : c.title_en) + '</p><p><a class="incident-link" href="/incidents/' + encodeURIComponent(c.incident_id) + '">' +
            esc(fmt(T.incident_open, { id: c.incident_id })) + '</a> · <a href="' + esc(href) + '">' + esc(T.map_link) + "</a></p></div>").openPopup();
        });
        layer.on("mouseover", () => layer.setStyle({ weight: 2.5, color: "#143a5a" }));
        layer.on("mouseout", () => layer.setStyle({ weight: cut.communes[f.properties.code] ? 2 : 0.8, color: cut.communes[f.properties.code] ? "#e31a1c" : "#ffffff" }));
      },
    }).addTo(map);
    // a GeometryCollection feature is a group of paths: every path carries the commune's data
    function elementsOf(layer) {
      if (typeof layer.getElement === "function") return [layer.getElement()];
      const out = [];
      layer.eachLayer((sub) => { out.push(...elementsOf(sub)); });
      return out;
    }
    communeLayer.eachLayer((layer) => { elementsOf(layer).forEach((el) => { el.dataset.code = layer.feature.properties.code; }); });
    const cutFill = addHatch(map, "hatch-cut", "#e31a1c");
    const districtLayer = districts ? L.geoJSON(districts, {
      style: { color: "#2b3a48", weight: 2, fill: false, opacity: 0.8 }, interactive: false }).addTo(map) : null;
    const linkLyr = linkLayer(links, true).addTo(map);
    const siteDevices = {};
    const pops = L.geoJSON({ type: "FeatureCollection",
                             features: offices.features.filter((f) => f.properties.kind === "core" || f.properties.kind === "pop") }, {
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: f.properties.kind === "core" ? 7 : 5, color: "#fff", weight: 1.5,
                                                    fillColor: "#143a5a", fillOpacity: 1, className: "pop-marker" }),
      onEachFeature: (f, layer) => layer.bindPopup(() => sitePopup({ ...f.properties, devices: siteDevices[f.properties.code] || f.properties.devices })),
    }).addTo(map);
    function keepDevices() {
      offices.features.forEach((f) => { siteDevices[f.properties.code] = f.properties.devices; });
    }
    keepDevices();

    function recolour() {
      communeLayer.eachLayer((layer) => {
        const p = layer.feature.properties, row = chor ? chor.communes[p.code] : null, c = cut.communes[p.code];
        elementsOf(layer).forEach((el) => {
          el.dataset.class = row && row.class != null ? String(row.class) : "none";
          el.dataset.cutoff = c ? String(c.incident_id) : "";
        });
        layer.setStyle(c ? { fillColor: cutFill, fillOpacity: 1, color: "#e31a1c", weight: 2 }
                         : { fillColor: row ? row.colour : "#e8e4da", fillOpacity: 0.85, color: "#ffffff", weight: 0.8 });
        layer.unbindTooltip();
        layer.bindTooltip("<b>" + esc(p.name) + "</b><br>" + (p.parent_name && gen === "legacy" ? esc(p.parent_name) + "<br>" : "") +
                          esc(metricLabel(metric)) + ": " + pct(row ? row.value : null) +
                          (c ? '<br><b class="cutoff-badge">' + esc(fmt(T.cut_off_by, { id: c.incident_id })) + "</b>" : ""), { sticky: true });
      });
      if (chor) scaleLegend(document.getElementById("legend"), chor, cutFill);
      document.getElementById("worst-title").textContent = chor && chor.lower_is_better ? T.worst_lower : T.worst_higher;
      const rows = chor ? chor.worst : [];
      document.getElementById("worst").innerHTML = rows.length ? rows.map((r) =>
        '<li data-code="' + esc(r.code) + '"><a href="/maps/communes/' + encodeURIComponent(r.code) + "?" + q({ lang: page.lang, generation: gen }) + '">' +
        esc(r.name) + '</a> <span class="v">' + pct(r.value) + "</span></li>").join("") : '<li class="muted">' + esc(T.no_coverage) + "</li>";
      summary();
      downloads();
      const url = new URL(window.location.href);
      url.searchParams.set("metric", metric);
      window.history.replaceState(null, "", url);
    }
    function summary() {
      const count = (st) => links.features.filter((f) => f.properties.state === st).length;
      const nCut = Object.keys(cut.communes).length;
      document.getElementById("summary").innerHTML =
        '<div class="kpi"><b id="kpi-drawn">' + num(communes.features.length) + " / " + num(communes.total || communes.features.length) + "</b><span>" + esc(T.communes) + "</span></div>" +
        '<div class="kpi"><b id="kpi-mean">' + pct(chor ? chor.mean : null) + "</b><span>" + esc(T.mean) + "</span></div>" +
        '<div class="kpi"><b id="kpi-up">' + num(count("up") + count("busy")) + "</b><span>" + esc(T.links) + " · " + esc(T.state_up) + "</span></div>" +
        '<div class="kpi"><b id="kpi-down" style="color:' + ST.down + '">' + num(count("down")) + "</b><span>" + esc(T.links) + " · " + esc(T.state_down) + "</span></div>" +
        '<div class="kpi"><b id="kpi-cut" style="color:' + (nCut ? "#e31a1c" : "inherit") + '">' + num(nCut) + "</b><span>" + esc(T.communes_cut_off) + "</span></div>";
      const inc = document.getElementById("incidents");
      inc.innerHTML = cut.incidents.length ? cut.incidents.map((i) =>
        '<li data-incident="' + esc(i.id) + '"><a href="/incidents/' + encodeURIComponent(i.id) + '">#' + esc(i.id) + " " +
        esc(page.lang === "vi" ? i.title_vi : i.title_en) + "</a>" + (i.communes.length ? '<br><span class="muted">' + esc(T.communes_cut_off) + ": " + num(i.communes.length) + "</span>" : "") + "</li>").join("")
        : '<li class="muted none">' + esc(T.no_incidents) + "</li>";
    }
    function downloads() {
      const tech = metricTech(metric), base = { generation: gen };
      document.getElementById("downloads").innerHTML =
        downloadButton("/reports/coverage.csv?" + q({ ...base, lang: page.lang }), T.export_csv, "dl-csv") +
        downloadButton("/reports/coverage.xlsx?" + q({ ...base, lang: page.lang }), T.export_xlsx, "dl-xlsx") +
        downloadButton("/api/v1/coverage/gaps?" + q({ ...base, technology: tech, download: "true" }), fmt(T.export_gaps_geojson, { tech: tech }), "dl-gaps-geojson") +
        downloadButton("/api/v1/coverage/gaps?" + q({ ...base, technology: tech, format: "kml", download: "true" }), fmt(T.export_gaps_kml, { tech: tech }), "dl-gaps-kml") +
        downloadButton("/api/v1/coverage/infill?" + q({ ...base, technology: tech, format: "csv", lang: page.lang }), fmt(T.export_infill_csv, { tech: tech }), "dl-infill-csv") +
        downloadButton("/api/v1/coverage/infill?" + q({ ...base, technology: tech, format: "geojson" }), fmt(T.export_infill_geojson, { tech: tech }), "dl-infill-geojson") +
        '<a class="button" id="report-link" href="/reports/coverage?' + esc(q({ ...base, lang: page.lang })) + '">' + esc(T.report_link) + "</a>";
    }
    sel.addEventListener("change", async () => {
      const next = await getJSON("/api/v1/coverage/choropleth?" + q({ metric: sel.value, generation: gen }));
      chor = next; metric = next.metric; recolour(); loadInfill();
    });
    recolour();
    linkLegend(document.getElementById("link-legend"));
    if (communes.without_geometry) {
      const names = communes.missing.slice(0, 8).map((m) => m.name).join(", ") + (communes.missing.length > 8 ? ", …" : "");
      const el = document.getElementById("missing");
      el.textContent = fmt(T.without_geometry, { n: communes.without_geometry, total: communes.total, names: names });
      el.hidden = false;
    }

    // ---- province-wide BTS suggestions of the metric's technology (loaded after drawing)
    const infillGroup = L.layerGroup().addTo(map);
    let infillFor = null;
    async function loadInfill() {
      const tech = metricTech(metric);
      if (tech === infillFor) return;
      infillFor = tech;
      const list = document.getElementById("infill");
      document.getElementById("infill-title").textContent = fmt(T.infill_top, { tech: tech });
      list.innerHTML = '<li class="muted">' + esc(T.infill_loading) + "</li>";
      document.body.dataset.infill = "";
      const rows = await getJSON("/api/v1/coverage/infill?" + q({ technology: tech, generation: gen }), true);
      if (infillFor !== tech) return;
      infillGroup.clearLayers();
      const top = (rows || []).slice(0, 30);
      top.forEach((x) => {
        L.marker([x.lat, x.lon], { icon: L.divIcon({ className: "infill-pin", html: String(x.province_rank), iconSize: [22, 22] }) })
          .bindPopup('<div class="popup"><h3>' + esc(fmt(T.infill_province, { tech: tech })) + " #" + x.province_rank + "</h3><table>" +
            "<tr><th>" + esc(T.communes) + "</th><td>" + esc(x.commune_name) + " (" + esc(x.commune) + ")</td></tr>" +
            "<tr><th>" + esc(T.h_lat) + " / " + esc(T.h_lon) + "</th><td>" + x.lat.toFixed(5) + ", " + x.lon.toFixed(5) + "</td></tr>" +
            "<tr><th>" + esc(T.closes) + "</th><td>" + num(x.closes_km2, 2) + " km² (" + pct(x.closes_pct_of_gap) + ")</td></tr>" +
            "<tr><th>" + esc(T.range) + "</th><td>" + num(x.range_m) + " m</td></tr>" +
            "<tr><th>" + esc(T.nearest_fibre) + "</th><td>" + (x.nearest_fibre_m == null ? "–" : num(x.nearest_fibre_m) + " m") + "</td></tr></table></div>")
          .addTo(infillGroup);
      });
      list.innerHTML = top.length ? top.slice(0, 10).map((x) =>
        '<li data-code="' + esc(x.commune) + '">' + esc(x.commune_name) + ' <span class="v">' + num(x.closes_km2, 2) + " km² · " +
        x.lat.toFixed(4) + ", " + x.lon.toFixed(4) + "</span></li>").join("") : '<li class="muted">' + esc(fmt(T.infill_none, { tech: tech })) + "</li>";
      document.body.dataset.infill = "1";
    }

    // ---- live: the stream's links/incidents events (or a poll) re-read links, cut-offs, routers
    let pending = null;
    async function refreshLive() {
      pending = null;
      try {
        const [l, c, o] = await Promise.all([getJSON("/api/v1/geo/links"), getJSON("/api/v1/geo/cutoff?" + q({ generation: gen })),
                                             getJSON("/api/v1/geo/routers")]);
        links = l; cut = c; offices = o;
        linkLyr.clearLayers(); linkLyr.addData(links); keepDevices();
        recolour();
        document.getElementById("stale").hidden = true;
        document.body.classList.remove("stale-data");
        document.getElementById("live").textContent = fmt(T.live_at, { time: clock() });
        document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
      } catch (err) {
        document.getElementById("stale").hidden = false;
        document.body.classList.add("stale-data");
      }
    }
    function soon() { if (!pending) pending = setTimeout(refreshLive, 300); }
    if (page.live_stream && window.provnet && window.provnet.on) {
      // the site shell's one event stream (provnet-ui.js): one connection per page
      ["links", "incidents", "resync"].forEach((ev) => window.provnet.on(ev, soon));
    } else if (page.live_stream && window.EventSource) {
      const es = new EventSource("/api/v1/stream");
      es.addEventListener("links", soon);
      es.addEventListener("incidents", soon);
      es.addEventListener("error", () => { if (es.readyState === EventSource.CLOSED) soon(); });
      window.addEventListener("pagehide", () => es.close());
    }
    setInterval(refreshLive, Math.max(2, page.refresh_s || 30) * 1000);
    document.getElementById("live").textContent = fmt(T.live_at, { time: clock() });

    const overlays = {};
    overlays[T.communes] = communeLayer;
    if (districtLayer) overlays[T.districts] = districtLayer;
    overlays[T.links] = linkLyr;
    overlays[T.pops] = pops;
    overlays['<span class="sw" style="background:#d35400;border-radius:50%"></span>' + esc(T.layer_infill.replace(" ({tech})", ""))] = infillGroup;
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    map.attributionControl.addAttribution(esc(T.synthetic));
    document.body.dataset.readyMs = String(Math.round(performance.now()));
    document.body.dataset.ready = "1";
    loadInfill();
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
    const live = routerStatus[p.code] || {};
    const devs = (p.devices || []).map((d) => {
      const st = (live[d.hostname] || d).status || "unknown";
      return "<tr><td>" + esc(d.hostname) + "</td><td>" + esc(d.vendor) + " " + esc(d.platform) + "</td><td>" + esc(d.mgmt_address) +
        '</td><td class="dev-' + esc(st) + '">' + esc(T["dev_" + st] || st) + "</td></tr>";
    }).join("");
    return '<div class="popup"><h3>' + esc(p.name) + '</h3><div class="code">' + esc(p.code) + "</div><table>" + devs + "</table></div>";
  }
  const routerStatus = {};  // site code -> hostname -> device with its live status (/api/v1/geo/routers)
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
    html += '</tbody></table><p class="muted">' + esc(T.computed_at) + ": " + esc(window.provnet ? window.provnet.fmtTime(s.computed_at) + " (GMT+7)" : s.computed_at) + "</p>";
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
    const [routers, cutoff] = await Promise.all([getJSON("/api/v1/geo/routers", true), getJSON("/api/v1/geo/cutoff?" + q({ generation: gen }), true)]);
    ((routers || {}).features || []).forEach((f) => {
      routerStatus[f.properties.code] = Object.fromEntries((f.properties.devices || []).map((d) => [d.hostname, d]));
    });
    const cutRow = cutoff && cutoff.communes[code];
    if (cutRow) {
      const el = document.getElementById("cutoff");
      el.innerHTML = esc(fmt(T.cut_off_by, { id: cutRow.incident_id })) + ': <a class="incident-link" href="/incidents/' + encodeURIComponent(cutRow.incident_id) + '">' +
        esc(page.lang === "vi" ? cutRow.title_vi : cutRow.title_en) + "</a>";
      el.hidden = false;
    }
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
