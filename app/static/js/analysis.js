/* Crime analysis pages: the form shows the chosen method's parameters only; the result
   map's cells get labelled tooltips and outlines only once they are large on screen; the
   map view can be saved as a PNG (tiles, hot-spot layer and legend are all drawn from this
   server, so the canvas is not tainted). */
(function () {
  "use strict";
  var D = window.GridPatrolDom;

  /* --- the form: elements with data-methods="m1 m2" are shown (and sent) only for those
     methods; data-needs="field:value" also asks another field for a value, except for
     the methods in data-needs-except. Hidden controls are disabled, so the query names
     only what the chosen method reads. Without this script every field is shown and the
     server ignores the ones the method does not take. */
  function visible(form, el, method) {
    if (el.getAttribute("data-methods").split(" ").indexOf(method) < 0) { return false; }
    var needs = el.getAttribute("data-needs");
    var except = (el.getAttribute("data-needs-except") || "").split(" ");
    if (!needs || except.indexOf(method) >= 0) { return true; }
    var parts = needs.split(":");
    var field = form.elements[parts[0]];
    return Boolean(field) && !field.matches(":disabled") && field.value === parts[1];
  }

  function showMethod(form) {
    var method = form.elements.method.value;
    form.querySelectorAll("[data-methods]").forEach(function (el) {
      var on = visible(form, el, method);
      el.hidden = !on;
      if (el.tagName === "FIELDSET") { el.disabled = !on; return; }
      el.querySelectorAll("input, select, textarea").forEach(function (c) { c.disabled = !on; });
    });
  }

  function watchForm(form) {
    form.addEventListener("change", function (event) {
      var name = event.target && event.target.name;
      if (name === "method" || name === "p_method" || name === "weights") { showMethod(form); }
    });
    showMethod(form);
  }

  /* --- the result map ----------------------------------------------------------------- */

  /* Tooltips of the cells: a table of [field, heading] rows, as text; class codes (Gi*
     bin, LISA quadrant, emerging pattern) in words, other numbers to 3 digits. */
  function cellTooltips(layer, fields, values) {
    layer.bindTooltip(function (l) {
      var props = l.feature.properties;
      return D.el("table", { class: "gp-fields" }, fields.map(function (field) {
        var key = field[0], value = props[key];
        var words = values[key];
        if (words && value !== null && value !== undefined &&
            words[String(value)] !== undefined) {
          value = words[String(value)];
        } else if (typeof value === "number" && !Number.isInteger(value)) {
          value = Number(value.toPrecision(3));
        } else if (value !== null && typeof value === "object") {
          value = JSON.stringify(value);
        }
        return D.el("tr", null, D.el("th", null, field[1]), D.el("td", null, value));
      }));
    }, { sticky: false });
  }

  /* Cells get an outline only while one is at least minPx wide on screen: at city scale
     thousands of outlines are graph paper. The layer's style function is wrapped, so the
     highlight of the cell under the pointer, reset on mouseout, returns to the right one. */
  function outlineWhenLarge(map, layer, cellM, minPx) {
    var base = layer.options.style;
    var outlined = null;
    function wide() {
      var lat = map.getCenter().lat * Math.PI / 180;
      var metresPerPixel = 40075016.686 * Math.cos(lat) / (256 * Math.pow(2, map.getZoom()));
      return cellM / metresPerPixel >= minPx;
    }
    layer.options.style = function (feature) {
      var style = L.Util.extend({}, typeof base === "function" ? base(feature) : base);
      style.weight = outlined ? 0.6 : 0;
      return style;
    };
    function update() {
      var now = wide();
      if (now !== outlined) {
        outlined = now;
        layer.setStyle(layer.options.style);
      }
    }
    map.on("zoomend", update);
    update();
    window.gridpatrol.cellsOutlined = function () { return outlined; };
  }

  function saveImage(button) {
    var node = document.querySelector("#analysis-map .leaflet-container");
    if (!node || !window.htmlToImage) { return; }
    button.disabled = true;
    window.htmlToImage.toPng(node, { cacheBust: false, pixelRatio: 1 })
      .then(function (url) {
        var link = document.createElement("a");
        link.href = url;
        link.download = "hotspots-" + new Date().toISOString().slice(0, 10) + ".png";
        link.id = "export-image-link";
        document.body.appendChild(link);
        link.click();
        window.gridpatrolImage = url;
      })
      .catch(function (err) { button.title = String(err); })
      .then(function () { button.disabled = false; });
  }

  window.GridPatrolAnalysis = { cellTooltips: cellTooltips, outlineWhenLarge: outlineWhenLarge };

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("analysis-form");
    if (form) { watchForm(form); }
    var button = document.getElementById("export-image");
    if (button) { button.addEventListener("click", function () { saveImage(button); }); }
  });
}());
