/* What the evidence, placement and series maps share: numbered markers, camera wedges,
   times shown as the server wrote them, the plan of an evidence sheet. Every string from
   the server is put on the page as text (GridPatrolDom). */
(function () {
  "use strict";
  var D = window.GridPatrolDom;
  var EARTH_M = 6371008.8;

  /* A round marker with its number on it (a permanent tooltip holding text). */
  function numbered(latlng, number, options) {
    var marker = L.circleMarker(latlng, L.Util.extend({
      radius: 9, weight: 2, color: "#fff", fillColor: "#c62828", fillOpacity: 1 }, options));
    marker.bindTooltip(D.text(String(number)), {
      permanent: true, direction: "center", className: "gp-number", interactive: false });
    return marker;
  }

  /* The point ``metres`` from lon/lat at ``bearing`` degrees (clockwise from north). */
  function destination(lon, lat, bearing, metres) {
    var d = metres / EARTH_M, b = bearing * Math.PI / 180;
    var p1 = lat * Math.PI / 180, l1 = lon * Math.PI / 180;
    var p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
    var l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1),
                             Math.cos(d) - Math.sin(p1) * Math.sin(p2));
    return [p2 * 180 / Math.PI, l2 * 180 / Math.PI];
  }

  /* A camera's view as a polygon: its wedge, or a disc when it sees all round. */
  function wedge(lon, lat, azimuth, fov, range, style) {
    var points = [];
    if (azimuth === null || azimuth === undefined || fov === null || fov === undefined ||
        fov >= 360) {
      for (var a = 0; a < 360; a += 15) { points.push(destination(lon, lat, a, range)); }
    } else {
      points.push([lat, lon]);
      var steps = Math.max(4, Math.round(fov / 10));
      for (var i = 0; i <= steps; i++) {
        points.push(destination(lon, lat, azimuth - fov / 2 + fov * i / steps, range));
      }
    }
    return L.polygon(points, L.Util.extend({ weight: 1, color: "#1565c0",
                                             fillOpacity: 0.25 }, style));
  }

  /* "2025-03-01T21:14:05+08:00" as "2025-03-01 21:14:05": the time as the server wrote it
     (the jurisdiction's own clock), not the browser's. */
  function clock(iso) {
    if (!iso) { return ""; }
    var m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)/.exec(String(iso));
    return m ? m[1] + " " + (m[2].length === 5 ? m[2] + ":00" : m[2]) : String(iso);
  }

  function timeOnly(iso) { return clock(iso).slice(11); }

  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (all, key) {
      return values[key] === undefined ? all : String(values[key]);
    });
  }

  /* An evidence plan on the map: the way, the start, each camera numbered in time order
     with a tooltip (its name and window). Returns the layer group. */
  function drawPlan(map, plan, labels, group) {
    var layer = group || L.featureGroup();
    layer.clearLayers();
    if (plan.path) {
      L.geoJSON(plan.path, { style: { color: "#1f4f8a", weight: 5, opacity: 0.75 },
                             interactive: false }).addTo(layer);
    }
    if (plan.start) {
      L.circleMarker([plan.start.lat, plan.start.lon], { radius: 8, color: "#000",
        weight: 2, fillColor: "#ffeb3b", fillOpacity: 1 })
        .bindTooltip(D.text(labels.start)).addTo(layer);
    }
    (plan.cameras || []).forEach(function (camera) {
      var marker = numbered([camera.lat, camera.lon], camera.order,
                            { fillColor: camera.status === "offline" ? "#757575" : "#c62828" });
      marker.on("click", function () {
        var row = document.getElementById("sighting-" + camera.order);
        if (row) { row.scrollIntoView({ block: "center" }); row.classList.add("flash-row"); }
      });
      marker.bindPopup(function () {
        return D.el("div", { class: "gp-sighting" },
          D.el("strong", null, camera.order + ". " + (camera.name || "#" + camera.camera_id)),
          D.el("div", null, clock(camera.window_start) + " – " + timeOnly(camera.window_end)),
          D.el("div", null, camera.reason));
      });
      marker.addTo(layer);
      L.polyline([[camera.lat, camera.lon], [camera.watch_lat, camera.watch_lon]], {
        color: "#c62828", weight: 1.5, dashArray: "3,3", interactive: false }).addTo(layer);
    });
    layer.addTo(map);
    return layer;
  }

  /* The printable sheet: the stored plan drawn and fitted. */
  function showPlan(map, config) {
    var layer = drawPlan(map, config.plan, config.labels);
    var bounds = layer.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds.pad(0.15), { animate: false }); }
    window.gridpatrol.evidence = { layer: layer, cameras: (config.plan.cameras || []).length };
  }

  window.GridPatrolEvidenceMap = {
    numbered: numbered, wedge: wedge, destination: destination, clock: clock,
    timeOnly: timeOnly, fill: fill, drawPlan: drawPlan, showPlan: showPlan
  };
}());
