/* The device page: live status, reachability and resources (refreshed each poll cycle),
   RTT/loss and CPU/memory charts over the chosen period, interfaces with their links' live
   state and optics, recent configuration changes (operators), related incidents. */
(function () {
  "use strict";
  var C, E, P, t, dev, generation = 0;
  function el(id) { return document.getElementById(id); }

  function live() {
    var reach = window.provnet.fetchJSON("/api/v1/reachability/" + dev.id).then(function (r) {
      E.pill(el("dev-status-cell"), r.status, t);
      el("dev-rtt").textContent = C.fmtNum(r.icmp_rtt_avg_ms, 1, "ms");
      el("dev-loss").textContent = t.loss + " " + C.fmtNum(r.icmp_loss_pct, 0, "%");
      el("dev-polled").textContent = t.last_polled + " " + window.provnet.fmtTime(r.last_poll);
    });
    var health = window.provnet.fetchJSON("/api/v1/devices?site=" + encodeURIComponent(dev.site_code)).then(function (page) {
      var d = (page.items || []).filter(function (x) { return x.id === dev.id; })[0];
      if (!d) return;
      var h = d.health || {};
      el("dev-reason").textContent = d.poll_error_kind || "";
      el("dev-cpu").textContent = C.fmtNum(h.cpu_pct, 0, "%");
      el("dev-mem").textContent = t.mem + " " + C.fmtNum(h.mem_used_pct, 0, "%");
      el("dev-uptime").textContent = h.uptime_s ? (h.uptime_s / 86400).toFixed(1) + " d" : "—";
    });
    var links = window.provnet.fetchJSON("/api/v1/links?device=" + encodeURIComponent(dev.hostname)).then(function (page) {
      (page.items || []).forEach(function (l) {
        var row = document.querySelector('#interfaces tr[data-link="' + l.id + '"] .if-status');
        if (row) E.pill(row, l.health.status, t);
      });
    });
    var optics = window.provnet.fetchJSON("/api/v1/devices/" + dev.id + "/optics").then(function (o) {
      el("optics-note").textContent = o.items.length ? "" : t.no_optics;
      o.items.forEach(function (r) {
        var rows = document.querySelectorAll("#interfaces tr");
        rows.forEach(function (tr) {
          var match = (r.ifindex !== null && String(r.ifindex) === tr.getAttribute("data-ifindex")) ||
            r.port === tr.getAttribute("data-ifname");
          if (!match) return;
          tr.querySelector(".if-rx").textContent = C.fmtNum(r.rx_dbm, 2, "dBm");
          tr.querySelector(".if-tx").textContent = C.fmtNum(r.tx_dbm, 2, "dBm");
          if (r.rx_dbm !== null && r.rx_low_dbm !== null && r.rx_dbm < r.rx_low_dbm) tr.classList.add("error-note");
        });
      });
    }, function () { el("optics-note").textContent = t.no_optics; });
    return [reach, health, links, optics];
  }

  function configChanges() {
    var table = el("config-changes");
    if (!table) return;
    window.provnet.fetchJSON("/api/v1/config-changes?limit=10&device_id=" + dev.id).then(function (page) {
      var body = table.querySelector("tbody");
      body.textContent = "";
      if (!(page.items || []).length) {
        var tr0 = document.createElement("tr"), td0 = document.createElement("td");
        td0.colSpan = 3; td0.className = "muted"; td0.textContent = t.no_config;
        tr0.appendChild(td0); body.appendChild(tr0); return;
      }
      page.items.forEach(function (c) {
        var tr = document.createElement("tr");
        var a = document.createElement("td"); a.textContent = window.provnet.fmtTime(c.at);
        var b = document.createElement("td"); b.className = "num"; b.textContent = "+" + c.lines_added + " / −" + c.lines_removed;
        var d = document.createElement("td"), link = document.createElement("a");
        link.href = "/api/v1/devices/" + dev.id + "/config/diff?to=" + c.to_version_id +
          (c.from_version_id ? "&from=" + c.from_version_id : "");
        link.textContent = t.view_diff; d.appendChild(link);
        tr.appendChild(a); tr.appendChild(b); tr.appendChild(d); body.appendChild(tr);
      });
    }).catch(function () {});
  }

  function load(r) {
    var mine = ++generation, t0 = performance.now();
    document.body.setAttribute("data-ready", "0");
    document.body.setAttribute("data-range", r.key);
    var h = window.provnet.fetchJSON("/api/v1/devices/" + dev.id + "/history?metrics=cpu_pct,mem_used_pct,rtt_avg_ms,loss_pct&" + C.query(r))
      .then(function (ans) {
        if (mine !== generation) return;
        el("res-note").textContent = t.resolution + ": " + (t["res_" + ans.resolution] || ans.resolution);
        C.draw(el("chart-rtt"), C.align(ans.series, ["rtt_avg_ms", "loss_pct"]),
               [{label: t.rtt + " (ms)"}, {label: t.loss + " (%)", scale: "pct"}], t.no_data_period);
        C.draw(el("chart-cpu"), C.align(ans.series, ["cpu_pct", "mem_used_pct"]),
               [{label: t.cpu + " (%)"}, {label: t.mem + " (%)"}], t.no_data_period);
      });
    E.settle([h].concat(generation === 1 ? live() : [])).then(function (errs) {
      if (mine !== generation) return;
      document.body.setAttribute("data-error", errs.map(function (e) { return e.message; }).join("; "));
      E.ready(t0);
    });
  }

  function init() {
    C = window.provnetCharts; E = window.provnetEng; P = C.pageData(); t = P.text; dev = P.device;
    configChanges();
    E.incidents(document.querySelector("#incidents tbody"), [dev.site_code], t, P.lang);
    load(C.rangeControl(load));
    window.provnet.on("cycle", live);
  }
  document.addEventListener("DOMContentLoaded", init);
})();
