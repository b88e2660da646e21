// Copy buttons: <button data-copy-target="#input-id"> copies the input's value to the clipboard.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var input = document.querySelector(button.getAttribute("data-copy-target"));
    var status = document.querySelector("[data-copy-status]");
    if (!input) {
      return;
    }
    var done = function (message) {
      if (status) {
        status.textContent = message;
      }
    };
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () { done("Copied."); },
        function () { done("Select the link and copy it by hand."); }
      );
    } else {
      done("Selected: press Ctrl+C (or Cmd+C) to copy.");
    }
  });
})();
