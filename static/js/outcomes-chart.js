// The patient page's outcomes chart: reads the series from <script id="outcome-series"> (json_script).
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("outcome-series");
    var canvas = document.getElementById("outcome-chart");
    if (!source || !canvas || typeof window.Chart === "undefined") {
      return;
    }
    var series = JSON.parse(source.textContent);
    var colours = { pain: "#dc3545", energy: "#198754", global_impression: "#0d6efd" };
    // Dates on the axis (as the clinic writes them; ``date`` is the ISO value, kept for sorting);
    // the occasion (round and step) in the tooltip and in the table below.
    var labels = series.points.map(function (point) {
      return point.day;
    });
    var datasets = series.measures.map(function (measure) {
      return {
        label: measure.label,
        data: series.points.map(function (point) { return point[measure.key]; }),
        yAxisID: measure.axis,
        borderColor: colours[measure.key],
        backgroundColor: colours[measure.key],
        spanGaps: true,
        tension: 0.2,
        pointRadius: 4
      };
    });
    new window.Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { ticks: { maxRotation: 0, autoSkip: true } },
          y: { position: "left", min: 0, max: 10, title: { display: true, text: "0–10" } },
          y1: {
            position: "right", min: 1, max: 7,
            grid: { drawOnChartArea: false },
            title: { display: true, text: "1–7" }
          }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              title: function (items) {
                var point = series.points[items[0].dataIndex];
                return [point.day, point.label];
              }
            }
          }
        }
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
