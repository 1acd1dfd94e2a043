/* The coverage page's map: the share of road each grid cell's or area's cameras see (a
   choropleth), the blind roads and the blind hot spots as layers with a legend; the
   table's share bars. Layers come from /api/v1/coverage*; names are shown as text. */
(function () {
  "use strict";
  var D = window.GridPatrolDom;
  var SCALE = [[0.0, "#b71c1c"], [0.1, "#e65100"], [0.25, "#f9a825"], [0.5, "#9ccc65"],
               [0.75, "#2e7d32"]];

  function colour(share) {
    if (share === null || share === undefined) { return "#bdbdbd"; }
    var found = SCALE[0][1];
    SCALE.forEach(function (step) { if (share >= step[0]) { found = step[1]; } });
    return found;
  }

  function query(params) {
    return Object.keys(params).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
    }).join("&");
  }

  function load(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); });
  }

  function tooltipRows(rows) {
    return D.el("table", { class: "gp-fields" }, rows.map(function (row) {
      return D.el("tr", null, D.el("th", null, row[0]), D.el("td", null, row[1]));
    }));
  }

  function init(map, config) {
    var L$ = config.labels;
    var note = document.getElementById("layer-note");
    note.textContent = L$.loading;
    var cells = L.geoJSON(null, {
      style: function (f) {
        return { color: "#555", weight: 0.4, fillColor: colour(f.properties.seen_road_share),
                 fillOpacity: f.properties.road_km > 0 ? 0.45 : 0.08 };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(function () {
          return tooltipRows([
            [L$.name, p.cell_name || p.code || p.area_name || ""],
            [L$.roadKm, (p.road_km || 0).toFixed(2)], [L$.seenKm, (p.seen_road_km || 0).toFixed(2)],
            [L$.seenShare, p.seen_road_share === null ? L$.none
              : Math.round(100 * p.seen_road_share) + " %"],
            [L$.cameras, p.cameras], [L$.incidents, p.incidents],
            [L$.incidentsSeen, p.incidents_seen]]);
        }, { sticky: true });
      }
    });
    var roads = L.geoJSON(null, {
      style: { color: "#d50000", weight: 3, opacity: 0.85 },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(function () {
          return tooltipRows([[L$.name, p.name || "—"], [L$.highway, p.highway],
                              [L$.lengthM, Math.round(p.length_m)]]);
        }, { sticky: true });
      }
    });
    var spots = L.geoJSON(null, {
      style: { color: "#6a1b9a", weight: 2.5, dashArray: "6,4", fillColor: "#6a1b9a",
               fillOpacity: 0.15 },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(function () {
          return tooltipRows([[L$.name, p.name || p.code], [L$.incidents, p.incidents],
                              [L$.z, p.z === null ? "—" : Number(p.z).toFixed(2)]]);
        }, { sticky: true });
      }
    });
    var params = config.params || {};
    var roadParams = config.roadsArea ? { area: config.roadsArea } : {};
    Promise.all([
      load(config.api.coverage + "?" + query(Object.assign({ format: "geojson" }, params))),
      load(config.api.roads + "?" + query(roadParams)),
      load(config.api.hotspots)
    ]).then(function (answers) {
      cells.addData(answers[0]);
      roads.addData(answers[1]);
      spots.addData(answers[2]);
      cells.addTo(map);
      roads.addTo(map);
      spots.addTo(map);
      cells.bringToBack();
      GridPatrolMap.addOverlay(cells, L$.coverage, "coverageCells");
      GridPatrolMap.addOverlay(roads, L$.blindRoads, "blindRoads");
      GridPatrolMap.addOverlay(spots, L$.blindHotspots, "blindHotspots");
      var km = answers[1].properties && answers[1].properties.total_km;
      var roadsShown = answers[1].features.length;
      note.textContent = [
        L$.loaded.replace("{roads}", roadsShown).replace("{km}", km === undefined ? "?" : km)
          .replace("{spots}", answers[2].features.length),
        config.roadsArea ? L$.roadsOf.replace("{area}", config.roadsArea) : "",
        roadsShown >= config.roadsLimit ? L$.truncated.replace("{n}", roadsShown) : ""
      ].filter(Boolean).join(" ");
      window.gridpatrol.network = { cells: answers[0].features.length,
                                    roads: answers[1].features.length,
                                    spots: answers[2].features.length };
    }).catch(function (err) { note.textContent = String(err); });
    GridPatrolMap.addLegend(map, "coverage-legend", L$.legend, [
      [SCALE[4][1], "≥ 75 %"], [SCALE[3][1], "50–75 %"], [SCALE[2][1], "25–50 %"],
      [SCALE[1][1], "10–25 %"], [SCALE[0][1], "< 10 %"], ["#d50000", L$.blindRoad],
      ["#6a1b9a", L$.blindHotspot]]);
    document.querySelectorAll(".share-bar[data-share]").forEach(function (bar) {
      bar.style.width = (4 * parseFloat(bar.getAttribute("data-share") || "0")) + "rem";
    });
  }

  window.GridPatrolNetwork = { init: init };
}());
