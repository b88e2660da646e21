// Exolog's own behaviour, loaded on every page (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  // Buttons that need a second thought: <button data-confirm="Void this record?">.
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  // Print buttons: <button data-print>.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });
})();
