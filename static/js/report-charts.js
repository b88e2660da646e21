// The reports' charts: each <canvas class="report-canvas" data-source="ID"> draws the spec in
// <script id="ID" type="application/json"> (json_script; treatments.selectors.reports builds it).
// A spec: {type, labels, datasets: [{label, data}], stacked, horizontal, x_title, y_title, min, max,
// reference: {value, label}} (a dashed line at a value on the value axis).
(function () {
  "use strict";
  var palette = ["#0a4fb5", "#c2185b", "#198754", "#b35c00", "#6f42c1", "#0f7d86", "#dc3545", "#495057", "#8a6d00"];
  var charts = [];

  var referenceLine = {
    id: "referenceLine",
    afterDatasetsDraw: function (chart) {
      var ref = chart.options.plugins.referenceLine;
      if (!ref || ref.value === undefined || ref.value === null) {
        return;
      }
      var horizontal = chart.options.indexAxis === "y";
      var scale = horizontal ? chart.scales.x : chart.scales.y;
      var area = chart.chartArea;
      var at = scale.getPixelForValue(ref.value);
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#b02a37";
      ctx.fillStyle = "#b02a37";
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      if (horizontal) {
        ctx.moveTo(at, area.top);
        ctx.lineTo(at, area.bottom);
      } else {
        ctx.moveTo(area.left, at);
        ctx.lineTo(area.right, at);
      }
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.font = "12px system-ui, sans-serif";
      if (area.right - area.left < 480) {
        ctx.restore();  // a phone: the caption names the line, a label would cover the bars
        return;
      }
      if (horizontal) {
        var width = ctx.measureText(ref.label).width;
        // Right of the line, or left of it when the label would leave the chart.
        ctx.fillText(ref.label, at + 4 + width > area.right ? at - 4 - width : at + 4, area.top + 12);
      } else {
        ctx.fillText(ref.label, area.left + 4, at - 4);
      }
      ctx.restore();
    }
  };

  function build(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-source"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var line = spec.type === "line";
    var datasets = spec.datasets.map(function (set, index) {
      var colour = palette[index % palette.length];
      return {
        label: set.label,
        data: set.data,
        backgroundColor: colour,
        borderColor: colour,
        spanGaps: true,
        cubicInterpolationMode: "monotone",  // no overshoot past a scale's end
        pointRadius: line ? 4 : 0
      };
    });
    var horizontal = Boolean(spec.horizontal);
    // A line chart's few time points are all labelled (slanted on a phone); months may skip.
    var category = { stacked: Boolean(spec.stacked), ticks: { autoSkip: !line, maxRotation: line ? 50 : 0 } };
    var value = { stacked: Boolean(spec.stacked), beginAtZero: !line };
    if (spec.min !== undefined) { value.min = spec.min; }
    if (spec.max !== undefined) { value.max = spec.max; }
    if (spec.reference) { value.suggestedMax = spec.reference.value * 1.15; }
    var valueTitle = horizontal ? spec.x_title : spec.y_title;
    var categoryTitle = horizontal ? spec.y_title : spec.x_title;
    if (valueTitle) { value.title = { display: true, text: valueTitle }; }
    if (categoryTitle) { category.title = { display: true, text: categoryTitle }; }
    var chart = new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      plugins: [referenceLine],
      options: {
        maintainAspectRatio: false,
        animation: false,
        indexAxis: horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        scales: horizontal ? { x: value, y: category } : { x: category, y: value },
        plugins: {
          legend: { position: "bottom", display: datasets.length > 1 },
          referenceLine: spec.reference || null
        }
      }
    });
    charts.push(chart);
  }

  function draw() {
    if (typeof window.Chart === "undefined") {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("canvas.report-canvas"), build);
  }

  // Printing: the print stylesheet gives the chart boxes an A4 width; redraw at it, and back after.
  window.addEventListener("beforeprint", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
  window.addEventListener("afterprint", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
