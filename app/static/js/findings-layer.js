/* Video findings on a map: each a point where its camera looks, its popup the kind, the
   camera, the time, the note, what it became and the frame the server took. Used by the
   console (an overlay of the last 24 hours) and the video wall (the run's findings).
   Everything shown is built as elements: a note or camera name is text, never HTML.    */
(function () {
  "use strict";

  var D = window.GridPatrolDom;

  function popup(p, labels) {
    var became = p.outcome === "alert" ? labels.alert + " #" + p.alert_id
                                       : labels.incident + " #" + p.incident_id;
    return D.el("div", { class: "gp-finding-popup", "data-finding": p.id },
      D.el("strong", null, labels.finding + " #" + p.id + " · " + p.kind_label),
      D.el("div", null, labels.camera + ": " + (p.camera_name || "#" + p.camera_id)),
      D.el("div", null, labels.at + ": " + new Date(p.at).toLocaleString()),
      p.note ? D.el("div", null, labels.note + ": " + p.note) : null,
      D.el("div", null, became),
      D.el("div", null, labels.by + ": " + p.username),
      p.frame_url ? D.el("img", { src: p.frame_url, alt: labels.finding + " #" + p.id,
                                  class: "gp-finding-frame" })
                  : D.el("em", null, labels.noFrame));
  }

  /* A GeoJSON layer of findings from ``options.url`` with ``options.params()`` (an object
     of query parameters, asked at each refresh). */
  function layer(map, options) {
    var labels = options.labels;
    var group = L.geoJSON(null, {
      pointToLayer: function (f, latlng) {
        var alert = f.properties.outcome === "alert";
        return L.circleMarker(latlng, { radius: 8, weight: 2, color: "#fff",
          fillColor: alert ? "#d50000" : "#ff6f00", fillOpacity: 0.95,
          className: "gp-finding gp-finding-" + f.properties.outcome });
      },
      onEachFeature: function (f, l) {
        l.bindTooltip(D.text(f.properties.kind_label + " · " +
                             (f.properties.camera_name || "")));
        l.bindPopup(function () { return popup(f.properties, labels); }, { maxWidth: 300 });
      }
    });
    var pending = null;
    group.refresh = function () {
      var params = options.params ? options.params(map) : {};
      if (params === null) { group.clearLayers(); return Promise.resolve(); }
      var query = Object.keys(params).map(function (k) {
        return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
      }).join("&");
      if (pending) { pending.abort(); }
      var request = new AbortController();
      pending = request;
      return fetch(options.url + (query ? "?" + query : ""),
                   { credentials: "same-origin", signal: request.signal })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (pending !== request) { return; }
          pending = null;
          if (!data) { return; }
          group.clearLayers();
          group.addData(data);
          group.fire("gp:loaded", { count: data.features.length });
        })
        .catch(function (err) { if (err.name !== "AbortError") { throw err; } });
    };
    return group;
  }

  /* The console's overlay: findings of the last 24 hours in the view, kept fresh. */
  function init(map, config) {
    var findings = layer(map, { url: config.url, labels: config.labels, params: function () {
      var b = map.getBounds();
      var clamp = function (v, limit) { return Math.max(-limit, Math.min(limit, v)).toFixed(6); };
      return { since: new Date(Date.now() - 24 * 3600 * 1000).toISOString(),
               bbox: [clamp(b.getWest(), 180), clamp(b.getSouth(), 90),
                      clamp(b.getEast(), 180), clamp(b.getNorth(), 90)].join(",") };
    } });
    findings.addTo(map);
    window.GridPatrolMap.addOverlay(findings, D.html(config.labels.layer), "findings");
    map.on("moveend", function () { if (map.hasLayer(findings)) { findings.refresh(); } });
    findings.on("add", function () { findings.refresh(); });
    findings.refresh();
    window.setInterval(function () {
      if (map.hasLayer(findings) && !document.hidden) { findings.refresh(); }
    }, 30000);
    return findings;
  }

  window.GridPatrolFindings = { layer: layer, popup: popup, init: init };
}());
