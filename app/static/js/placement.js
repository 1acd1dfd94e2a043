/* The placement page's map: the region, each proposed camera as its wedge (numbered by
   marginal gain) and the greedy pick as a second layer; "Use the map view" fills the
   box. Everything drawn comes from the job's stored result. */
(function () {
  "use strict";
  var D = window.GridPatrolDom;
  var M = window.GridPatrolEvidenceMap;

  function cameraLayer(cameras, colour, labels) {
    var layer = L.featureGroup();
    cameras.forEach(function (c) {
      M.wedge(c.lon, c.lat, c.azimuth_deg, c.fov_deg, c.range_m,
              { color: colour, fillColor: colour }).addTo(layer);
      var marker = M.numbered([c.lat, c.lon], c.order, { fillColor: colour, radius: 8 });
      marker.bindPopup(function () {
        return D.el("div", { class: "gp-sighting" },
          D.el("strong", null, c.order + ". " + c.kind),
          D.el("div", null, labels.direction + ": " + (c.azimuth_deg === null
            ? labels.allRound : Math.round(c.azimuth_deg) + "°")),
          D.el("div", null, labels.gain + ": " + (100 * (c.gain || 0)).toFixed(2) + " %"),
          D.el("div", null, labels.roadM + ": " + Math.round(c.road_m_in_view)));
      });
      marker.addTo(layer);
    });
    return layer;
  }

  function init(map, config) {
    var L$ = config.labels;
    var box = document.getElementById("placement-bbox");
    document.getElementById("use-view").addEventListener("click", function () {
      var b = map.getBounds();
      box.value = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
        return v.toFixed(6);
      }).join(",");
    });
    var result = config.result;
    window.gridpatrol.placement = { proposed: 0, greedy: 0 };
    if (!result) { return; }
    var region = L.geoJSON(result.region, { style: { color: "#12263f", weight: 2,
      dashArray: "6,4", fill: false }, interactive: false }).addTo(map);
    var proposed = cameraLayer(result.cameras, "#c62828", L$).addTo(map);
    var greedy = cameraLayer(result.greedy_cameras, "#1565c0", L$);
    GridPatrolMap.addOverlay(region, L$.region, "placementRegion");
    GridPatrolMap.addOverlay(proposed, L$.proposed, "placementProposed");
    GridPatrolMap.addOverlay(greedy, L$.greedy, "placementGreedy");
    GridPatrolMap.addLegend(map, "placement-legend", L$.title,
                            [["#c62828", L$.proposed], ["#1565c0", L$.greedy]]);
    var bounds = region.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { animate: false }); }
    window.gridpatrol.placement = { proposed: result.cameras.length,
                                    greedy: result.greedy_cameras.length };
  }

  window.GridPatrolPlacement = { init: init };
}());
