/* gridpatrol console map: own vector basemap, operational layers loaded by view, search.
   Everything comes from this server; an online tile layer exists only when configured. */
(function () {
  "use strict";

  var D = window.GridPatrolDom;
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
      var request = new AbortController();
      pending = request;
      var sep = url.indexOf("?") >= 0 ? "&" : "?";
      fetch(url + sep + "bbox=" + boxOf(map), { credentials: "same-origin",
                                               signal: request.signal })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          // an answer read before its abort is stale: only the latest view is drawn
          if (pending !== request) { return; }
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
      var input = D.el("input", { type: "search", id: "map-search", autocomplete: "off",
                                  placeholder: config.labels.search });
      var list = D.el("ul", { id: "map-search-results" });
      var box = D.el("div", { class: "gp-search leaflet-bar" }, input, list);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var timer = null;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        var q = input.value.trim();
        if (!q) { list.replaceChildren(); return; }
        timer = setTimeout(function () {
          fetch(config.search + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
            .then(function (r) { return r.json(); })
            .then(function (data) {
              list.replaceChildren();
              if (!data.results || !data.results.length) {
                list.appendChild(D.el("li", { class: "empty" }, config.labels.noResults));
                return;
              }
              data.results.forEach(function (hit) {
                var names = [hit.name_zh, hit.name, hit.name_en].filter(Boolean);
                var li = D.el("li", null, names.filter(function (n, i) {
                  return names.indexOf(n) === i; }).join(" · ") + " (" + (hit.detail_label || hit.detail) + ")");
                li.addEventListener("click", function () {
                  var b = hit.bbox;
                  if (b[0] === b[2] && b[1] === b[3]) { map.setView([hit.lat, hit.lon], 17); }
                  else { map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: 17 }); }
                  L.popup({ className: "gp-search-popup" }).setLatLng([hit.lat, hit.lon])
                    .setContent(D.text(li.textContent)).openOn(map);
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
    var input = function (name) { return D.el("input", { name: name }); };
    var form = D.el("form", { class: "gp-grid-form" },
      D.el("strong", null, p.code),
      D.el("label", null, D.el("span", null, CONFIG.labels.gridName), input("name")),
      D.el("label", null, D.el("span", null, CONFIG.labels.assignedTo), input("assigned_to")),
      D.el("label", null, D.el("span", null, CONFIG.labels.reason), input("reason")),
      D.el("button", { type: "submit" }, CONFIG.labels.save),
      D.el("p", { class: "gp-error", role: "alert" }));
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

  /* A legend control: a title and (colour, meaning) rows, as text. */
  function addLegend(map, id, title, entries, note) {
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      return D.el("div", { class: "gp-legend", id: id }, D.el("strong", null, title),
        D.el("ul", null, entries.map(function (entry) {
          var swatch = D.el("span", { class: "swatch" });
          swatch.style.background = entry[0];
          return D.el("li", null, swatch, entry[1]);
        })),
        note ? D.el("p", { class: "legend-note", id: "legend-significance" }, note) : null);
    };
    legend.addTo(map);
    return legend;
  }

  /* Tooltips of a GeoJSON layer: a table of the named properties, as text. */
  function fieldTooltips(layer, fields) {
    layer.bindTooltip(function (l) {
      var props = l.feature.properties;
      return D.el("table", { class: "gp-fields" }, fields.map(function (name) {
        var value = props[name];
        if (value !== null && typeof value === "object") { value = JSON.stringify(value); }
        return D.el("tr", null, D.el("th", null, name), D.el("td", null, value));
      }));
    }, { sticky: false });
  }

  /* An overlay in the layer control, under its (escaped) name; ``key`` also keeps it in
     window.gridpatrol for the tests and the other scripts. */
  function addOverlay(layer, name, key) {
    window.gridpatrol.layerControl.addOverlay(layer, D.html(name));
    if (key) { window.gridpatrol[key] = layer; }
  }

  /* The first view: this user's last view on this browser, else the home area, else the
     data's extent (never every area at once: two cities far apart would be world scale). */
  function savedView(config) {
    try {
      var saved = JSON.parse(window.localStorage.getItem(config.viewKey) || "null");
      if (saved && isFinite(saved.lat) && isFinite(saved.lng) && isFinite(saved.zoom) &&
          Math.abs(saved.lat) <= 90 && Math.abs(saved.lng) <= 180) { return saved; }
    } catch (err) { /* no storage, or junk in it: start from the home area */ }
    return null;
  }

  function goHome(map, config) {
    var target = config.home ? config.home.bounds : config.bounds;
    if (target) { map.fitBounds(target, { animate: false }); }
  }

  function openingView(map, config) {
    var saved = config.viewKey ? savedView(config) : null;
    if (saved) { map.setView([saved.lat, saved.lng], saved.zoom, { animate: false }); }
    else { goHome(map, config); }
    var timer = null;
    map.on("moveend", function () {
      if (!config.viewKey) { return; }
      clearTimeout(timer);
      timer = setTimeout(function () {
        var c = map.getCenter();
        try {
          window.localStorage.setItem(config.viewKey, JSON.stringify({
            lat: Number(c.lat.toFixed(6)), lng: Number(c.lng.toFixed(6)), zoom: map.getZoom() }));
        } catch (err) { /* storage full or refused: the view is simply not kept */ }
      }, 500);
    });
  }

  /* A button back to the home area (also the H key). */
  function homeControl(map, config) {
    var control = L.control({ position: "topleft" });
    control.onAdd = function () {
      var button = D.el("button", { type: "button", id: "gp-home", class: "gp-home leaflet-bar",
                                    title: config.labels.homeTitle },
                        config.labels.home + (config.home ? " · " + config.home.name : ""));
      L.DomEvent.disableClickPropagation(button);
      button.addEventListener("click", function () { goHome(map, config); });
      return button;
    };
    return control;
  }

  window.GridPatrolMap = {
    addLegend: addLegend, fieldTooltips: fieldTooltips, addOverlay: addOverlay,
    goHome: function () { goHome(CONFIG.map, CONFIG); },
    init: function (map, config) {
      CONFIG = config;
      CONFIG.map = map;
      openingView(map, config);
      var base = basemap(config).addTo(map);
      /* the layer control and the attribution take HTML strings: names are escaped */
      var bases = {};
      bases[D.html(config.labels.basemap)] = base;
      if (config.online) {
        bases[D.html(config.labels.online)] = L.tileLayer(config.online.url, {
          attribution: D.html(config.online.attribution || ""), maxZoom: 19 });
      }
      /* only the layers this page names (a contractor's map has no grids or POIs) */
      function optional(name, make) { return config.layers[name] ? make(config.layers[name]) : null; }
      var areas = optional("areas", function (url) {
        return liveLayer(map, url, {
          style: { color: "#12263f", weight: 2, fill: false, dashArray: "6,4" },
          onEachFeature: function (f, l) { l.bindTooltip(D.text(label(f.properties))); }
        });
      });
      var grids = optional("grids", function (url) {
        var layer = liveLayer(map, url, {
          style: { color: "#5c6bc0", weight: 1, fillOpacity: 0.04 },
          onEachFeature: function (f, l) {
            l.bindTooltip(D.text(f.properties.name || f.properties.code));
            if (config.canEditGrids) { l.bindPopup(function () { return gridForm(f, layer); }); }
          }
        }, 12);
        return layer;
      });
      var pois = optional("pois", function (url) {
        return liveLayer(map, url, {
          pointToLayer: function (f, latlng) {
            return L.circleMarker(latlng, { radius: 5, weight: 1, color: "#fff",
              fillColor: POI_COLOURS[f.properties.kind] || "#555", fillOpacity: 0.9 });
          },
          onEachFeature: function (f, l) {
            var kinds = config.labels.poiKinds || {};
            l.bindTooltip(D.text(label(f.properties) + " (" +
                                 (kinds[f.properties.kind] || f.properties.kind) + ")"));
          }
        }, 13);
      });
      var cameras = optional("cameras", function (url) {
        return liveLayer(map, url, {
          pointToLayer: function (f, latlng) {
            return L.circleMarker(latlng, { radius: 4, weight: 1, color: "#000",
              fillColor: "#ffeb3b", fillOpacity: 1 });
          },
          onEachFeature: function (f, l) {
            var p = f.properties;
            l.bindTooltip(D.text((p.name || "#" + p.id) + " · " + p.kind +
              (p.azimuth_deg !== null ? " · " + Math.round(p.azimuth_deg) + "°" : "")));
          }
        }, 15);
      });
      if (areas) { areas.addTo(map); }
      /* Polygons under points: on the shared canvas the last drawn shape takes the click,
         so after any layer loads, grid cells and then areas go to the back (a camera or
         POI inside an area stays clickable; a grid cell inside an area too). */
      function restack() {
        [grids, areas].forEach(function (layer) {
          if (layer && map.hasLayer(layer)) { layer.bringToBack(); }
        });
      }
      [areas, grids, pois, cameras].forEach(function (layer) {
        if (layer) { layer.on("gp:loaded", restack); }
      });
      if (config.camerasOn && cameras) { cameras.addTo(map); }
      var overlays = {};
      [["areas", areas], ["grids", grids], ["pois", pois], ["cameras", cameras]].forEach(
        function (pair) { if (pair[1]) { overlays[D.html(config.labels[pair[0]])] = pair[1]; } });
      var layerControl = L.control.layers(bases, overlays, { collapsed: false }).addTo(map);
      searchControl(map, config).addTo(map);
      homeControl(map, config).addTo(map);
      if (config.coords && window.GridPatrolCoords) { GridPatrolCoords.add(map, config); }
      var labels = config.labelsUrl && window.GridPatrolLabels
        ? GridPatrolLabels.create(map, { url: config.labelsUrl, language: config.language })
        : null;
      var layers = { basemap: base };
      [["areas", areas], ["grids", grids], ["pois", pois], ["cameras", cameras]].forEach(
        function (pair) { if (pair[1]) { layers[pair[0]] = pair[1]; } });
      window.gridpatrol = { map: map, layers: layers, restack: restack,
                            labels: labels, layerControl: layerControl, idleAt: null };
      if (labels) { labels.refresh(); }
      /* camera names join the labels (placed first, so roads make room for them) */
      if (cameras) { cameras.on("gp:loaded", function () {
        if (!labels) { return; }
        var named = [];
        cameras.eachLayer(function (l) {
          var f = l.feature;
          if (f && f.properties.name) {
            named.push({ text: f.properties.name, lon: f.geometry.coordinates[0],
                         lat: f.geometry.coordinates[1], kind: "camera" });
          }
        });
        labels.setExtra("cameras", named);
      }); }
      document.addEventListener("keydown", function (event) {
        var target = event.target;
        if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
        if ((event.key === "h" || event.key === "H") && !event.ctrlKey && !event.metaKey) {
          goHome(map, config);
          event.preventDefault();
        }
      });
      /* Time (ms since navigation) when the basemap tiles and the areas first settled. */
      var baseLoaded = false, areasLoaded = false;
      function settle() {
        if (baseLoaded && areasLoaded && window.gridpatrol.idleAt === null) {
          window.gridpatrol.idleAt = performance.now();
        }
      }
      base.once("load", function () { baseLoaded = true; settle(); });
      if (areas) { areas.once("gp:loaded", function () { areasLoaded = true; settle(); }); }
      else { areasLoaded = true; }
    }
  };
}());
