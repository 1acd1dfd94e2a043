/* The supervisor's map: one coloured route per unit, its numbered stops with times. */
(function () {
  "use strict";
  var D = window.GridPatrolDom;
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
            .bindTooltip(D.text(p.unit)).addTo(group);
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
          marker.bindTooltip(D.text(p.unit + " " + text));
          marker.options.gpStop = text;
          marker.addTo(group);
        });
        var home = p.stops[0];
        if (home && home.lon !== undefined) {
          L.circleMarker([home.lat, home.lon], { radius: 9, color: "#000", weight: 3,
                                                 fillColor: "#fff", fillOpacity: 1 })
            .bindTooltip(D.text(home.name)).addTo(group);
        }
        group.addTo(map);
        var shifts = config.labels.shifts || {};
        GridPatrolMap.addOverlay(group, p.unit + " (" + (shifts[p.shift] || p.shift) + ")");
        layers.push(group);
      });
      window.gridpatrol.planLayers = layers;
      pointsLayer(map, config);
      if (config.canEdit) { addPointTool(map, config); }
    }
  };

  /* The must-visit points (toggle in the layer control). */
  function pointsLayer(map, config) {
    var layer = L.geoJSON(null, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 5, color: "#000", weight: 1,
                                        fillColor: f.properties.covert ? "#555" : "#ffd54f",
                                        fillOpacity: 1 });
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        var windows = (p.windows || []).map(function (w) {
          var days = w.weekdays && w.weekdays !== "daily" ? w.weekdays
            : (config.labels.daily || "daily");
          return days + " " + w.start + "-" + w.end;
        }).join("; ");
        l.bindTooltip(D.text(p.name + " · " + p.dwell_min + " " +
                             (config.labels.minutes || "min") +
                             (windows ? " · " + windows : "")));
      }
    }).addTo(map);
    function load() {
      return fetch(config.points, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { layer.clearLayers(); layer.addData(data); });
    }
    window.gridpatrol.pointsLayer = layer;
    window.gridpatrol.reloadPoints = load;
    GridPatrolMap.addOverlay(layer, config.labels.points || "points");
    load();
  }

  /* Add a must-visit point: the button, a click on the map, a small form, POST. */
  function addPointTool(map, config) {
    var button = document.getElementById("add-point");
    var hint = document.getElementById("add-point-hint");
    if (!button) { return; }
    var picking = false;
    function stop() { picking = false; hint.textContent = ""; map.getContainer().style.cursor = ""; }
    button.addEventListener("click", function () {
      picking = true; hint.textContent = config.labels.pickPoint;
      map.getContainer().style.cursor = "crosshair";
    });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") { stop(); } });
    map.on("click", function (e) {
      if (!picking) { return; }
      stop();
      var L_ = config.labels;
      var field = function (label, attrs) {
        return D.el("label", null, D.el("span", null, label), D.el("input", attrs));
      };
      var form = D.el("form", { class: "gp-grid-form", id: "point-form" },
        field(L_.name, { name: "name", required: true, maxlength: 200 }),
        field(L_.windows, { name: "windows" }),
        field(L_.dwell, { name: "dwell_min", type: "number", min: 1, value: 10 }),
        field(L_.priority, { name: "priority", type: "number", min: 1, max: 5, value: 3 }),
        D.el("label", null, D.el("input", { name: "covert", type: "checkbox" }), " ",
             D.el("span", null, L_.covert)),
        D.el("button", { type: "submit" }, L_.save),
        D.el("p", { class: "gp-error", role: "alert" }));
      var popup = L.popup().setLatLng(e.latlng).setContent(form).openOn(map);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var windows = form.windows.value.split(";").map(function (part) {
          part = part.trim(); if (!part) { return null; }
          var at = part.lastIndexOf(" ");
          var span = part.slice(at + 1).split("-");
          return { weekdays: at > 0 ? part.slice(0, at) : "daily", start: span[0], end: span[1] };
        }).filter(Boolean);
        fetch(config.points, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf },
          body: JSON.stringify({ name: form.name.value, lon: e.latlng.lng, lat: e.latlng.lat,
                                 windows: windows, dwell_min: Number(form.dwell_min.value),
                                 priority: Number(form.priority.value),
                                 covert: form.covert.checked })
        }).then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
          .then(function (res) {
            if (!res[0]) {
              form.querySelector(".gp-error").textContent =
                (res[1].field ? res[1].field + ": " : "") + res[1].message;
              return;
            }
            map.closePopup(popup);
            hint.textContent = config.labels.saved;
            window.gridpatrol.reloadPoints();
          });
      });
    });
  }
}());
