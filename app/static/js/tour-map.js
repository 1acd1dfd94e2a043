/* A tour's cameras on the map: numbered in tour order with what each sees, those on the
   wall now in red; on the tours page a click on any camera adds it to the tour being
   edited; on the wall the run's findings. */
(function () {
  "use strict";

  var D = window.GridPatrolDom;
  var map = null, group = null, markers = {}, pickHandler = null, shown = [], picking = false;

  function numberIcon(text, onWall) {
    return L.divIcon({ className: "gp-tour-number" + (onWall ? " on-wall" : ""),
                       iconSize: [20, 20], html: D.el("span", null, String(text)) });
  }

  function setCameras(cameras, fit) {
    group.clearLayers();
    markers = {};
    var corners = [];
    cameras.forEach(function (c, index) {
      if (c.coverage) {
        L.geoJSON(c.coverage, { interactive: false,
          style: { color: "#12263f", weight: 1, fillOpacity: 0.12 } }).addTo(group);
      }
      if (c.lon === null || c.lon === undefined) { return; }
      /* while picking, the numbers let clicks through to the camera under them */
      var marker = L.marker([c.lat, c.lon], { icon: numberIcon(index + 1, false),
                                              keyboard: false, interactive: !picking });
      var reason = c.reason ? (c.reason.text || c.reason.en || "") : "";
      marker.bindTooltip(D.text((index + 1) + ". " + (c.name || "#" + c.camera_id) +
                                (reason ? " — " + reason : "")));
      marker.addTo(group);
      markers[c.camera_id] = { marker: marker, number: index + 1 };
      corners.push([c.lat, c.lon]);
    });
    if (fit && corners.length) { map.fitBounds(corners, { maxZoom: 17, padding: [30, 30] }); }
    highlight(shown);
  }

  function highlight(ids) {
    shown = ids || [];
    Object.keys(markers).forEach(function (id) {
      var m = markers[id];
      m.marker.setIcon(numberIcon(m.number, shown.indexOf(Number(id)) >= 0));
    });
  }

  window.GridPatrolTourMap = {
    findings: null,
    setCameras: setCameras,
    highlight: highlight,
    onPick: function (handler) { pickHandler = handler; },
    init: function (leafletMap, config) {
      map = leafletMap;
      group = L.layerGroup().addTo(map);
      picking = !!config.pick;
      setCameras(config.cameras || [], true);
      if (config.pick && window.gridpatrol && window.gridpatrol.layers.cameras) {
        window.gridpatrol.layers.cameras.on("click", function (event) {
          var feature = event.layer && event.layer.feature;
          if (feature && pickHandler) { pickHandler(feature); }
        });
      }
      if (config.findings && window.GridPatrolFindings) {
        var params = null;
        var layer = window.GridPatrolFindings.layer(map, {
          url: config.findings.url, labels: config.findings.labels,
          params: function () { return params; } });
        layer.addTo(map);
        layer.setParams = function (value) { params = value; return layer.refresh(); };
        window.GridPatrolTourMap.findings = layer;
      }
    }
  };
}());
