// The treatment form: add administrations, show the chosen lot's product and stock, each dose's
// volume and the running total as typed.
// Display only: the server computes volumes (rounded half up to 0.001 ml) and checks every rule.
(function () {
  "use strict";
  var form = document.getElementById("treatment-form");
  if (!form) {
    return;
  }
  var lots = JSON.parse(document.getElementById("lot-data").textContent);
  var maxDose = parseFloat(JSON.parse(document.getElementById("max-dose").textContent));
  var container = document.getElementById("administrations");
  var template = document.getElementById("administration-template");
  var totalForms = document.getElementById("id_administrations-TOTAL_FORMS");
  var totalOut = document.getElementById("dose-total");

  function trim(number, places) {
    return String(parseFloat(number.toFixed(places)));
  }

  function update() {
    var sum = 0;
    container.querySelectorAll("[data-administration]").forEach(function (row) {
      var dose = row.querySelector("input[name$='-dose_billion']");
      var lot = row.querySelector("select[name$='-lot']");
      var removed = row.querySelector("input[name$='-DELETE']");
      var out = row.querySelector("[data-volume]");
      var lotInfo = row.querySelector("[data-lot-info]");
      var value = parseFloat(dose && dose.value);
      var info = lot && lots[lot.value];
      var counted = !isNaN(value) && value > 0 && !(removed && removed.checked);
      if (lotInfo) {
        lotInfo.textContent = info ? info.summary : "";
      }
      if (out) {
        out.textContent = counted && info
          ? "= " + trim(value / parseFloat(info.concentration), 3) + " ml of " + trim(parseFloat(info.left_ml), 3) + " ml left"
          : "";
      }
      if (counted) {
        sum += value;
      }
    });
    totalOut.textContent = "Total " + trim(sum, 2) + " of at most " + trim(maxDose, 2) + " billion per treatment";
    totalOut.classList.toggle("text-danger", sum > maxDose);
  }

  form.addEventListener("click", function (event) {
    if (!event.target.closest("[data-add-administration]")) {
      return;
    }
    var index = parseInt(totalForms.value, 10);
    container.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    totalForms.value = String(index + 1);
    var rows = container.querySelectorAll("[data-administration]");
    var first = rows[rows.length - 1].querySelector("select, input:not([type=hidden])");
    if (first) {
      first.focus();
    }
    update();
  });
  container.addEventListener("input", update);
  container.addEventListener("change", update);
  update();
})();
