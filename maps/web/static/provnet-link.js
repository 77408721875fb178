/* The link page: live status and rates (refreshed on every poll cycle of the event stream),
   charts over the chosen period, status timeline, 95th percentile, availability, incidents.
   <body data-ready="1" data-range="30d" data-ready-ms="..."> once the period's data is drawn. */
(function () {
  "use strict";
  var C, P, t, link, range, generation = 0;

  function el(id) { return document.getElementById(id); }
  function pct(v, d) { return v === null || v === undefined ? "—" : (v * 100).toFixed(d === undefined ? 3 : d) + " %"; }
  function statusWord(s) { return t["st_" + s] || s; }

  function live() {
    return window.provnet.fetchJSON("/api/v1/links/" + link.id + "/health").then(function (h) {
      var s = el("live-status");
      s.className = "pill " + (["up", "down", "degraded"].indexOf(h.status) >= 0 ? h.status : "unknown");
      s.textContent = statusWord(h.status);
      s.setAttribute("data-status", h.status);
      el("live-reason").textContent = (P.lang === "vi" ? (h.reason_vi || h.reason) : h.reason) || "—";
      el("live-in").textContent = C.fmtBps(h.in_bps);
      el("live-out").textContent = C.fmtBps(h.out_bps);
      el("live-util").textContent = C.fmtNum(h.utilisation_pct, 1, "%");
      el("live-updated").textContent = window.provnet.fill(t.live_updated, {time: window.provnet.fmtTime(new Date())});
    }).catch(function () {});
  }

  function ends() {
    ["a", "z"].forEach(function (side) {
      window.provnet.fetchJSON("/api/v1/reachability/" + link[side].device_id).then(function (r) {
        window.provnetEng.pill(document.querySelector('#ends tr[data-end="' + side + '"] .end-status'),
                               r.status || "unknown", t);
      }).catch(function () {});
    });
  }

  function resNote(ans) {
    if (!ans || !ans.resolution) return;
    el("res-note").textContent = t.resolution + ": " + (t["res_" + ans.resolution] || ans.resolution) +
      " (" + t.step + " " + ans.step + ")";
  }

  function charts(q, mine) {
    var hist = window.provnet.fetchJSON("/api/v1/links/" + link.id + "/history?metrics=" +
      "in_bps,out_bps,in_util_pct,out_util_pct,in_errors_ps,out_errors_ps,in_discards_ps,out_discards_ps&" + q)
      .then(function (h) {
        if (mine !== generation) return;
        resNote(h);
        var s = h.series;
        C.draw(el("chart-traffic"), C.align(s, ["in_bps", "out_bps"]),
               [{label: t.in_bps, fmt: C.fmtBps}, {label: t.out_bps, fmt: C.fmtBps}], t.no_data_period);
        C.draw(el("chart-util"), C.align(s, ["in_util_pct", "out_util_pct"]),
               [{label: t.in_bps + " %"}, {label: t.out_bps + " %"}], t.no_data_period);
        C.draw(el("chart-errors"), C.align(s, ["in_errors_ps", "out_errors_ps", "in_discards_ps", "out_discards_ps"]),
               [{label: t.errors + " " + t.in_bps}, {label: t.errors + " " + t.out_bps},
                {label: t.discards + " " + t.in_bps, dash: [4, 3]}, {label: t.discards + " " + t.out_bps, dash: [4, 3]}],
               t.no_data_period);
      });
    var optics = window.provnet.fetchJSON("/api/v1/links/" + link.id + "/optics?" + q).then(function (o) {
      if (mine !== generation) return;
      var merged = {}, metrics = [], lines = [];
      o.ends.forEach(function (e) {
        var tag = e.end.toUpperCase();
        ["rx_dbm", "tx_dbm"].forEach(function (m) {
          merged[tag + m] = e.series[m] || [];
          metrics.push(tag + m);
          lines.push({label: (m === "rx_dbm" ? t.rx : t.tx) + " " + tag, dash: m === "tx_dbm" ? [4, 3] : undefined});
        });
      });
      var data = C.align(merged, metrics);
      o.ends.forEach(function (e) {  // the transceiver's own thresholds, as flat lines
        var now = e.now || {};
        [["rx_low_dbm", t.rx_low], ["rx_high_dbm", t.rx_high]].forEach(function (th) {
          if (now[th[0]] === null || now[th[0]] === undefined || !data[0].length) return;
          data.push(data[0].map(function () { return now[th[0]]; }));
          lines.push({label: th[1] + " " + e.end.toUpperCase(), colour: "#b2182b", dash: [2, 4]});
        });
      });
      C.draw(el("chart-optics"), data, lines, t.no_data_period);
    });
    var rtt = window.provnet.fetchJSON("/api/v1/devices/" + link.a.device_id + "/history?metrics=rtt_avg_ms,loss_pct&" + q)
      .then(function (h) {
        if (mine !== generation) return;
        C.draw(el("chart-rtt"), C.align(h.series, ["rtt_avg_ms", "loss_pct"]),
               [{label: t.rtt + " (ms)"}, {label: t.loss + " (%)", scale: "pct"}], t.no_data_period);
      });
    return [hist, optics, rtt];
  }

  function figures(q, mine) {
    var p95 = window.provnet.fetchJSON("/api/v1/links/" + link.id + "/percentile?" + q).then(function (p) {
      if (mine !== generation) return;
      el("p95-value").textContent = C.fmtBps(p.max_bps);
      el("p95-detail").textContent = t.p95_in + " " + C.fmtBps(p.in_bps) + " · " + t.p95_out + " " +
        C.fmtBps(p.out_bps) + (p.missing_in ? " · " + window.provnet.fill(t.p95_missing, {n: p.missing_in}) : "");
    });
    var tl = window.provnet.fetchJSON("/api/v1/links/" + link.id + "/timeline?" + q).then(function (x) {
      if (mine !== generation) return;
      var box = el("timeline"), a = C.epoch(x.from), b = C.epoch(x.to);
      box.innerHTML = "";
      x.intervals.forEach(function (iv) {
        var s = document.createElement("span"), f = C.epoch(iv.from), e = C.epoch(iv.to);
        s.className = ["up", "down"].indexOf(iv.status) >= 0 ? iv.status : "unknown";
        s.style.left = (100 * (f - a) / (b - a)) + "%";
        s.style.width = Math.max(0.15, 100 * (e - f) / (b - a)) + "%";
        s.title = statusWord(iv.status) + " · " + window.provnet.fmtTime(iv.from) + " → " + window.provnet.fmtTime(iv.to);
        box.appendChild(s);
      });
      el("tl-from").textContent = window.provnet.fmtTime(x.from);
      el("tl-to").textContent = window.provnet.fmtTime(x.to);
      el("flaps").textContent = String(x.flaps);
    });
    var av = window.provnet.fetchJSON("/api/v1/links/" + link.id + "/availability?" + q).then(function (a) {
      if (mine !== generation) return;
      var v = el("avail-value");
      v.textContent = pct(a.availability_experienced);
      v.setAttribute("data-value", a.availability_experienced === null ? "" : String(a.availability_experienced));
      el("avail-detail").textContent = t.avail_excl + " " + pct(a.availability_excluding_maintenance) +
        " · " + window.provnet.fill(t.incidents_n, {n: a.incidents}) + " · " + t.avail_nodata + " " +
        Math.round(a.no_data_s / 60) + " min";
    });
    return [p95, tl, av];
  }

  function incidents() {
    return window.provnetEng.incidents(document.querySelector("#incidents tbody"),
                                       [link.a.site_code, link.z.site_code], t, P.lang);
  }

  function load(r) {
    range = r;
    var mine = ++generation, t0 = performance.now();
    document.body.setAttribute("data-ready", "0");
    document.body.setAttribute("data-range", r.key);
    var q = C.query(r);
    var all = charts(q, mine).concat(figures(q, mine));
    return Promise.all(all.map(function (p) { return p.then(function () { return null; }, function (e) { return e; }); }))
      .then(function (errors) {
        if (mine !== generation) return;
        var bad = errors.filter(Boolean);
        document.body.setAttribute("data-error", bad.map(function (e) { return e.message; }).join("; "));
        document.body.setAttribute("data-load-ms", String(Math.round(performance.now() - t0)));
        document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
        document.body.setAttribute("data-ready", "1");
      });
  }

  function init() {
    C = window.provnetCharts; P = C.pageData(); t = P.text; link = P.link;
    live(); ends(); incidents();
    load(C.rangeControl(load));
    window.provnet.on("cycle", live);
    window.provnet.on("incidents", incidents);
  }

  document.addEventListener("DOMContentLoaded", init);
})();
