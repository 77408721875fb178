/* Incident list: a new incident event reloads the list (the server renders it with the same
   filters); filters submit on change. */
(function () {
  "use strict";
  // the shell (window.provnet) loads after the page's own script: start once the DOM is parsed
  function main() {
  var P = window.provnet;
  var form = document.getElementById("incident-filters");
  if (form) {
    form.querySelectorAll("select").forEach(function (sel) {
      sel.addEventListener("change", function () { form.submit(); });
    });
  }
  var timer = null;
  function reloadSoon() {
    if (timer) return;
    timer = setTimeout(function () {
      fetch(location.href, {credentials: "same-origin", headers: {Accept: "text/html"}})
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("incidents"), here = document.getElementById("incidents");
          if (fresh && here) here.replaceWith(fresh);
          form = document.getElementById("incident-filters");
          if (form) form.querySelectorAll("select").forEach(function (sel) {
            sel.addEventListener("change", function () { form.submit(); });
          });
        }).catch(function () {}).then(function () { timer = null; });
    }, 500);
  }
  P.on("incidents", reloadSoon);
  P.on("resync", reloadSoon);
  document.body.setAttribute("data-ready", "1");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
  else main();
})();
