/* gridpatrol console map: own vector basemap, operational layers loaded by view, search.
   Everything comes from this server; an online tile layer exists only when configured. */
(function () {
  "use strict";

  var ROAD_STYLE = {
    motorway: ["#e07b39", 5], motorway_link: ["#e07b39", 3], trunk: ["#f0a35e", 4.5],
    trunk_link: ["#f0a35e", 3], primary: ["#f7c873", 4], primary_link: ["#f7c873", 2.5],
    secondary: ["#fbe3a0", 3.5], secondary_link: ["#fbe3a0", 2], tertiary: ["#ffffff", 3],
    tertiary_link: ["#ffffff", 2], residential: ["#ffffff", 2], unclassified: ["#ffffff", 2],
    living_street: ["#f2f2f2", 2], road: ["#ffffff", 2], service: ["#ffffff", 1.2]
  };
  var LAND_COLOURS = {
    water: "#a9cde8", park: "#c8e6b0", forest: "#add19e", residential: "#ece7e1",
    commercial: "#f2dad9", industrial: "#ebdbe8", farmland: "#eef0d5"
  };
  var POI_COLOURS = {
    school: "#1565c0", kindergarten: "#1e88e5", bank: "#2e7d32", atm: "#43a047",
    hospital: "#c62828", market: "#ef6c00", mall: "#ef6c00", bus_station: "#6a1b9a",
    rail_station: "#4a148c", nightlife: "#ad1457", fuel: "#5d4037", government: "#37474f",
    place_of_worship: "#795548"
  };

  function roadStyle(props, zoom) {
    var s = ROAD_STYLE[props.highway];
    if (!s) { return { color: "#d9d4cc", weight: zoom >= 16 ? 1.2 : 0.6, dashArray: "2,3" }; }
    var scale = zoom >= 16 ? 1.6 : zoom >= 14 ? 1 : 0.7;
    return { color: s[0], weight: s[1] * scale, opacity: 1, lineCap: "round" };
  }

  function basemap(config) {
    return L.vectorGrid.protobuf(config.tiles, {
      maxNativeZoom: 18, maxZoom: 19, rendererFactory: L.canvas.tile, interactive: false,
      attribution: "© OpenStreetMap contributors (ODbL)",
      vectorTileLayerStyles: {
        landcover: function (p) {
          return { fill: true, fillColor: LAND_COLOURS[p.kind] || "#eee", fillOpacity: 1,
                   stroke: false };
        },
        buildings: { fill: true, fillColor: "#d9d0c9", fillOpacity: 1, color: "#c4b6ab",
                     weight: 0.5 },
        roads: roadStyle
      }
    });
  }

  /* The view as west,south,east,north, clamped to the world (a wide view wraps past ±180). */
  function boxOf(map) {
    var b = map.getBounds();
    var clamp = function (v, limit) { return Math.max(-limit, Math.min(limit, v)); };
    return [clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180),
            clamp(b.getNorth(), 90)].map(function (v) { return v.toFixed(6); }).join(",");
  }

  /* A GeoJSON layer refreshed for the view when it is on the map. */
  function liveLayer(map, url, options, minZoom) {
    var layer = L.geoJSON(null, options);
    var pending = null;
    function refresh() {
      if (!map.hasLayer(layer)) { return; }
      if (minZoom && map.getZoom() < minZoom) { layer.clearLayers(); return; }
      if (pending) { pending.abort(); }
      pending = new AbortController();
      var sep = url.indexOf("?") >= 0 ? "&" : "?";
      fetch(url + sep + "bbox=" + boxOf(map), { credentials: "same-origin",
                                               signal: pending.signal })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          pending = null;
          if (!data) { return; }
          layer.clearLayers();
          layer.addData(data);
          layer.fire("gp:loaded", { count: data.features.length });
        })
        .catch(function (err) { if (err.name !== "AbortError") { throw err; } });
    }
    map.on("moveend", refresh);
    layer.on("add", refresh);
    layer.refresh = refresh;
    return layer;
  }

  function label(p) {
    return p.name_zh || p.name || p.name_en || p.code || p.kind || "";
  }

  function searchControl(map, config) {
    var control = L.control({ position: "topleft" });
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "gp-search leaflet-bar");
      box.innerHTML = '<input type="search" id="map-search" autocomplete="off">' +
                      '<ul id="map-search-results"></ul>';
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var input = box.querySelector("input");
      var list = box.querySelector("ul");
      input.placeholder = config.labels.search;
      var timer = null;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        var q = input.value.trim();
        if (!q) { list.innerHTML = ""; return; }
        timer = setTimeout(function () {
          fetch(config.search + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
            .then(function (r) { return r.json(); })
            .then(function (data) {
              list.innerHTML = "";
              if (!data.results || !data.results.length) {
                list.innerHTML = "<li class='empty'>" + config.labels.noResults + "</li>";
                return;
              }
              data.results.forEach(function (hit) {
                var li = document.createElement("li");
                var names = [hit.name_zh, hit.name, hit.name_en].filter(Boolean);
                li.textContent = names.filter(function (n, i) {
                  return names.indexOf(n) === i; }).join(" · ") + " (" + hit.detail + ")";
                li.addEventListener("click", function () {
                  var b = hit.bbox;
                  if (b[0] === b[2] && b[1] === b[3]) { map.setView([hit.lat, hit.lon], 17); }
                  else { map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: 17 }); }
                  L.popup().setLatLng([hit.lat, hit.lon]).setContent(li.textContent)
                    .openOn(map);
                });
                list.appendChild(li);
              });
            });
        }, 200);
      });
      return box;
    };
    return control;
  }

  /* Rename or assign a grid cell from its popup (PATCH /api/v1/grids/CODE, audited). */
  function gridForm(feature, layer) {
    var p = feature.properties;
    var form = L.DomUtil.create("form", "gp-grid-form");
    form.innerHTML = "<strong></strong><label><span></span><input name='name'></label>" +
      "<label><span></span><input name='assigned_to'></label>" +
      "<label><span></span><input name='reason'></label><button type='submit'></button>" +
      "<p class='gp-error' role='alert'></p>";
    var labels = form.querySelectorAll("label span");
    form.querySelector("strong").textContent = p.code;
    labels[0].textContent = CONFIG.labels.gridName;
    labels[1].textContent = CONFIG.labels.assignedTo;
    labels[2].textContent = CONFIG.labels.reason;
    form.querySelector("button").textContent = CONFIG.labels.save;
    form.name.value = p.name || "";
    form.assigned_to.value = p.assigned_to || "";
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch("/api/v1/grids/" + encodeURIComponent(p.code), {
        method: "PATCH", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": CONFIG.csrf },
        body: JSON.stringify({ name: form.name.value || null,
                               assigned_to: form.assigned_to.value || null,
                               reason: form.reason.value || null })
      }).then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
        .then(function (res) {
          if (!res[0]) { form.querySelector(".gp-error").textContent = res[1].message; return; }
          layer.refresh();
          CONFIG.map.closePopup();
        });
    });
    return form;
  }
  var CONFIG = {};

  window.GridPatrolMap = {
    init: function (map, config) {
      CONFIG = config;
      CONFIG.map = map;
      if (config.bounds) { map.fitBounds(config.bounds, { animate: false }); }
      var base = basemap(config).addTo(map);
      var bases = {};
      bases[config.labels.basemap] = base;
      if (config.online) {
        bases[config.labels.online] = L.tileLayer(config.online.url, {
          attribution: config.online.attribution || "", maxZoom: 19 });
      }
      var areas = liveLayer(map, config.layers.areas, {
        style: { color: "#12263f", weight: 2, fill: false, dashArray: "6,4" },
        onEachFeature: function (f, l) { l.bindTooltip(label(f.properties)); }
      });
      var grids = liveLayer(map, config.layers.grids, {
        style: { color: "#5c6bc0", weight: 1, fillOpacity: 0.04 },
        onEachFeature: function (f, l) {
          l.bindTooltip(f.properties.name || f.properties.code);
          if (config.canEditGrids) { l.bindPopup(function () { return gridForm(f, grids); }); }
        }
      }, 12);
      var pois = liveLayer(map, config.layers.pois, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 5, weight: 1, color: "#fff",
            fillColor: POI_COLOURS[f.properties.kind] || "#555", fillOpacity: 0.9 });
        },
        onEachFeature: function (f, l) {
          l.bindTooltip(label(f.properties) + " (" + f.properties.kind + ")");
        }
      }, 13);
      var cameras = liveLayer(map, config.layers.cameras, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 4, weight: 1, color: "#000",
            fillColor: "#ffeb3b", fillOpacity: 1 });
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindTooltip((p.name || "#" + p.id) + " · " + p.kind +
            (p.azimuth_deg !== null ? " · " + Math.round(p.azimuth_deg) + "°" : ""));
        }
      }, 12);
      areas.addTo(map);
      var overlays = {};
      overlays[config.labels.areas] = areas;
      overlays[config.labels.grids] = grids;
      overlays[config.labels.pois] = pois;
      overlays[config.labels.cameras] = cameras;
      var layerControl = L.control.layers(bases, overlays, { collapsed: false }).addTo(map);
      searchControl(map, config).addTo(map);
      window.gridpatrol = { map: map, layers: { areas: areas, grids: grids, pois: pois,
                                                cameras: cameras, basemap: base },
                            layerControl: layerControl, idleAt: null };
      /* Time (ms since navigation) when the basemap tiles and the areas first settled. */
      var baseLoaded = false, areasLoaded = false;
      function settle() {
        if (baseLoaded && areasLoaded && window.gridpatrol.idleAt === null) {
          window.gridpatrol.idleAt = performance.now();
        }
      }
      base.once("load", function () { baseLoaded = true; settle(); });
      areas.once("gp:loaded", function () { areasLoaded = true; settle(); });
    }
  };
}());
