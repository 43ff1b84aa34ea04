/* Sunlit page behaviour: progressive enhancement only; every page works without it. */
(function () {
  "use strict";

  function renderMermaid(root) {
    if (!window.mermaid) return;
    var nodes = (root || document).querySelectorAll("pre.mermaid:not([data-processed])");
    if (!nodes.length) return;
    window.mermaid.run({ nodes: nodes }).catch(function () { /* the step table remains */ });
  }

  function initMermaid() {
    if (!window.mermaid) return;
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", flowchart: { htmlLabels: true } });
    renderMermaid(document);
  }

  function initMap(el) {
    if (!window.echarts) return;
    var url = el.getAttribute("data-geo-url");
    var links = JSON.parse(document.getElementById(el.getAttribute("data-links")).textContent);
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("no shapes");
      return r.json();
    }).then(function (geo) {
      var name = "region-" + el.getAttribute("data-code");
      window.echarts.registerMap(name, geo);
      el.removeAttribute("hidden");  // ECharts measures the box at init: it must be laid out first
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      var data = geo.features.map(function (f) {
        return { name: f.properties.name, value: links[f.properties.code] ? 1 : 0, code: f.properties.code };
      });
      chart.setOption({
        tooltip: { trigger: "item", formatter: "{b}" },
        series: [{
          type: "map", map: name, roam: false, data: data,
          label: { show: true, fontSize: 12 },
          itemStyle: { areaColor: "#fdf3c4", borderColor: "#8a6d00" },
          emphasis: { itemStyle: { areaColor: "#f7c948" } }
        }]
      });
      chart.on("click", function (params) {
        var code = params.data && params.data.code;
        if (code && links[code]) window.location.href = links[code];
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }).catch(function () { el.remove(); });
  }

  function initHeatmap(el) {
    if (!window.echarts) return;
    var spec = JSON.parse(document.getElementById(el.getAttribute("data-spec")).textContent);
    var data = [];
    spec.counts.forEach(function (row, li) {
      row.forEach(function (count, ii) { data.push([ii, li, count]); });
    });
    var max = Math.max.apply(null, data.map(function (d) { return d[2]; }).concat([1]));
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      tooltip: { position: "top" },
      grid: { left: 80, right: 20, top: 20, bottom: 60 },
      xAxis: { type: "category", data: spec.impact, name: spec.impactName, nameLocation: "middle", nameGap: 30 },
      yAxis: { type: "category", data: spec.likelihood, name: spec.likelihoodName, nameLocation: "middle", nameGap: 55 },
      visualMap: { min: 0, max: max, orient: "horizontal", left: "center", bottom: 0, inRange: { color: ["#fffbe6", "#f4a259", "#a4161a"] } },
      series: [{ type: "heatmap", data: data, label: { show: true } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initMermaid();
    document.querySelectorAll("[data-geo-url]").forEach(initMap);
    document.querySelectorAll("[data-spec]").forEach(initHeatmap);
    // An outerHTML swap replaces the target element, so look for new diagrams in the whole document.
    document.body.addEventListener("htmx:afterSwap", function () { renderMermaid(document); });
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  });
})();
