/* The printable report page: the print button (no inline script under the CSP). */
(function () {
  "use strict";
  const button = document.getElementById("print");
  if (button) button.addEventListener("click", () => window.print());
  document.body.dataset.ready = "1";
})();
