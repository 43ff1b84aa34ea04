/* Alert dashboard charts (ECharts). Progressive enhancement: every chart has a table with the same
   numbers on the page, and the charts stay hidden when this script or ECharts does not run. */
(function () {
  "use strict";

  var COLOURS = { red: "#a4161a", yellow: "#b7791f", blue: "#1d4ed8" };

  function show(el, option, onClick) {
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    el.removeAttribute("hidden");
    chart.setOption(option);
    if (onClick) chart.on("click", onClick);
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  function bar(labels, values, name) {
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 60, right: 20, top: 20, bottom: 80 },
      xAxis: { type: "category", data: labels, axisLabel: { rotate: labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", name: name, data: values, itemStyle: { color: "#8a6d00" } }]
    };
  }

  function init() {
    var source = document.getElementById("alert-stats");
    if (!window.echarts || !source) return;
    var spec = JSON.parse(source.textContent);
    var names = spec.names || {};
    document.querySelectorAll("[data-alert-chart]").forEach(function (el) {
      var kind = el.getAttribute("data-alert-chart");
      if (kind === "colour") {
        show(el, {
          tooltip: { trigger: "item" },
          series: [{
            type: "pie", radius: ["35%", "70%"], label: { formatter: "{b}: {c}" },
            data: spec.colour.map(function (c) {
              return { name: c.name, value: c.value, itemStyle: { color: COLOURS[c.key] } };
            })
          }]
        });
      } else if (kind === "rectification") {
        show(el, {
          tooltip: { trigger: "item" },
          series: [{
            type: "pie", radius: ["35%", "70%"], label: { formatter: "{b}: {c}" },
            data: spec.rectification.map(function (r) {
              return { name: names[r.key] || r.key, value: r.value,
                       itemStyle: { color: r.key === "rectified" ? "#1b5e20" : "#b7791f" } };
            })
          }]
        });
      } else if (kind === "rule") {
        show(el, bar(spec.rule.labels, spec.rule.values, names.alerts));
      } else if (kind === "region") {
        show(el, bar(spec.region.labels, spec.region.values, names.alerts), function (params) {
          var code = spec.region.codes[params.dataIndex];
          if (code) window.location.search = "?region=" + encodeURIComponent(code);
        });
      } else if (kind === "month") {
        show(el, {
          tooltip: { trigger: "axis" },
          legend: { top: 0 },
          grid: { left: 60, right: 20, top: 40, bottom: 40 },
          xAxis: { type: "category", data: spec.month.labels },
          yAxis: { type: "value", minInterval: 1 },
          series: ["red", "yellow", "blue"].map(function (key) {
            return { type: "bar", stack: "colour", name: names[key] || key, data: spec.month[key],
                     itemStyle: { color: COLOURS[key] } };
          })
        });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
