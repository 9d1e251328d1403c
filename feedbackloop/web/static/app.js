// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Click anywhere on an inbox row to open it (links inside the row keep their own behaviour).
  document.addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-href]");
    if (!row || event.target.closest("a, button, input, select")) return;
    if (window.getSelection && String(window.getSelection()).length) return; // the user is selecting text
    window.location.href = row.getAttribute("data-href");
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
