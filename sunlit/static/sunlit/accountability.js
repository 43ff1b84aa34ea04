/* Accountability statistics charts (ECharts). Progressive enhancement: every chart has a table with
   the same numbers on the page, and the charts stay hidden when this script or ECharts does not run. */
(function () {
  "use strict";

  var FORM_COLOURS = ["#1d4ed8", "#b7791f", "#c2410c", "#a4161a"];

  function show(el, option, onClick) {
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    el.removeAttribute("hidden");
    chart.setOption(option);
    if (onClick) chart.on("click", onClick);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function stacked(labels, forms, names) {
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 80 },
      xAxis: { type: "category", data: labels, axisLabel: { rotate: labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: forms.map(function (values, i) {
        return { type: "bar", stack: "form", name: names[i], data: values, itemStyle: { color: FORM_COLOURS[i] } };
      })
    };
  }

  function init() {
    var source = document.getElementById("lead-stats");
    if (!window.echarts || !source) return;
    var spec = JSON.parse(source.textContent);
    var names = spec.names.forms;
    document.querySelectorAll("[data-lead-chart]").forEach(function (el) {
      var kind = el.getAttribute("data-lead-chart");
      if (kind === "form") {
        show(el, {
          tooltip: { trigger: "item" },
          series: [{ type: "pie", radius: ["35%", "70%"], label: { formatter: "{b}: {c}" },
            data: spec.form.labels.map(function (label, i) {
              return { name: label, value: spec.form.values[i], itemStyle: { color: FORM_COLOURS[i] } };
            }) }]
        });
      } else if (kind === "measure") {
        show(el, {
          tooltip: { trigger: "axis" },
          grid: { left: 60, right: 20, top: 20, bottom: 90 },
          xAxis: { type: "category", data: spec.measure.labels, axisLabel: { rotate: 30 } },
          yAxis: { type: "value", minInterval: 1 },
          series: [{ type: "bar", name: spec.names.findings, data: spec.measure.values, itemStyle: { color: "#8a6d00" } }]
        });
      } else if (kind === "region") {
        show(el, stacked(spec.region.labels, spec.region.forms, names), function (params) {
          var code = spec.region.codes[params.dataIndex];
          if (code) window.location.search = "?region=" + encodeURIComponent(code);
        });
      } else if (kind === "period") {
        show(el, stacked(spec.period.labels, spec.period.forms, names));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
