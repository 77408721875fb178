/* One incident: the cut-off sites on a small map (their communes filled), the operators'
   forms (acknowledge, silence, maintenance) posting to /api/v1/alerts/... through
   provnet.fetchJSON (CSRF header), and live updates: after an action or an "incidents"
   stream event naming this incident, the status, acknowledgement and timeline are
   refreshed from GET /api/v1/alerts/incidents/{id} and the shell's banner is refreshed. */
(function () {
  "use strict";
  // the shell (window.provnet) loads after the page's own script: start once the DOM is parsed
  function main() {
  // inventory names are data: Leaflet puts a string tooltip in as HTML, so hand it an element
  function textNode(text) { var el = document.createElement("span"); el.textContent = text; return el; }
  var page = JSON.parse(document.getElementById("page-data").textContent);
  var P = window.provnet, T = page.text;
  var PILL = {open: "down", acknowledged: "degraded", resolved: "up"};
  var CUT = "#b2182b", ROOT = "#222222";

  function msg(text, bad) {
    var el = document.getElementById("form-msg");
    if (!el) return;
    el.textContent = text; el.classList.toggle("err", !!bad);
  }

  function applyDetail(d) {
    var pill = document.getElementById("inc-status");
    pill.className = "pill " + (PILL[d.status] || "unknown");
    pill.setAttribute("data-status", d.status);
    pill.textContent = T["status_" + d.status] || d.status;
    document.getElementById("inc-acked").textContent =
      d.acked_by ? " · " + P.fill(T.inc_acked_by, {who: d.acked_by}) : "";
    if (d.status !== "open") {
      var ack = document.getElementById("ack-form");
      if (ack) ack.remove();
    }
    var body = document.querySelector("#timeline tbody");
    body.textContent = "";
    d.history.forEach(function (e) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-kind", e.kind);
      [P.fmtTime(e.time), (T["ev_" + e.kind] || e.kind), e.actor || "",
       e.detail].forEach(function (v) {
        var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function reload() {
    return P.fetchJSON("/api/v1/alerts/incidents/" + page.id).then(applyDetail)
      .catch(function () {});
  }

  function hours(form) { return Math.max(1, Number(form.elements.hours.value || 1)) * 3600; }

  function wire(id, build, done) {
    var form = document.getElementById(id);
    if (!form) return;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var req = build(form);
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
      P.fetchJSON(req.url, {method: "POST", body: req.body}).then(function (out) {
        msg(P.fill(done, {id: out.id}));
        P.refreshBanner();
        return reload();
      }, function (e) {
        msg(P.fill(T.failed, {reason: e.message}), true);
      }).then(function () {
        Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = false; });
      });
    });
  }

  function matcher(form) {
    var scope = form.elements.scope ? form.elements.scope.value : "district";
    if (scope === "site") return {site: page.root_site_code};
    if (scope === "device") return {device: page.device};
    return {district: page.district};
  }

  wire("ack-form", function (f) {
    return {url: "/api/v1/alerts/incidents/" + page.id + "/ack",
            body: {owner: page.me, comment: f.elements.comment.value}};
  }, T.ack_done);
  wire("silence-form", function (f) {
    return {url: "/api/v1/alerts/silences",
            body: Object.assign(matcher(f), {duration_s: hours(f), created_by: page.me,
                                             comment: f.elements.comment.value || ("#" + page.id)})};
  }, T.silence_done);
  wire("maint-form", function (f) {
    // the input is Viet Nam wall time (UTC+7, no DST): send it with its offset
    var start = (f.elements.start.value || "").slice(0, 16) + ":00+07:00";
    var scope = page.root_site_code ? {site: page.root_site_code} : {district: page.district};
    return {url: "/api/v1/alerts/maintenance",
            body: Object.assign(scope, {name: f.elements.name.value, rrule: "FREQ=DAILY;COUNT=1",
                                        dtstart: start, duration_s: hours(f), created_by: page.me,
                                        comment: "#" + page.id})};
  }, T.maint_done);

  var maint = document.querySelector("#maint-form input[name=start]");
  if (maint && !maint.value) {  // next full hour, Viet Nam time
    var d = new Date(Date.now() + 7 * 3600e3 + 3600e3);
    maint.value = d.toISOString().slice(0, 13) + ":00";
  }

  function drawMap() {
    if (!window.L || !page.sites.length) { document.body.setAttribute("data-ready", "1"); return; }
    var map = L.map("incident-map", {attributionControl: false, scrollWheelZoom: false});
    var cut = {};
    page.cut_communes.forEach(function (c) { cut[c] = true; });
    var pts = page.sites.map(function (s) { return [s.lat, s.lon]; });
    map.fitBounds(L.latLngBounds(pts).pad(0.4), {maxZoom: 12});  // a view before any layer
    P.fetchJSON("/api/v1/geo/communes").then(function (gj) {
      L.geoJSON(gj, {style: function (f) {
        var hit = cut[f.properties.code];
        return {weight: hit ? 1.2 : 0.5, color: hit ? CUT : "#ffffff",
                fillColor: hit ? CUT : "#cfd5db", fillOpacity: hit ? 0.45 : 0.6,
                className: hit ? "commune-cut" : "commune"};
      }, onEachFeature: function (f, l) { l.bindTooltip(textNode(f.properties.name)); }}).addTo(map);
      page.sites.forEach(function (s) {
        var root = s.code === page.root_site_code;
        var m = L.circleMarker([s.lat, s.lon], {radius: root ? 8 : 6, weight: 2,
          color: "#fff", fillColor: root ? ROOT : CUT, fillOpacity: 1,
          className: root ? "site-root" : "site-cut"}).addTo(map);
        m.bindTooltip(textNode(s.name + " (" + s.code + ")"));
      });
      document.body.setAttribute("data-ready", "1");
    }).catch(function (e) {
      document.body.setAttribute("data-error", String(e) + " " + (e && e.stack));
      document.body.setAttribute("data-ready", "1");
    });
  }

  drawMap();
  P.on("incidents", function (events) {
    if (!Array.isArray(events) || events.some(function (e) { return e.incident_id === page.id; })) reload();
  });
  P.on("resync", reload);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
  else main();
})();
