// Renders every chart on the page from its JSON data block. No inline scripts:
// figures arrive as <script type="application/json"> (Django json_script style).
(function () {
  "use strict";
  if (typeof Plotly === "undefined") return;
  var NARROW = 576; // px of chart width: below it, the phone layout
  // responsive: the chart follows its container when the window is resized.
  var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"] };
  // plotly's default look, sent once for every chart of the page (reports.charts.page_template).
  var templateBlock = document.getElementById("plotly-template");
  var template = templateBlock ? JSON.parse(templateBlock.textContent) : null;

  function merge(base, extra) {
    return Object.assign({}, base || {}, extra);
  }

  // The figure's layout fitted to the width it is drawn at. Every axis grows its
  // margin to fit its labels (automargin), so labels are never cut off, and the
  // legend lies in rows at the bottom of the figure, under the axis labels and
  // their title (inside the plot area it hid lines; just below it, it covered
  // long tick labels). The title goes: the section heading right above the chart
  // says the same. On a phone the text is smaller and the margins narrow.
  function fitted(layout, width, height) {
    var out = merge(layout, { autosize: true });
    if (template && !out.template) out.template = template;
    delete out.width;
    out.xaxis = out.xaxis || {};
    out.yaxis = out.yaxis || {};
    Object.keys(out).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) out[key] = merge(out[key], { automargin: true });
    });
    out.title = merge(out.title, { text: "" });
    out.margin = merge(out.margin, { t: 16, b: 8 });
    out.legend = merge(out.legend, {
      orientation: "h", x: 0, xanchor: "left", xref: "container",
      y: 0, yanchor: "bottom", yref: "container"
    });
    if (width >= NARROW) return out;
    out.font = merge(out.font, { size: 11 });
    out.margin = merge(out.margin, { l: 8, r: 8 });
    // The container is taller on a phone (room for the legend): fill it.
    if (out.height && out.height < height) delete out.height;
    return out;
  }

  // On a phone, category labels are drawn on one rotated line each: labels
  // wrapped over two or three lines, once rotated, overlapped their neighbours.
  function oneLine(value) {
    return typeof value === "string" ? value.replace(/<br>/g, " ") : value;
  }

  function fittedData(data, width) {
    if (width >= NARROW) return data;
    return data.map(function (trace) {
      var out = merge(trace, {});
      if (Array.isArray(out.x)) out.x = out.x.map(oneLine);
      if (out.type === "heatmap") out.colorbar = merge(out.colorbar, { thickness: 10 });
      return out;
    });
  }

  function draw(element, figure) {
    var width = element.clientWidth;
    element.setAttribute("data-layout", width < NARROW ? "narrow" : "wide");
    return Plotly.react(
      element,
      fittedData(figure.data, width),
      fitted(figure.layout, width, element.clientHeight),
      config
    );
  }

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source) return;
    var figure = JSON.parse(source.textContent);
    charts.push({ element: element, figure: figure });
    draw(element, figure).then(function () {
      element.setAttribute("data-rendered", "true");
    });
  });

  // Printing: every chart at the width of the paper (A4 or Letter, portrait,
  // default margins), then back to the width of the window. Browsers announce
  // printing with beforeprint; print emulation (tests) only changes the media.
  var PRINT_WIDTH = 680;
  var printing = false;
  function forPrint(on) {
    if (on === printing) return;
    printing = on;
    charts.forEach(function (chart) {
      if (on) {
        Plotly.relayout(chart.element, { width: PRINT_WIDTH, autosize: false }).then(function () {
          chart.element.setAttribute("data-printable", "true");
        });
      } else {
        chart.element.removeAttribute("data-printable");
        draw(chart.element, chart.figure);
      }
    });
  }
  window.addEventListener("beforeprint", function () { forPrint(true); });
  window.addEventListener("afterprint", function () { forPrint(false); });
  window.matchMedia("print").addEventListener("change", function (event) {
    forPrint(event.matches);
  });

  // Crossing the phone/laptop threshold (rotating a phone, resizing a window)
  // changes more than the size: redraw with the other layout.
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      if (printing) return;
      charts.forEach(function (chart) {
        var now = chart.element.clientWidth < NARROW ? "narrow" : "wide";
        if (now !== chart.element.getAttribute("data-layout")) draw(chart.element, chart.figure);
      });
    }, 150);
  });
})();
