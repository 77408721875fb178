/* Shared by the engineer's pages: status pills and the related-incidents table. */
(function () {
  "use strict";
  var KNOWN = {up: "up", down: "down", degraded: "degraded", unknown: "unknown",
               unreachable: "down", snmp_not_answering: "degraded"};

  function pill(cell, status, t) {
    cell.textContent = "";
    var s = document.createElement("span");
    s.className = "pill " + (KNOWN[status] || "unknown");
    s.textContent = t["st_" + status] || status;
    s.setAttribute("data-status", status);
    cell.appendChild(s);
  }

  /* incidents whose root or cut-off sites include one of ``sites`` */
  function incidents(tbody, sites, t, lang) {
    return window.provnet.fetchJSON("/api/v1/alerts/incidents?limit=200").then(function (page) {
      var rows = (page.items || []).filter(function (i) {
        return sites.indexOf(i.root_site_code) >= 0 || (i.affected || []).some(function (a) {
          return sites.indexOf(a.site_code) >= 0;
        });
      });
      tbody.textContent = "";
      if (!rows.length) {
        var tr0 = document.createElement("tr"), td0 = document.createElement("td");
        td0.colSpan = 5; td0.className = "muted"; td0.textContent = t.no_incidents;
        tr0.appendChild(td0); tbody.appendChild(tr0);
        return;
      }
      rows.forEach(function (i) {
        var tr = document.createElement("tr");
        [String(i.id), window.provnet.fmtTime(i.started_at), i.severity, i.status].forEach(function (v) {
          var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
        });
        var td = document.createElement("td"), a = document.createElement("a");
        a.href = "/incidents/" + i.id; a.textContent = lang === "vi" ? i.title : i.title_en;
        td.appendChild(a); tr.appendChild(td);
        tbody.appendChild(tr);
      });
    }).catch(function () {});
  }

  function ready(t0) {
    document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
    if (t0 !== undefined) document.body.setAttribute("data-load-ms", String(Math.round(performance.now() - t0)));
    document.body.setAttribute("data-ready", "1");
  }

  function settle(promises) {  // every promise settled: the errors (empty when all went well)
    return Promise.all(promises.map(function (p) {
      return p.then(function () { return null; }, function (e) { return e; });
    })).then(function (errs) { return errs.filter(Boolean); });
  }

  window.provnetEng = {pill: pill, incidents: incidents, ready: ready, settle: settle};
})();
