/* The supervisor's map: one coloured route per unit, its numbered stops with times. */
(function () {
  "use strict";
  function time(iso) { return iso ? iso.slice(11, 16) : ""; }
  window.GridPatrolPlan = {
    init: function (map, config) {
      var layers = [];
      config.routes.features.forEach(function (feature, i) {
        var colour = config.colours[i % config.colours.length];
        var p = feature.properties;
        var group = L.featureGroup();
        if (feature.geometry) {
          L.geoJSON(feature.geometry, { style: { color: colour, weight: 4, opacity: 0.85 } })
            .bindTooltip(p.unit).addTo(group);
        }
        var n = 0;
        p.stops.forEach(function (stop) {
          if (stop.lon === undefined || stop.kind === "station") { return; }
          n += 1;
          var text = n + ". " + (stop.name || stop.code || stop.kind) + " · " +
            time(stop.start) + "–" + time(stop.depart);
          var marker = stop.kind === "hotspot"
            ? L.rectangle([[stop.lat - 0.0002, stop.lon - 0.0003],
                           [stop.lat + 0.0002, stop.lon + 0.0003]],
                          { color: colour, weight: 2, fillOpacity: 0.5 })
            : L.circleMarker([stop.lat, stop.lon], { radius: 7, color: "#fff", weight: 2,
                                                      fillColor: colour, fillOpacity: 1 });
          marker.bindTooltip(p.unit + " " + text);
          marker.options.gpStop = text;
          marker.addTo(group);
        });
        var home = p.stops[0];
        if (home && home.lon !== undefined) {
          L.circleMarker([home.lat, home.lon], { radius: 9, color: "#000", weight: 3,
                                                 fillColor: "#fff", fillOpacity: 1 })
            .bindTooltip(home.name).addTo(group);
        }
        group.addTo(map);
        window.gridpatrol.layerControl.addOverlay(group, p.unit + " (" + p.shift + ")");
        layers.push(group);
      });
      window.gridpatrol.planLayers = layers;
    }
  };
}());
