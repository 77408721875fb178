/* provnet site shell: live incident banner, stale-data notice, search suggestions, times in
   Asia/Ho_Chi_Minh. Pages use window.provnet: on(event, fn), fetchJSON(url, opts),
   fmtTime(value), csrf(), text. No inline script anywhere (CSP); data comes from
   <script type="application/json"> blocks. */
(function () {
  "use strict";
  var dataEl = document.getElementById("shell-data");
  var shell = dataEl ? JSON.parse(dataEl.textContent) : {lang: "vi", tz: "Asia/Ho_Chi_Minh", text: {}};
  var handlers = {};
  var source = null;
  var lostSince = null;
  var staleTimer = null;
  var STALE_AFTER_MS = 8000;

  var timeFmt = new Intl.DateTimeFormat(shell.lang === "en" ? "en-GB" : "vi-VN", {
    timeZone: shell.tz, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false});

  function fmtTime(value) {
    if (value === null || value === undefined || value === "") return "";
    var d = value instanceof Date ? value : new Date(typeof value === "number" ? value * 1000 : value);
    return isNaN(d.getTime()) ? String(value) : timeFmt.format(d);
  }

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (_, k) {
      return values[k] === undefined ? "" : values[k];
    });
  }

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  function showStale() {
    var el = document.getElementById("stale-notice");
    if (!el || lostSince === null) return;
    el.textContent = fill(shell.text.stale, {time: fmtTime(lostSince)});
    el.hidden = false;
    document.body.classList.add("is-stale");
    emit("stale", {since: lostSince});
  }

  function lost() {
    if (lostSince === null) {
      lostSince = new Date();
      staleTimer = setTimeout(showStale, STALE_AFTER_MS);
    }
  }

  function back() {
    if (lostSince === null) return;
    var wasShown = document.body.classList.contains("is-stale");
    lostSince = null;
    clearTimeout(staleTimer);
    var el = document.getElementById("stale-notice");
    if (el) el.hidden = true;
    document.body.classList.remove("is-stale");
    if (wasShown) emit("fresh", {});
  }

  function fetchJSON(url, opts) {
    opts = opts || {};
    var headers = Object.assign({"Accept": "application/json"}, opts.headers || {});
    if (opts.method && opts.method !== "GET") headers["X-CSRF-Token"] = csrf();
    if (opts.body && typeof opts.body !== "string") {
      headers["Content-Type"] = "application/json";
      opts = Object.assign({}, opts, {body: JSON.stringify(opts.body)});
    }
    return fetch(url, Object.assign({credentials: "same-origin"}, opts, {headers: headers}))
      .then(function (r) {
        back();
        if (r.status === 401) { window.location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); }
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) {
            var err = new Error(body && body.detail ? (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail)) : r.statusText);
            err.status = r.status; throw err;
          }
          return body;
        });
      }, function (e) { lost(); throw e; });
  }

  function emit(name, data) {
    (handlers[name] || []).forEach(function (fn) {
      try { fn(data); } catch (e) { if (window.console) console.warn(e); }
    });
  }

  function on(name, fn) {
    (handlers[name] = handlers[name] || []).push(fn);
    connect();
  }

  function connect() {
    if (source || !window.EventSource) return;
    source = new EventSource("/api/v1/stream");
    source.onopen = back;
    source.onerror = function () {
      lost();
      if (source && source.readyState === EventSource.CLOSED) {
        source = null; setTimeout(connect, 5000);
      }
    };
    ["cycle", "links", "incidents"].forEach(function (ev) {
      source.addEventListener(ev, function (m) {
        back();
        var data = null;
        try { data = JSON.parse(m.data); } catch (e) { data = m.data; }
        emit(ev, data);
      });
    });
    source.addEventListener("dropped", function () {
      source.close(); source = null; setTimeout(connect, 1000); emit("resync", {});
    });
  }

  function refreshBanner() {
    var el = document.getElementById("incident-banner");
    if (!el) return;
    Promise.all([
      fetchJSON("/api/v1/alerts/incidents?status=open&limit=3"),
      fetchJSON("/api/v1/alerts/incidents?status=acknowledged&limit=1")
    ]).then(function (pages) {
      var open = pages[0].total || 0, acked = pages[1].total || 0;
      if (open + acked === 0) { el.hidden = true; document.body.classList.remove("has-incidents"); return; }
      var txt = open === 1 ? shell.text.banner_one : fill(shell.text.banner_many, {n: open});
      if (acked) txt += " · " + fill(shell.text.banner_acked, {n: acked});
      el.querySelector(".banner-text").textContent = txt;
      el.querySelector(".banner-roots").textContent = (pages[0].items || []).map(function (i) {
        return "#" + i.id + " " + (shell.lang === "en" ? i.title_en : i.title);
      }).join(" · ");
      el.classList.toggle("acked-only", open === 0);
      el.hidden = false;
      document.body.classList.add("has-incidents");
    }).catch(function () { /* 401/403 or offline: the stale notice says so */ });
  }

  var suggestTimer = null;
  var suggestions = {};
  function suggest(input, list) {
    var q = input.value.trim();
    if (suggestions[q]) { location.href = suggestions[q]; return; }
    clearTimeout(suggestTimer);
    if (q.length < 2) return;
    suggestTimer = setTimeout(function () {
      fetchJSON("/api/v1/search?limit=8&q=" + encodeURIComponent(q)).then(function (page) {
        list.textContent = "";
        suggestions = {};
        (page.items || []).forEach(function (it) {
          var opt = document.createElement("option");
          opt.value = it.label;
          if (it.detail) opt.label = it.detail;
          suggestions[it.label] = it.url;
          list.appendChild(opt);
        });
      }).catch(function () {});
    }, 150);
  }

  function init() {
    var input = document.getElementById("site-search");
    var list = document.getElementById("site-search-suggest");
    if (input && list) input.addEventListener("input", function () { suggest(input, list); });
    document.querySelectorAll("[data-time]").forEach(function (el) {
      el.textContent = fmtTime(el.getAttribute("data-time"));
    });
    refreshBanner();
    on("incidents", refreshBanner);
    on("resync", refreshBanner);
  }

  // a page left for the back/forward cache keeps its EventSource open: a few of them use up
  // the browser's 6 connections per host and the next page waits ~50 s for a socket
  // (measured by bench/pages.py); close it when the page is hidden, reopen when it is back
  window.addEventListener("pagehide", function () {
    if (source) { source.close(); source = null; }
  });
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted && Object.keys(handlers).length) { connect(); emit("resync", {}); }
  });

  window.provnet = {on: on, fetchJSON: fetchJSON, fmtTime: fmtTime, csrf: csrf, fill: fill,
                    text: shell.text, lang: shell.lang, operate: shell.operate,
                    refreshBanner: refreshBanner};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  // A page kept in the back-forward cache keeps its open stream: after six provnet pages the
  // browser's six connections per host are all held and the next page never loads (seen in
  // tests/integration/test_maps_ops_browser.py). Close it on leaving, reopen on coming back.
  window.addEventListener("pagehide", function () {
    if (source) { source.close(); source = null; }
  });
  window.addEventListener("pageshow", function (e) {
    if (e.persisted && Object.keys(handlers).length) { connect(); emit("resync", {}); }
  });
})();
