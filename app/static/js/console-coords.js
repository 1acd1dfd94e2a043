/* The console's coordinate box: paste a place as AMap (GCJ-02), Baidu (BD-09) or a GPS
   (WGS-84) writes it and go there; click the map and read the place back in the datum
   chosen. The map itself is WGS-84; the conversions are GridPatrolDatums'. The datum
   chosen is kept in this browser. */
(function () {
  "use strict";

  var D = window.GridPatrolDom;
  var DATUMS = ["wgs84", "gcj02", "bd09"];
  var STORE = "gridpatrol.coords.datum";

  function chosenDatum() {
    try {
      var kept = window.localStorage.getItem(STORE);
      if (DATUMS.indexOf(kept) >= 0) { return kept; }
    } catch (err) { /* no storage: WGS-84 */ }
    return "wgs84";
  }

  function keep(datum) {
    try { window.localStorage.setItem(STORE, datum); } catch (err) { /* not kept */ }
  }

  function written(pair) {
    return pair[0].toFixed(6) + ", " + pair[1].toFixed(6);
  }

  function add(map, config) {
    var labels = config.labels.coords;
    var G = window.GridPatrolDatums;
    var marker = null;
    var control = L.control({ position: "topleft" });
    control.onAdd = function () {
      var input = D.el("input", { type: "text", id: "gp-coords-input", autocomplete: "off",
                                  spellcheck: "false", placeholder: labels.placeholder,
                                  "aria-label": labels.input });
      var datum = D.el("select", { id: "gp-coords-datum", "aria-label": labels.datum },
        DATUMS.map(function (code) {
          return D.el("option", { value: code }, labels.datums[code]);
        }));
      datum.value = chosenDatum();
      var go = D.el("button", { type: "submit", id: "gp-coords-go" }, labels.go);
      var error = D.el("p", { class: "gp-error", id: "gp-coords-error", role: "alert" });
      var readout = D.el("output", { id: "gp-coords-readout", "aria-live": "polite" },
                         labels.clickHint);
      var form = D.el("form", { class: "gp-coords leaflet-bar", id: "gp-coords" },
        input, D.el("div", { class: "gp-coords-row" }, datum, go), error,
        D.el("div", { class: "gp-coords-readout" }, readout));
      L.DomEvent.disableClickPropagation(form);
      L.DomEvent.disableScrollPropagation(form);
      var clicked = null;

      function showClicked() {
        if (!clicked) { return; }
        var code = datum.value;
        readout.textContent = labels.clicked + " " +
          written(G.fromWgs84(code, clicked.lng, clicked.lat)) + " (" + G.labels[code] + ")";
        readout.dataset.lon = clicked.lng;
        readout.dataset.lat = clicked.lat;
      }

      datum.addEventListener("change", function () { keep(datum.value); showClicked(); });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var pair = G.parsePair(input.value);
        if (!pair) { error.textContent = labels.bad; return; }
        error.textContent = "";
        var wgs = G.toWgs84(datum.value, pair.lon, pair.lat);
        if (!(Math.abs(wgs[0]) <= 180 && Math.abs(wgs[1]) <= 90)) {
          error.textContent = labels.bad;
          return;
        }
        var target = L.latLng(wgs[1], wgs[0]);
        var said = [labels.given + " " + G.labels[datum.value] + ": " +
                    written([pair.lon, pair.lat]) +
                    (pair.swapped ? " (" + labels.swapped + ")" : ""),
                    D.el("br"), "WGS-84: " + written(wgs)];
        if (marker) {  /* one marker, moved: its permanent tooltip moves with it */
          marker.setLatLng(target).setTooltipContent(D.el("span", null, said));
        } else {
          marker = L.circleMarker(target, { radius: 9, weight: 3, color: "#c62828",
                                            fill: false, interactive: false })
            .bindTooltip(D.el("span", null, said), {
              permanent: true, direction: "top", offset: [0, -8], className: "gp-coords-tip" })
            .addTo(map);
        }
        map.setView(target, Math.max(map.getZoom(), 17));
      });
      map.on("click", function (event) {
        clicked = event.latlng;
        showClicked();
      });
      return form;
    };
    control.addTo(map);
    return control;
  }

  window.GridPatrolCoords = { add: add };
}());
