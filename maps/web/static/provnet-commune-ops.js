/* The commune operations page: live state of its links and devices (refreshed each poll
   cycle), availability this month (Viet Nam calendar month), coverage summary. */
(function () {
  "use strict";
  var E, P, t;
  function el(id) { return document.getElementById(id); }
  function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(3) + " %"; }

  function monthStart() {  // the first day of this month in Asia/Ho_Chi_Minh, as a plain date
    var parts = new Intl.DateTimeFormat("en-CA", {timeZone: "Asia/Ho_Chi_Minh", year: "numeric",
                                                   month: "2-digit"}).formatToParts(new Date());
    var y = parts.filter(function (p) { return p.type === "year"; })[0].value;
    var m = parts.filter(function (p) { return p.type === "month"; })[0].value;
    return y + "-" + m + "-01";
  }

  function live() {
    var links = window.provnet.fetchJSON("/api/v1/links?commune=" + encodeURIComponent(P.code)).then(function (page) {
      var up = 0;
      (page.items || []).forEach(function (l) {
        if (l.health.status === "up") up++;
        var row = document.querySelector('#links tr[data-link="' + l.id + '"]');
        if (!row) return;
        E.pill(row.querySelector(".link-status"), l.health.status, t);
        var u = l.health.utilisation_pct;
        row.querySelector(".link-util").textContent = u === null || u === undefined ? "—" : u.toFixed(1) + " %";
      });
      el("links-up").textContent = up + " / " + (page.items || []).length;
      el("links-detail").textContent = t.st_up;
    });
    var devices = window.provnet.fetchJSON("/api/v1/devices?commune=" + encodeURIComponent(P.code)).then(function (page) {
      var up = 0;
      (page.items || []).forEach(function (d) {
        if (d.status === "up") up++;
        var row = document.querySelector('#devices tr[data-device="' + d.id + '"]');
        if (!row) return;
        E.pill(row.querySelector(".dev-status"), d.status, t);
        var h = d.health || {};
        row.querySelector(".dev-rtt").textContent = h.icmp_rtt_avg_ms === null || h.icmp_rtt_avg_ms === undefined ? "—" : h.icmp_rtt_avg_ms.toFixed(1) + " ms";
      });
      el("devices-detail").textContent = up + " " + t.st_up.toLowerCase();
    });
    return [links, devices];
  }

  function availability() {
    var q = "from=" + monthStart() + "&tz=Asia%2FHo_Chi_Minh";
    return window.provnet.fetchJSON("/api/v1/communes/" + encodeURIComponent(P.code) + "/availability?" + q).then(function (a) {
      var v = el("avail-month");
      v.textContent = pct(a.availability_experienced);
      v.setAttribute("data-value", a.availability_experienced === null ? "" : String(a.availability_experienced));
      el("avail-month-detail").textContent = t.avail_excl + " " + pct(a.availability_excluding_maintenance) +
        " · " + window.provnet.fill(t.incidents_n, {n: a.incidents});
    }, function (e) {
      if (e.status === 404) { el("avail-month").textContent = "—"; return; }
      throw e;
    });
  }

  function coverage() {
    return window.provnet.fetchJSON("/api/v1/communes/" + encodeURIComponent(P.code) + "/coverage").then(function (c) {
      var body = document.querySelector("#coverage tbody");
      body.textContent = "";
      Object.keys(c.by_technology).sort().forEach(function (tech) {
        var s = c.by_technology[tech], tr = document.createElement("tr");
        var a = document.createElement("td"); a.textContent = tech;
        var b = document.createElement("td"); b.className = "num"; b.textContent = s.any_pct.toFixed(1) + " %";
        tr.appendChild(a); tr.appendChild(b); body.appendChild(tr);
      });
      var tr = document.createElement("tr");
      var a = document.createElement("td"); a.textContent = t.fibre;
      var b = document.createElement("td"); b.className = "num"; b.textContent = c.fibre_reach_pct.toFixed(1) + " %";
      tr.appendChild(a); tr.appendChild(b); body.appendChild(tr);
    });
  }

  function init() {
    E = window.provnetEng;
    P = JSON.parse(el("page-data").textContent); t = P.text;
    var t0 = performance.now();
    E.settle(live().concat([availability(), coverage()])).then(function (errs) {
      document.body.setAttribute("data-error", errs.map(function (e) { return e.message; }).join("; "));
      E.ready(t0);
    });
    window.provnet.on("cycle", live);
  }
  document.addEventListener("DOMContentLoaded", init);
})();
