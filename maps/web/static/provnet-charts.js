/* Charts of the engineer's pages: uPlot (from npm, served from /maps/static/vendor/uplot),
   time axes in Asia/Ho_Chi_Minh (uPlot.tzDate), ranges 1 h .. 1 y and custom dates. Custom
   dates are sent as plain dates: the history API reads them as Viet Nam dates (tz), so the
   browser's own zone never shifts a range. Data: the history API's {metric: [{time, min,
   mean, max, samples}]} series. */
(function () {
  "use strict";
  var TZ = "Asia/Ho_Chi_Minh";
  var SPANS = {"1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400, "1y": 365 * 86400};
  var COLOURS = ["#1f5fa8", "#e66101", "#1a9850", "#984ea3", "#b2182b", "#666666"];
  var charts = {};
  /* axis and legend times in Viet Nam time whatever the browser's zone: 02/12, 13:30 */
  var DAY = new Intl.DateTimeFormat("vi-VN", {timeZone: TZ, day: "2-digit", month: "2-digit"});
  var HOUR = new Intl.DateTimeFormat("vi-VN", {timeZone: TZ, hour: "2-digit", minute: "2-digit", hour12: false});
  var FULL = new Intl.DateTimeFormat("vi-VN", {timeZone: TZ, day: "2-digit", month: "2-digit", year: "numeric",
                                               hour: "2-digit", minute: "2-digit", hour12: false});

  function pageData() {
    var el = document.getElementById("page-data");
    return el ? JSON.parse(el.textContent) : {};
  }

  /* the chosen range: "#range=30d" or "#from=2026-11-01&to=2026-11-30" (no reload, no query
     parameter the page route would refuse) */
  function readHash() {
    var h = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var p = kv.split("=");
      if (p[0]) h[p[0]] = decodeURIComponent(p[1] || "");
    });
    if (h.from && h.to && /^\d{4}-\d{2}-\d{2}$/.test(h.from) && /^\d{4}-\d{2}-\d{2}$/.test(h.to)) {
      return {key: "custom", from: h.from, to: h.to};
    }
    return {key: SPANS[h.range] ? h.range : "24h"};
  }

  function nextDay(d) {  // "2026-11-30" -> "2026-12-01" (calendar arithmetic, zone-free)
    var t = new Date(d + "T00:00:00Z");
    t.setUTCDate(t.getUTCDate() + 1);
    return t.toISOString().slice(0, 10);
  }

  /* the query of a range: presets end now (UTC on the wire); custom dates are whole Viet Nam
     days, "to" inclusive */
  function query(range) {
    if (range.key === "custom") {
      return "from=" + range.from + "&to=" + nextDay(range.to) + "&tz=" + encodeURIComponent(TZ);
    }
    var now = Date.now();
    var from = new Date(now - SPANS[range.key] * 1000).toISOString();
    return "from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(new Date(now).toISOString()) +
      "&tz=" + encodeURIComponent(TZ);
  }

  function rangeControl(onChange) {
    var box = document.getElementById("ranges");
    var current = readHash();
    function mark() {
      box.querySelectorAll("button[data-range]").forEach(function (b) {
        b.classList.toggle("on", b.getAttribute("data-range") === current.key);
      });
      if (current.key === "custom") {
        document.getElementById("range-from").value = current.from;
        document.getElementById("range-to").value = current.to;
      }
    }
    box.querySelectorAll("button[data-range]").forEach(function (b) {
      b.addEventListener("click", function () {
        current = {key: b.getAttribute("data-range")};
        history.replaceState(null, "", "#range=" + current.key);
        mark(); onChange(current);
      });
    });
    document.getElementById("custom-range").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = document.getElementById("range-from").value, t = document.getElementById("range-to").value;
      if (!f || !t || t < f) { window.alert(pageData().text.bad_range); return; }
      current = {key: "custom", from: f, to: t};
      history.replaceState(null, "", "#from=" + f + "&to=" + t);
      mark(); onChange(current);
    });
    mark();
    return current;
  }

  function epoch(iso) { return Date.parse(iso) / 1000; }

  /* [xs, ys...] from series {metric: steps}: the union of the step times, null where a
     metric has no step (a gap is drawn as a gap, never joined) */
  function align(series, metrics, field) {
    field = field || "mean";
    var times = {};
    metrics.forEach(function (m) {
      (series[m] || []).forEach(function (s) { times[epoch(s.time)] = true; });
    });
    var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var idx = {};
    xs.forEach(function (x, i) { idx[x] = i; });
    var out = [xs];
    metrics.forEach(function (m) {
      var ys = xs.map(function () { return null; });
      (series[m] || []).forEach(function (s) { ys[idx[epoch(s.time)]] = s[field]; });
      out.push(ys);
    });
    return out;
  }

  function fmtBps(v) {
    if (v === null || v === undefined || isNaN(v)) return "—";
    var u = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"], i = 0;
    while (Math.abs(v) >= 1000 && i < u.length - 1) { v /= 1000; i++; }
    return (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1)) + " " + u[i];
  }
  function fmtNum(v, digits, unit) {
    if (v === null || v === undefined || isNaN(v)) return "—";
    return Number(v).toFixed(digits) + (unit ? " " + unit : "");
  }

  /* one uPlot chart in el (replacing the previous one); lines: [{label, unit, scale, dash,
     colour}] for data[1..]; an empty answer shows the "no data" note instead */
  function draw(el, data, lines, emptyText) {
    var old = charts[el.id];
    if (old) { old.destroy(); delete charts[el.id]; }
    var note = el.querySelector(".empty");
    if (note) note.remove();
    var has = data[0].length > 0 && data.slice(1).some(function (ys) {
      return ys.some(function (v) { return v !== null && v !== undefined; });
    });
    el.setAttribute("data-points", String(data[0].length));
    if (!has) {
      note = document.createElement("div");
      note.className = "empty"; note.textContent = emptyText;
      el.appendChild(note);
      return null;
    }
    var span = data[0].length ? data[0][data[0].length - 1] - data[0][0] : 0;
    var scales = {x: {time: true}}, seen = {};
    var axes = [{values: function (u, splits) {
      return splits.map(function (ts) { return (span > 2 * 86400 ? DAY : HOUR).format(new Date(ts * 1000)); });
    }}];
    var series = [{label: (pageData().text || {}).time || "",
                   value: function (u, ts) { return ts === null ? "—" : FULL.format(new Date(ts * 1000)); }}];
    lines.forEach(function (ln, i) {
      var sc = ln.scale || "y";
      if (!seen[sc]) {
        seen[sc] = true;
        scales[sc] = {auto: true};
        axes.push({scale: sc, side: Object.keys(seen).length > 1 ? 1 : 3, size: 84,
                   values: ln.fmt ? function (u, vals) { return vals.map(ln.fmt); } : undefined,
                   grid: {show: Object.keys(seen).length === 1}});
      }
      series.push({label: ln.label, scale: sc, stroke: ln.colour || COLOURS[i % COLOURS.length],
                   width: 1.5, dash: ln.dash, spanGaps: false,
                   value: ln.fmt ? function (u, v) { return ln.fmt(v); } : undefined});
    });
    var chart = new uPlot({
      width: Math.max(320, el.clientWidth - 20), height: 200,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), TZ); },
      scales: scales, axes: axes, series: series, legend: {live: true}
    }, data, el);
    charts[el.id] = chart;
    return chart;
  }

  window.provnetCharts = {TZ: TZ, SPANS: SPANS, pageData: pageData, rangeControl: rangeControl,
                          query: query, align: align, draw: draw, epoch: epoch,
                          fmtBps: fmtBps, fmtNum: fmtNum};
})();
