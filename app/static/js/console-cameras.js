/* gridpatrol console: cameras on the map and their aiming.

   Each camera is drawn with what it can see (the field of view cut by buildings, filled),
   its field of view (the plain wedge from azimuth, width and range, outlined; none when
   the direction is unknown) and its position; its popup says kind, direction, angle,
   range and status, and (for those who may) aims it: drag the blue handle (direction and
   range) and the orange one (field of view), then Save.                                */
(function () {
  "use strict";

  var D = window.GridPatrolDom;
  var C = null, map = null, api = null;
  function el(tag, cls, text) { return D.el(tag, cls ? { class: cls } : null, text); }

  var destination = GridPatrolScene.destination, wedge = GridPatrolScene.wedge;
  function bearing(a, b) {
    var p1 = a.lat * Math.PI / 180, p2 = b.lat * Math.PI / 180;
    var dl = (b.lng - a.lng) * Math.PI / 180;
    var y = Math.sin(dl) * Math.cos(p2);
    var x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
    return (Math.atan2(y, x) * 180 / Math.PI + 360) % 360;
  }

  function aimCamera(p, latlng) {
    map.closePopup();
    var az = p.azimuth_deg === null ? 0 : p.azimuth_deg;
    var fov = p.fov_deg === null || p.fov_deg >= 360 ? 90 : p.fov_deg;
    var range = p.range_m || 50;
    var preview = L.polygon(wedge(latlng, az, fov, range), { color: "#00b8d4", weight: 2,
                                                             fillOpacity: 0.2 }).addTo(map);
    var icon = L.divIcon({ className: "gp-handle", iconSize: [14, 14] });
    var aim = L.marker(destination(latlng, az, range), { draggable: true, icon: icon,
                                                         title: C.labels.aimHandle }).addTo(map);
    var edge = L.marker(destination(latlng, az + fov / 2, range), { draggable: true,
      icon: L.divIcon({ className: "gp-handle gp-handle-edge", iconSize: [12, 12] }),
      title: C.labels.angleHandle }).addTo(map);
    function redraw() { preview.setLatLngs(wedge(latlng, az, fov, range));
                        box.querySelector(".gp-aim-values").textContent =
                          Math.round(az) + "° · " + Math.round(fov) + "° · " +
                          Math.round(range) + " m"; }
    aim.on("drag", function () {
      az = bearing(latlng, aim.getLatLng());
      range = Math.max(1, Math.min(5000, map.distance(latlng, aim.getLatLng())));
      edge.setLatLng(destination(latlng, az + fov / 2, range));
      redraw();
    });
    edge.on("drag", function () {
      var off = Math.abs(((bearing(latlng, edge.getLatLng()) - az + 540) % 360) - 180);
      fov = Math.max(1, Math.min(360, 2 * off));
      redraw();
    });
    var box = D.el("div", { class: "gp-aim-box" }, D.el("strong", null, p.name || "#" + p.id), " ",
      D.el("span", { class: "gp-aim-values" }), " ",
      D.el("button", { type: "button", class: "gp-aim-save" }, C.labels.save), " ",
      D.el("button", { type: "button", class: "gp-aim-cancel" }, C.labels.cancel),
      D.el("span", { class: "gp-error" }));
    document.getElementById("gp-panel").prepend(box);
    function done() { [preview, aim, edge].forEach(function (l) { map.removeLayer(l); });
                      box.remove(); }
    box.querySelector(".gp-aim-cancel").addEventListener("click", done);
    box.querySelector(".gp-aim-save").addEventListener("click", function () {
      api("PATCH", C.api.cameras + "/" + p.id, {
        azimuth_deg: Math.round(az * 10) / 10, fov_deg: Math.round(fov * 10) / 10,
        range_m: Math.round(range)
      }).then(function () { done(); C.camerasLayer.refresh(); })
        .catch(function (err) { box.querySelector(".gp-error").textContent = err.message; });
    });
    redraw();
  }

  function cameraPopup(f, latlng) {
    var p = f.properties;
    var box = el("div", "gp-camera-popup");
    box.appendChild(el("strong", null, (p.name || "#" + p.id)));
    box.appendChild(el("div", null, (C.cameraKinds[p.kind] || p.kind) + " · " +
      (p.azimuth_deg === null ? C.labels.directionUnknown : Math.round(p.azimuth_deg) + "°") +
      (p.fov_deg ? " · " + Math.round(p.fov_deg) + "°" : "") +
      (p.range_m ? " · " + Math.round(p.range_m) + " m" : "") + " · " +
      ((C.cameraStatuses || {})[p.status] || p.status)));
    if (p.gb_id) { box.appendChild(el("div", "gp-gbid", p.gb_id)); }
    var live = window.GridPatrolConsoleLive.control(p, "popup");
    if (live) { box.appendChild(live); }
    if (C.canEditCameras) {
      var button = el("button", "gp-aim", C.labels.aim);
      button.type = "button";
      button.addEventListener("click", function () { aimCamera(p, latlng); });
      box.appendChild(button);
    }
    return box;
  }

  /* The cameras layer: each camera's coverage (cut by buildings) and its position. */
  function cameraOptions() {
    return {
      pointToLayer: function (f, latlng) {
        var group = L.featureGroup();
        if (f.properties.coverage) {
          L.geoJSON(f.properties.coverage, { interactive: false, style: {
            stroke: false, fillColor: "#ffeb3b", fillOpacity: 0.22 } })
            .addTo(group);
        }
        if (f.properties.sector) {  // the field of view: the plain wedge, outlined
          L.geoJSON(f.properties.sector, { interactive: false, style: {
            color: f.properties.status === "offline" ? "#9e9e9e" : "#e65100", weight: 1.5,
            dashArray: "4,3", fill: false } }).addTo(group);
        }
        L.circleMarker(latlng, { radius: 4, weight: 1, color: "#000", fillColor: "#ffeb3b",
                                 fillOpacity: 1, className: "gp-camera-dot" })
          .bindPopup(function () { return cameraPopup(f, latlng); }).addTo(group);
        return group;
      }
    };
  }

  window.GridPatrolCameras = {
    init: function (context) {
      C = context.config;
      map = context.map;
      api = context.api;
      window.GridPatrolConsoleLive.init(C.live, map);
      return cameraOptions();
    }
  };
}());
