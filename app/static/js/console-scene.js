/* gridpatrol console: the scene of the alert on the map.

   While an alert is open, its called-up cameras are drawn with their field of view (the
   wedge from azimuth, field of view and range; a disc when the direction is unknown) and
   their names: the cameras that see the place in cyan, the others nearby dashed grey.
   Hovering a camera in the panel thickens its wedge; hovering a recommended unit draws its
   road route to the place (GET /api/v1/route, the same figures that ranked it).        */
(function () {
  "use strict";

  var D = window.GridPatrolDom;
  var R = 6371008.8;
  var STYLES = {
    sees: { color: "#00838f", weight: 2, fillColor: "#00bcd4", fillOpacity: 0.18 },
    nearby: { color: "#607d8b", weight: 1.5, dashArray: "5,4", fillColor: "#90a4ae",
              fillOpacity: 0.08 }
  };
  var map = null, layer = null, routeLayer = null;
  var wedges = {};     // camera id -> polygon
  var routes = {};     // "alert:unit:lon,lat" -> promise of the route answer

  function destination(latlng, bearingDeg, metres) {
    var b = bearingDeg * Math.PI / 180, d = metres / R;
    var p1 = latlng.lat * Math.PI / 180, l1 = latlng.lng * Math.PI / 180;
    var p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
    var l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1),
                             Math.cos(d) - Math.sin(p1) * Math.sin(p2));
    return L.latLng(p2 * 180 / Math.PI, l2 * 180 / Math.PI);
  }

  /* The wedge of a camera at `centre` looking along `az` (degrees clockwise from north),
     `fov` degrees wide, `range` metres deep: the centre, then the arc. */
  function wedge(centre, az, fov, range) {
    var points = [centre];
    for (var i = 0; i <= 24; i++) {
      points.push(destination(centre, az - fov / 2 + fov * i / 24, range));
    }
    return points;
  }

  function cameraShape(c, style) {
    var centre = L.latLng(c.lat, c.lon);
    var range = c.range_m || 60;
    if (c.azimuth_deg === null || c.azimuth_deg === undefined || !c.fov_deg ||
        c.fov_deg >= 360) {
      return L.circle(centre, Object.assign({ radius: range, interactive: false }, style));
    }
    return L.polygon(wedge(centre, c.azimuth_deg, c.fov_deg, range),
                     Object.assign({ interactive: false }, style));
  }

  function clear() {
    if (layer) { layer.clearLayers(); }
    if (routeLayer) { routeLayer.clearLayers(); }
    wedges = {};
    if (window.gridpatrol.labels) { window.gridpatrol.labels.setExtra("scene", []); }
  }

  /* Draw the alert's cameras (those that see the place first), with their names. */
  function show(alert, labels) {
    clear();
    if (!alert || alert.status === "closed") { return; }
    var named = [];
    [["nearby", alert.nearby_cameras || []], ["sees", alert.cameras || []]].forEach(
      function (group) {
        group[1].forEach(function (c) {
          wedges[c.id] = cameraShape(c, STYLES[group[0]]).addTo(layer);
          if (group[0] === "sees") {
            named.push({ text: c.name || labels.camera + " #" + c.id, lon: c.lon, lat: c.lat,
                         kind: "camera", cls: "gp-label-sees" });
          }
        });
      });
    if (window.gridpatrol.labels) { window.gridpatrol.labels.setExtra("scene", named); }
    window.gridpatrol.scene.wedges = Object.keys(wedges).length;
  }

  function emphasise(cameraId, on) {
    var shape = wedges[cameraId];
    if (shape) { shape.setStyle({ weight: on ? 4 : 2, fillOpacity: on ? 0.35 : 0.18 }); }
  }

  /* Hovering a unit draws its road route to the place; leaving removes it. */
  function routeOnHover(item, unit, alert, here) {
    item.addEventListener("mouseenter", function () {
      var from = here(unit.id);
      if (!from) { return; }
      var key = alert.id + ":" + unit.id + ":" + from.join(",");
      if (!routes[key]) {
        routes[key] = fetch("/api/v1/route?from=" + from.join(",") + "&to=" + alert.lon + "," +
                            alert.lat, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; });
      }
      routes[key].then(function (answer) {
        if (!answer || !item.matches(":hover")) { return; }
        routeLayer.clearLayers();
        L.geoJSON(answer.geometry, { interactive: false, className: "gp-route",
          style: { color: "#1565c0", weight: 6, opacity: 0.85, lineCap: "round" } })
          .addTo(routeLayer);
        var ends = answer.geometry.coordinates;
        L.polyline([[from[1], from[0]], [ends[0][1], ends[0][0]]],
                   { dashArray: "3,5", color: "#1565c0", weight: 2, interactive: false })
          .addTo(routeLayer);
        item.classList.add("gp-route-shown");
        item.setAttribute("data-route-m", Math.round(answer.distance_m));
        window.gridpatrol.scene.route = { unit: unit.id, distance_m: answer.distance_m,
                                          points: ends.length };
      });
    });
    item.addEventListener("mouseleave", function () {
      routeLayer.clearLayers();
      item.classList.remove("gp-route-shown");
      window.gridpatrol.scene.route = null;
    });
  }

  window.GridPatrolScene = {
    destination: destination, wedge: wedge, show: show, clear: clear, emphasise: emphasise,
    routeOnHover: routeOnHover,
    init: function (leafletMap) {
      map = leafletMap;
      layer = L.featureGroup().addTo(map);
      routeLayer = L.featureGroup().addTo(map);
      window.gridpatrol.scene = { wedges: 0, route: null };
    }
  };
}());
