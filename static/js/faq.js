// FAQ handout picker: "Select all" / "Select none" buttons (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-faq-check]");
    if (!button) {
      return;
    }
    var checked = button.getAttribute("data-faq-check") === "all";
    var form = button.closest("form");
    form.querySelectorAll('input[type="checkbox"][name="entry"]').forEach(function (box) {
      box.checked = checked;
    });
  });
})();
