/* The faults layer (视频质量诊断 on the map): every camera coloured by its state, worst on
   top; its popup names the faults with what was measured against which limit and the
   camera's usual value, when it was checked, its maintainer and open ticket, and shows
   the last frame its health check saw. Read from GET /api/v1/cameras/health (the page's
   filters), refreshed every minute. Every string from data is put as text. */
(function () {
  "use strict";

  var D = window.GridPatrolDom;
  var REFRESH_MS = 60000;
  var ORDER = { online: 0, unknown: 1, maintenance: 2, degraded: 3, offline: 4 };

  function link(pattern, id, text) {
    return pattern ? D.el("a", { href: pattern.replace("{id}", String(id)) }, text) : null;
  }

  function number(value) {
    if (value === null || value === undefined) { return "–"; }
    var n = Number(value);
    return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toFixed(3);
  }

  var ZONE = null;  // the jurisdiction's time zone, as the pages show times

  function when(iso) {
    if (!iso) { return ""; }
    try {  // "2026-12-05 09:05" in the zone (Sweden's format is ISO-like)
      return new Date(iso).toLocaleString("sv-SE", { timeZone: ZONE || undefined,
        year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
    } catch (err) { return new Date(iso).toISOString().slice(0, 16).replace("T", " "); }
  }

  function findingItem(C, f) {
    var words = C.labels;
    return D.el("li", { class: "gp-finding", "data-fault": f.fault },
      D.el("strong", null, C.faults[f.fault] || f.fault), ": ",
      (C.measures[f.measure] || f.measure) + " " + words.value + " " + number(f.value) +
      " · " + words.limit + " " + number(f.limit) +
      (f.baseline !== null && f.baseline !== undefined
        ? " · " + words.usual + " " + number(f.baseline) : ""));
  }

  function popup(C, cam) {
    var words = C.labels;
    var box = D.el("div", { class: "gp-fault-popup", "data-camera": cam.id },
      D.el("strong", { class: "gp-fault-name" }, cam.name || "#" + cam.id), " ",
      D.el("span", { class: "state state-" + cam.status }, C.states[cam.status] || cam.status));
    if (cam.findings.length) {
      box.appendChild(D.el("div", null, words.faults));
      box.appendChild(D.el("ul", { class: "gp-findings" },
        cam.findings.map(function (f) { return findingItem(C, f); })));
    } else {
      box.appendChild(D.el("div", { class: "gp-no-fault" }, words.noFault));
    }
    box.appendChild(D.el("div", { class: "gp-checked" },
      cam.checked_at ? words.checked + " " + when(cam.checked_at) : words.neverChecked));
    if (cam.area) { box.appendChild(D.el("div", null, words.area + ": " + cam.area)); }
    if (cam.maintainer) {
      box.appendChild(D.el("div", null, words.maintainer + ": " + cam.maintainer.name));
    }
    if (cam.ticket_id) {
      box.appendChild(D.el("div", { class: "gp-ticket" }, words.ticket + " ",
        link(C.links.ticket, cam.ticket_id, "#" + cam.ticket_id) || "#" + cam.ticket_id));
    }
    if (cam.frame_at) {
      var src = C.links.frame.replace("{id}", String(cam.id)) + "?at=" +
                encodeURIComponent(cam.frame_at);
      box.appendChild(D.el("figure", { class: "gp-frame" },
        D.el("img", { src: src, alt: words.frameAt + " " + when(cam.frame_at), width: 240,
                      height: 135 }),
        D.el("figcaption", null, words.frameAt + " " + when(cam.frame_at))));
    }
    var links = [link(C.links.camera, cam.id, words.health),
                 cam.has_stream ? link(C.links.live, cam.id, words.live) : null]
      .filter(Boolean);
    if (links.length) {
      box.appendChild(D.el("div", { class: "gp-links" }, links.map(function (a, i) {
        return i ? [" · ", a] : a;
      })));
    }
    return box;
  }

  function marker(C, cam) {
    var faulty = cam.status === "offline" || cam.status === "degraded";
    var dot = L.circleMarker([cam.lat, cam.lon], {
      radius: faulty ? 7 : 5, weight: faulty ? 2 : 1, color: "#fff",
      fillColor: C.colours[cam.status] || C.colours.unknown, fillOpacity: 0.95,
      className: "gp-fault-dot gp-fault-" + cam.status
    });
    dot.camera = cam;
    dot.bindTooltip(D.text((cam.name || "#" + cam.id) + " · " + (C.states[cam.status] || cam.status)));
    dot.bindPopup(function () { return popup(C, cam); }, { minWidth: 260, maxWidth: 320 });
    return dot;
  }

  function legend(C, map, layer) {
    var control = L.control({ position: "bottomright" });
    var list = D.el("ul");
    control.onAdd = function () {
      return D.el("div", { class: "gp-legend", id: "gp-faults-legend" },
        D.el("strong", null, C.labels.legend), list);
    };
    /* shown with the layer (on the console it is an overlay, off at first) */
    if (map.hasLayer(layer)) { control.addTo(map); }
    layer.on("add", function () { control.addTo(map); });
    layer.on("remove", function () { control.remove(); });
    return function (counts) {
      list.replaceChildren.apply(list, Object.keys(C.colours).map(function (state) {
        var swatch = D.el("span", { class: "swatch swatch-" + state });
        return D.el("li", { "data-state": state }, swatch,
                    (C.states[state] || state) + ": " + (counts[state] || 0));
      }));
    };
  }

  window.GridPatrolFaults = {
    init: function (map, C) {
      ZONE = C.timezone;
      var layer = L.layerGroup();
      if (!C.overlayOnly) { layer.addTo(map); }
      var showCounts = legend(C, map, layer);
      var query = Object.keys(C.filters).map(function (k) {
        return encodeURIComponent(k) + "=" + encodeURIComponent(C.filters[k]);
      }).concat(["limit=5000"]).join("&");
      var focused = false;
      window.gridpatrol.layers.faults = layer;
      GridPatrolMap.addOverlay(layer, C.labels.layer);

      function draw(data) {
        layer.clearLayers();
        var counts = {};
        data.cameras.slice().sort(function (a, b) {
          return (ORDER[a.status] || 0) - (ORDER[b.status] || 0);  // worst drawn last: on top
        }).forEach(function (cam) {
          counts[cam.status] = (counts[cam.status] || 0) + 1;
          if (cam.lon === null || cam.lat === null) { return; }
          var dot = marker(C, cam).addTo(layer);
          if (C.focus === cam.id && !focused) {
            focused = true;
            map.setView(dot.getLatLng(), Math.max(map.getZoom(), 16), { animate: false });
            dot.openPopup();
          }
        });
        showCounts(counts);
        window.gridpatrol.faultsLoaded = (window.gridpatrol.faultsLoaded || 0) + 1;
        layer.fire("gp:loaded", { count: data.cameras.length });
      }

      /* read while the layer is on the map: at once, then every minute */
      var timer = null;
      function load() {
        timer = null;
        if (!map.hasLayer(layer)) { return; }
        fetch(C.health + "?" + query, { credentials: "same-origin",
                                        headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) { if (data) { draw(data); } })
          .catch(function () { /* the next refresh tries again */ })
          .finally(function () {
            if (map.hasLayer(layer) && timer === null) { timer = window.setTimeout(load, REFRESH_MS); }
          });
      }
      layer.on("add", function () { if (timer === null) { load(); } });
      load();
    }
  };
}());
