// A follow-up's page: after a refused action, move the focus to the error summary at the top of
// the action area, so that keyboard and screen-reader users land on what went wrong. It runs after
// the browser has scrolled to the form's "#action-area" target, which would take the focus back.
// (Without JavaScript that target, focusable, receives the focus itself.)
(function () {
  "use strict";
  function focusSummary() {
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) {
      summary.focus();
      summary.scrollIntoView({ block: "start" });
    }
  }
  if (document.readyState === "complete") {
    window.setTimeout(focusSummary, 0);
  } else {
    window.addEventListener("load", function () {
      window.setTimeout(focusSummary, 0);
    });
  }
})();
