// Renders every chart on the page from its JSON data block. No inline scripts:
// figures arrive as <script type="application/json"> (Django json_script style).
(function () {
  "use strict";
  if (typeof Plotly === "undefined") return;
  var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"] };
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source) return;
    var figure = JSON.parse(source.textContent);
    Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
      element.setAttribute("data-rendered", "true");
    });
  });
})();
