/* Crime series pages. The builder finds incidents (GET /api/v1/series/incidents), shows
   them on the map and in a list; a click on either picks or drops one; the picked ones
   are kept as a series (POST /api/v1/series). The view draws a series: incidents
   numbered in time order, the mean centre and the standard deviational ellipse, the
   corridors between consecutive incidents and the cameras watching them; it makes the
   temporary must-visit points (POST …/must-visit-points). Text from the server is only
   ever put on the page as text. */
(function () {
  "use strict";
  var D = window.GridPatrolDom;
  var M = window.GridPatrolEvidenceMap;

  function fill(template, values) { return M.fill(template, values); }

  function say(id, text, kind) {
    var status = document.getElementById(id);
    status.textContent = text || "";
    status.className = "status" + (kind ? " " + kind : "");
  }

  function post(url, csrf, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRFToken": csrf }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); });
  }

  function refusal(label, answer) {
    return label + ": " + (answer.field ? answer.field + ": " : "") +
      (answer.message || answer.error);
  }

  /* --- the builder -------------------------------------------------------------------- */

  function builder(map, config) {
    var L$ = config.labels;
    var filter = document.getElementById("series-filter");
    var save = document.getElementById("series-save");
    var tbody = document.querySelector("#candidates tbody");
    var found = [];            // features, newest first
    var chosen = {};           // id -> feature
    var markers = {};          // id -> circle marker
    var layer = L.featureGroup().addTo(map);

    function style(id) {
      return chosen[id] ? { radius: 7, color: "#fff", weight: 2, fillColor: "#c62828",
                            fillOpacity: 1 }
                        : { radius: 6, color: "#333", weight: 1, fillColor: "#9e9e9e",
                            fillOpacity: 0.85 };
    }

    function count() {
      var n = Object.keys(chosen).length;
      document.getElementById("selected-count").textContent = fill(L$.selected, { n: n });
      window.gridpatrol.series = { found: found.length, chosen: n };
    }

    function toggle(id) {
      var feature = found.filter(function (f) { return f.properties.id === id; })[0];
      if (chosen[id]) { delete chosen[id]; } else if (feature) { chosen[id] = feature; }
      if (markers[id]) { markers[id].setStyle(style(id)); }
      var box = document.getElementById("pick-" + id);
      if (box) { box.checked = Boolean(chosen[id]); box.closest("tr").classList.toggle(
        "chosen", Boolean(chosen[id])); }
      count();
    }

    function describe(p) {
      return (p.time_resolution === "minute" ? p.local_time.replace("T", " ")
              : p.local_time.slice(0, 10)) + " · " +
        (config.categories[p.category] || p.category);
    }

    function show(collection) {
      found = collection.features;
      layer.clearLayers();
      markers = {};
      found.forEach(function (f) {
        var p = f.properties;
        var marker = L.circleMarker([f.geometry.coordinates[1], f.geometry.coordinates[0]],
                                    style(p.id));
        marker.bindTooltip(function () {
          return D.el("div", null, D.el("strong", null, describe(p)),
                      D.el("div", null, p.description || p.source_category || ""),
                      D.el("div", null, p.address || ""));
        });
        marker.on("click", function () { toggle(p.id); });
        marker.addTo(layer);
        markers[p.id] = marker;
      });
      tbody.replaceChildren.apply(tbody, found.map(function (f) {
        var p = f.properties;
        var box = D.el("input", { type: "checkbox", id: "pick-" + p.id,
                                  "aria-label": L$.pick });
        box.checked = Boolean(chosen[p.id]);
        box.addEventListener("change", function () { toggle(p.id); });
        return D.el("tr", { class: chosen[p.id] ? "chosen" : null }, D.el("td", null, box),
          D.el("td", null, p.time_resolution === "minute" ? p.local_time.replace("T", " ")
               : p.local_time.slice(0, 10)),
          D.el("td", null, config.categories[p.category] || p.category),
          D.el("td", null, p.description || p.source_category || ""),
          D.el("td", null, p.address || ""));
      }));
      document.getElementById("candidates-box").hidden = !found.length;
      var props = collection.properties;
      say("series-status", found.length ? fill(L$.found, { listed: props.listed,
                                                            matched: props.matched })
                                        : L$.none);
      var bounds = layer.getBounds();
      if (bounds.isValid() && !filter.elements.in_view.checked) {
        map.fitBounds(bounds.pad(0.2), { maxZoom: 17, animate: false });
      }
      count();
    }

    filter.addEventListener("submit", function (event) {
      event.preventDefault();
      var params = new URLSearchParams();
      ["category", "q", "from", "to", "area"].forEach(function (name) {
        var value = filter.elements[name].value.trim();
        if (value) { params.set(name, value); }
      });
      if (filter.elements.in_view.checked) {
        var b = map.getBounds();
        params.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
          .map(function (v) { return v.toFixed(6); }).join(","));
      }
      say("series-status", L$.loading);
      fetch(config.api.incidents + "?" + params.toString(),
            { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
        .then(function (res) {
          if (!res[0]) { say("series-status", refusal(L$.error, res[1]), "error"); return; }
          show(res[1]);
        });
    });

    document.getElementById("select-all").addEventListener("click", function () {
      found.forEach(function (f) { if (!chosen[f.properties.id]) { toggle(f.properties.id); } });
    });
    document.getElementById("select-none").addEventListener("click", function () {
      Object.keys(chosen).forEach(function (id) { toggle(Number(id)); });
    });

    if (config.canSave) {
      save.addEventListener("submit", function (event) {
        event.preventDefault();
        var ids = Object.keys(chosen).map(Number);
        if (!ids.length) { say("series-status", L$.empty, "error"); return; }
        var name = save.elements.name.value.trim();
        if (!name) { say("series-status", L$.name, "error"); return; }
        var params = {};
        ["category", "q", "from", "to", "area"].forEach(function (key) {
          var value = filter.elements[key].value.trim();
          if (value) { params[key] = value; }
        });
        var body = { name: name, incident_ids: ids, params: params };
        if (save.elements.notes.value.trim()) { body.notes = save.elements.notes.value; }
        if (save.elements.reason.value.trim()) { body.reason = save.elements.reason.value; }
        post(config.api.series, config.csrf, body).then(function (res) {
          if (!res[0]) { say("series-status", refusal(L$.error, res[1]), "error"); return; }
          say("series-status", L$.saved, "ok");
          window.location.assign(config.view.replace(/0$/, String(res[1].id)));
        });
      });
    }
    count();
  }

  /* --- one series --------------------------------------------------------------------- */

  var CORRIDOR_COLOURS = ["#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#2e7d32", "#ad1457"];

  function view(map, config) {
    var L$ = config.labels;
    var s = config.series;
    var all = L.featureGroup().addTo(map);
    var ellipse = L.featureGroup(), corridors = L.featureGroup(), cameras = L.featureGroup();
    var incidents = L.featureGroup();
    var d = s.description;
    if (d && d.ellipse) {
      L.geoJSON(d.ellipse.geometry, { style: { color: "#6a1b9a", weight: 2,
        fillColor: "#6a1b9a", fillOpacity: 0.08 }, interactive: false }).addTo(ellipse);
    }
    if (d) {
      L.circleMarker([d.centre.lat, d.centre.lon], { radius: 6, color: "#6a1b9a", weight: 3,
        fillColor: "#fff", fillOpacity: 1 }).bindTooltip(D.text(L$.centre)).addTo(ellipse);
    }
    s.corridors.features.forEach(function (f, i) {
      if (!f.geometry) { return; }
      var p = f.properties;
      L.geoJSON(f.geometry, { style: { color: CORRIDOR_COLOURS[i % CORRIDOR_COLOURS.length],
                                       weight: 4, opacity: 0.8 } })
        .bindTooltip(D.text(fill(L$.corridor, { from: p.from_n, to: p.to_n }) + ": " +
          fill(L$.km, { km: (p.distance_m / 1000).toFixed(2),
                        min: (p.eta_s / 60).toFixed(1) })))
        .addTo(corridors);
    });
    s.incidents.forEach(function (incident) {
      M.numbered([incident.lat, incident.lon], incident.n).bindPopup(function () {
        return D.el("div", { class: "gp-sighting" },
          D.el("strong", null, incident.n + ". " + incident.local_time.replace("T", " ")),
          D.el("div", null, incident.description || incident.source_category || ""),
          D.el("div", null, incident.address || ""));
      }).addTo(incidents);
    });
    s.cameras.forEach(function (camera) {
      var marker = M.numbered([camera.lat, camera.lon], camera.order, {
        fillColor: "#f9a825", color: "#000", weight: 1, radius: 8 });
      marker.bindPopup(function () {
        return D.el("div", { class: "gp-sighting" },
          D.el("strong", null, camera.order + ". " + (camera.name || "#" + camera.camera_id)),
          D.el("div", null, L$.hours + ": " + (camera.hours_text || "—")),
          D.el("div", null, camera.reason));
      });
      marker.on("click", function () {
        var row = document.getElementById("series-camera-" + camera.order);
        if (row) { row.classList.add("flash-row"); }
      });
      marker.addTo(cameras);
    });
    [ellipse, corridors, cameras, incidents].forEach(function (layer) { layer.addTo(all); });
    GridPatrolMap.addOverlay(incidents, L$.incidents, "seriesIncidents");
    GridPatrolMap.addOverlay(ellipse, L$.ellipse, "seriesEllipse");
    GridPatrolMap.addOverlay(corridors, L$.corridors, "seriesCorridors");
    GridPatrolMap.addOverlay(cameras, L$.cameras, "seriesCameras");
    GridPatrolMap.addLegend(map, "series-legend", s.name, [
      ["#c62828", L$.incidents], ["#6a1b9a", L$.ellipse], ["#1565c0", L$.corridors],
      ["#f9a825", L$.cameras]]);
    var bounds = all.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds.pad(0.15), { animate: false }); }
    window.gridpatrol.seriesView = {
      incidents: s.incidents.length, cameras: s.cameras.length,
      corridors: s.corridors.features.filter(function (f) { return f.geometry; }).length,
      ellipse: Boolean(d && d.ellipse) };

    if (config.canPromote) {  // temporary must-visit points
      reasonedForm(config, "points-form", "points-status", L$.working, function (form) {
        return { url: config.api.points, body: {
          until: form.elements.until.value, place: form.elements.place.value,
          windows: form.elements.windows.value, reason: form.elements.reason.value } };
      }, function (answer) {
        say("points-status", fill(L$.made, { n: answer.points.length,
                                              until: answer.until }), "ok");
        window.gridpatrol.seriesView.points = answer.points.length;
      });
    }
    if (config.canTour) {  // handed to the video centre: a tour of its corridor cameras
      reasonedForm(config, "tour-form", "tour-status", L$.touring, function (form) {
        var body = { windows: form.elements.windows.value,
                     layout: Number(form.elements.layout.value),
                     reason: form.elements.reason.value };
        if (form.elements.until.value) { body.until = form.elements.until.value; }
        return { url: config.api.tour, body: body };
      }, function (answer) {
        var tour = answer.tour;
        say("tour-status", fill(L$.tourMade, { name: tour.name, n: tour.cameras.length,
                                                left: answer.left_out.length }), "ok");
        if (config.canWall) {
          document.getElementById("tour-status").append(" ", D.el("a", {
            href: "/video/tours/" + tour.id + "/wall", id: "tour-wall-link" }, L$.openWall));
        }
        window.gridpatrol.seriesView.tour = tour.id;
      });
    }
  }

  /* A form whose action is audited: the reason is required; ``request(form)`` gives
     {url, body} to POST, ``done(answer)`` shows what was made; a refusal is shown. */
  function reasonedForm(config, formId, statusId, working, request, done) {
    var form = document.getElementById(formId);
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.elements.reason.value.trim()) {
        say(statusId, config.labels.noReason, "error"); return;
      }
      say(statusId, working);
      var asked = request(form);
      post(asked.url, config.csrf, asked.body).then(function (res) {
        if (!res[0]) { say(statusId, refusal(config.labels.error, res[1]), "error"); return; }
        done(res[1]);
      });
    });
  }

  window.GridPatrolSeries = { builder: builder, view: view };
}());
