/* Home page: the province at a glance. The first figures come with the page; afterwards
   GET /api/v1/overview (the same function) refreshes them on every stream event, at most
   every few seconds. The small map colours each commune by its connection state. */
(function () {
  "use strict";
  // the shell (window.provnet) loads after the page's own script: start once the DOM is parsed
  function main() {
  // inventory names are data: Leaflet puts a string tooltip in as HTML, so hand it an element
  function textNode(text) { var el = document.createElement("span"); el.textContent = text; return el; }
  var page = JSON.parse(document.getElementById("page-data").textContent);
  var P = window.provnet;
  var COLOURS = {connected: "#1a9850", cut_off: "#b2182b", no_data: "#bdbdbd"};
  var layer = null, pending = null, last = 0, MIN_GAP_MS = 3000;

  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o == null ? o : o[k]; }, obj);
  }

  function pct(v) {
    if (v === null || v === undefined) return page.text.ov_no_history;
    return (v * 100).toLocaleString(page.lang === "vi" ? "vi-VN" : "en-GB",
      {minimumFractionDigits: 2, maximumFractionDigits: 2}) + " %";
  }

  function fillFigures(ov) {
    document.querySelectorAll("[data-fig]").forEach(function (el) {
      var v = get(ov, el.getAttribute("data-fig"));
      if (el.getAttribute("data-kind") === "pct") {
        el.setAttribute("data-value", v === null || v === undefined ? "" : String(v));
        el.textContent = pct(v);
      } else {
        el.textContent = v === null || v === undefined ? "–" : String(v);
      }
    });
    var t = document.getElementById("ov-time");
    if (t) { t.setAttribute("data-time", ov.time); t.textContent = P.fmtTime(ov.time); }
    fillMobile(ov.coverage);
    fillIncidents(ov.incidents.items);
    paint(ov.commune_states);
  }

  function fillMobile(cov) {
    var body = document.querySelector("#mobile tbody");
    if (!cov || !body || body.querySelector("[data-fig]")) return;  // rows exist: filled above
    body.textContent = "";
    Object.keys(cov.mobile).sort().forEach(function (op) {
      var tr = document.createElement("tr"), name = document.createElement("td");
      name.textContent = op; tr.appendChild(name);
      ["3G", "4G", "5G"].forEach(function (tech) {
        var td = document.createElement("td");
        td.className = "num";
        td.setAttribute("data-fig", "coverage.mobile." + op + "." + tech);
        td.textContent = String(cov.mobile[op][tech]);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function fillIncidents(items) {
    var ul = document.getElementById("home-incidents");
    ul.textContent = "";
    if (!items.length) {
      var li = document.createElement("li"); li.className = "muted";
      li.textContent = page.text.ov_no_incidents; ul.appendChild(li); return;
    }
    items.forEach(function (inc) {
      var li = document.createElement("li"); li.className = "sev-" + inc.severity;
      var a = document.createElement("a"); a.href = "/incidents/" + inc.id;
      a.textContent = "#" + inc.id + " " + (page.lang === "en" ? inc.title_en : inc.title);
      var pill = document.createElement("span");
      pill.className = "pill " + (inc.status === "acknowledged" ? "degraded" : "down");
      pill.textContent = page.text["status_" + inc.status] || inc.status;
      var d = document.createElement("div"); d.className = "muted";
      d.textContent = (page.lang === "en" ? inc.root_cause : inc.root_cause_vi) +
        (inc.communes_cut_off ? " · " + inc.communes_cut_off + " " + page.text.ov_cut_off : "");
      li.appendChild(a); li.appendChild(document.createTextNode(" ")); li.appendChild(pill);
      li.appendChild(d); ul.appendChild(li);
    });
  }

  function paint(states) {
    if (!layer) return;
    layer.eachLayer(function (l) {
      var st = states[l.feature.properties.code] || "no_data";
      l.setStyle({fillColor: COLOURS[st] || COLOURS.no_data});
      l.getElement && l.getElement() && l.getElement().setAttribute("data-state", st);
    });
  }

  function refresh() {
    var wait = last + MIN_GAP_MS - Date.now();
    if (wait > 0) { if (!pending) pending = setTimeout(function () { pending = null; refresh(); }, wait); return; }
    last = Date.now();
    P.fetchJSON("/api/v1/overview").then(fillFigures).catch(function () {});
  }

  function drawMap() {
    if (!window.L) { document.body.setAttribute("data-ready", "1"); return; }
    var map = L.map("home-map", {zoomControl: false, attributionControl: false,
                                 scrollWheelZoom: false});
    P.fetchJSON("/api/v1/geo/communes").then(function (gj) {
      layer = L.geoJSON(gj, {style: function () {
        return {weight: 0.6, color: "#ffffff", fillOpacity: 0.85, fillColor: COLOURS.no_data};
      }, onEachFeature: function (f, l) {
        l.bindTooltip(textNode(f.properties.name));
        l.on("click", function () { location.href = "/communes/" + f.properties.code; });
      }});
      map.fitBounds(layer.getBounds());  // a view first: vector layers need one to draw
      layer.addTo(map);
      paint(page.overview.commune_states);
      document.body.setAttribute("data-ready", "1");
    }).catch(function (e) {
      document.body.setAttribute("data-error", String(e) + " " + (e && e.stack));
      document.body.setAttribute("data-ready", "1");
    });
  }

  drawMap();
  P.on("cycle", refresh);
  P.on("incidents", refresh);
  P.on("resync", refresh);
  window.provnetHome = {refresh: refresh};
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
  else main();
})();
