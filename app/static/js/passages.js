/* The plate search page: asks /api/v1/passages (every search with its reason: no reason,
   no request), lists the passages, draws a plate's trace on the map leg by leg with its
   verdict, and lists the vehicles through one checkpoint then another. Every string from
   the data is put on the page as text (GridPatrolDom). */
(function () {
  "use strict";
  var D = window.GridPatrolDom;
  var COLOURS = { plausible: "#2e7d32", fast: "#ef8f00", impossible: "#c62828",
                  same_checkpoint: "#607d8b", unknown: "#9e9e9e" };
  var state = { map: null, config: null, trace: null, window: null, reason: "" };

  function byId(id) { return document.getElementById(id); }

  function fill(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }

  /* "2026-12-03 08:15:30" in the browser's time, as the officer reads a clock */
  function shown(iso) {
    var d = new Date(iso);
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
      two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  function inputValue(d) {
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + "T" +
      two(d.getHours()) + ":" + two(d.getMinutes());
  }

  /* a datetime-local value (the browser's time) as ISO 8601 UTC, what the API reads */
  function iso(value) {
    var d = new Date(value);
    return isNaN(d.getTime()) ? null : d.toISOString();
  }

  function status(text) { byId("passages-status").textContent = text || ""; }

  function error(text) {
    var box = byId("passages-error");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function ask(url, params) {
    var query = new URLSearchParams();
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      if (Array.isArray(value)) { value = value.join(","); }
      if (value !== null && value !== undefined && value !== "") { query.set(key, value); }
    });
    return fetch(url + "?" + query.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": state.config.csrf }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          var message = body.message || (state.config.labels.failed + " (" +
                                         response.status + ")");
          throw new Error(message);
        }
        return body;
      });
    });
  }

  function table(id, headings, rows) {
    var node = byId(id);
    node.replaceChildren(
      D.el("thead", null, D.el("tr", null, headings.map(function (h) {
        return D.el("th", { scope: "col" }, h);
      }))),
      D.el("tbody", null, rows));
    node.hidden = false;
    return node;
  }

  function hide(id) { byId(id).hidden = true; byId(id).replaceChildren(); }

  function reasonOf(form) {
    var field = form.elements.reason;
    var reason = field.value.trim();
    if (reason.length < 2) {
      error(state.config.labels.reasonRequired);
      field.setAttribute("aria-invalid", "true");
      field.focus();
      return null;
    }
    field.removeAttribute("aria-invalid");
    return reason;
  }

  function traceButton(plate) {
    var button = D.el("button", { type: "button", class: "trace-plate", "data-plate": plate },
                      state.config.labels.trace);
    button.addEventListener("click", function () { showTrace(plate); });
    return button;
  }

  /* --- plate search ------------------------------------------------------------------- */

  function searchPlates(event) {
    event.preventDefault();
    error("");
    var form = event.target;
    var reason = reasonOf(form);
    if (reason === null) { return; }
    var labels = state.config.labels;
    var chosen = Array.prototype.filter.call(form.elements.checkpoints.options,
                                             function (o) { return o.selected; })
      .map(function (o) { return o.value; });
    state.window = { from: iso(form.elements.from.value), to: iso(form.elements.to.value) };
    state.reason = reason;
    status(labels.searching);
    ask(state.config.api.search, { plate: form.elements.plate.value, from: state.window.from,
                                   to: state.window.to, checkpoints: chosen, reason: reason })
      .then(function (answer) {
        var c = labels.columns;
        var rows = answer.passages.map(function (p) {
          return D.el("tr", { "data-id": p.id },
            D.el("td", null, shown(p.passed_at)),
            D.el("td", { class: "plate" }, p.plate, " ", traceButton(p.plate)),
            D.el("td", null, p.checkpoint.code + " · " + p.checkpoint.name),
            D.el("td", null, p.direction || ""), D.el("td", null, p.lane === null ? "" : p.lane),
            D.el("td", null, p.vehicle_type || ""), D.el("td", null, p.vehicle_colour || ""));
        });
        table("results-table", [c.time, c.plate, c.checkpoint, c.direction, c.lane, c.vehicle,
                                c.colour], rows);
        status([answer.count ? fill(labels.found, { n: answer.count }) : labels.none,
                answer.truncated ? labels.truncated : "",
                fill(labels.searchId, { id: answer.search_id })].filter(Boolean).join(" · "));
      })
      .catch(function (err) { status(""); error(err.message); });
  }

  /* --- a plate's trace ---------------------------------------------------------------- */

  function showTrace(plate) {
    error("");
    var labels = state.config.labels;
    if (!state.window || !state.reason) { error(labels.reasonRequired); return; }
    status(labels.searching);
    ask(state.config.api.trace, { plate: plate, from: state.window.from, to: state.window.to,
                                  reason: state.reason })
      .then(function (answer) { drawTrace(answer); })
      .catch(function (err) { status(""); error(err.message); });
  }

  function legStyle(feature) {
    var verdict = feature.properties.verdict;
    return { color: COLOURS[verdict] || "#333", weight: verdict === "impossible" ? 5 : 4,
             opacity: 0.9, dashArray: verdict === "impossible" ? "10,8" : null };
  }

  function minutes(seconds) {
    return seconds === null || seconds === undefined ? "" :
      fill(state.config.labels.minutes, { n: (seconds / 60).toFixed(1) });
  }

  function drawTrace(answer) {
    var labels = state.config.labels;
    var map = state.map;
    if (state.trace) { map.removeLayer(state.trace); }
    var legs = answer.features.filter(function (f) { return f.properties.kind === "leg"; });
    var points = answer.features.filter(function (f) { return f.properties.kind === "passage"; });
    var group = L.featureGroup();
    L.geoJSON({ type: "FeatureCollection", features: legs }, {
      style: legStyle,
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(D.text(p.from_checkpoint + " → " + p.to_checkpoint + ": " +
                                 (labels.verdicts[p.verdict] || p.verdict)));
      }
    }).addTo(group);
    /* one marker per checkpoint, its passages listed in order (a plate seen twice at one
       checkpoint would otherwise get two labels on top of each other) */
    var sites = {};
    points.forEach(function (f) {
      var code = f.properties.checkpoint.code;
      if (!sites[code]) { sites[code] = { feature: f, lines: [] }; }
      sites[code].lines.push((f.properties.order + 1) + ". " + shown(f.properties.passed_at));
    });
    Object.keys(sites).forEach(function (code) {
      var site = sites[code], c = site.feature.geometry.coordinates;
      var p = site.feature.properties;
      L.circleMarker([c[1], c[0]], { radius: 8, weight: 2, color: "#12263f", fillColor: "#fff",
                                     fillOpacity: 1, className: "trace-point" })
        .bindTooltip(D.el("span", null, D.el("strong", null, p.checkpoint.code + " · " +
                                                          p.checkpoint.name),
                          site.lines.map(function (line) { return [D.el("br"), line]; })),
                     { permanent: points.length <= 12, direction: "right" })
        .addTo(group);
    });
    state.trace = group.addTo(map);
    if (points.length) { map.fitBounds(group.getBounds(), { padding: [40, 40], maxZoom: 16 }); }
    var props = answer.properties;
    var verdict = byId("trace-verdict");
    verdict.replaceChildren(
      D.el("strong", null, fill(labels.traceOf, { plate: props.plate }) + ": "),
      props.cloned_plate_suspected ? fill(labels.cloned, { n: props.impossible_legs })
        : labels.noClone,
      props.routing === "straight_line" ? " " + labels.straight : "",
      D.el("span", { class: "search-id" }, fill(labels.searchId, { id: props.search_id })));
    verdict.className = "verdict " + (props.cloned_plate_suspected ? "cloned" : "clear");
    verdict.hidden = false;
    var c = labels.legColumns;
    table("legs-table", [c.from, c.to, c.elapsed, c.road, c.credible, c.speed, c.verdict],
      legs.map(function (f) {
        var p = f.properties;
        return D.el("tr", { class: "leg-" + p.verdict },
          D.el("td", null, p.from_checkpoint + " " + shown(p.from_at)),
          D.el("td", null, p.to_checkpoint + " " + shown(p.to_at)),
          D.el("td", null, minutes(p.elapsed_s)),
          D.el("td", null, p.road_m === null ? "" : (p.road_m / 1000).toFixed(1) + " km, " +
                                                    minutes(p.road_s)),
          D.el("td", null, minutes(p.min_credible_s)),
          D.el("td", null, p.speed_kmh === null ? "" : p.speed_kmh + " km/h"),
          D.el("td", { class: "verdict-cell" }, labels.verdicts[p.verdict] || p.verdict));
      }));
    status("");
  }

  /* --- through A then B --------------------------------------------------------------- */

  function searchThrough(event) {
    event.preventDefault();
    error("");
    var form = event.target;
    var reason = reasonOf(form);
    if (reason === null) { return; }
    var labels = state.config.labels;
    state.window = { from: iso(form.elements.from.value), to: iso(form.elements.to.value) };
    state.reason = reason;
    status(labels.searching);
    ask(state.config.api.through, { first: form.elements.first.value,
                                    then: form.elements.then.value,
                                    within_min: form.elements.within_min.value,
                                    from: state.window.from, to: state.window.to,
                                    reason: reason })
      .then(function (answer) {
        var c = labels.throughColumns;
        table("through-table", [c.plate, c.first, c.then, c.minutes],
          answer.vehicles.map(function (v) {
            return D.el("tr", null, D.el("td", { class: "plate" }, v.plate, " ",
                                         traceButton(v.plate)),
                        D.el("td", null, shown(v.first_at)), D.el("td", null, shown(v.then_at)),
                        D.el("td", null, v.minutes));
          }));
        status([fill(labels.vehicles, { n: answer.count }),
                answer.truncated ? labels.truncated : "",
                fill(labels.searchId, { id: answer.search_id })].filter(Boolean).join(" · "));
      })
      .catch(function (err) { status(""); error(err.message); });
  }

  /* --- the page ----------------------------------------------------------------------- */

  function drawCheckpoints(map, collection) {
    L.geoJSON(collection, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 6, weight: 2, color: "#0d47a1",
                                        fillColor: "#90caf9", fillOpacity: 0.9 });
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(D.text(f.properties.code + " · " + f.properties.name));
      }
    }).addTo(map);
  }

  function defaultWindow(prefix) {
    var start = new Date();
    start.setHours(0, 0, 0, 0);
    var end = new Date(start.getTime() + 24 * 3600 * 1000);
    byId(prefix + "-from").value = byId(prefix + "-from").value || inputValue(start);
    byId(prefix + "-to").value = byId(prefix + "-to").value || inputValue(end);
  }

  window.GridPatrolPassages = {
    init: function (map, config) {
      state.map = map;
      state.config = config;
      drawCheckpoints(map, config.checkpoints);
      defaultWindow("plate");
      defaultWindow("through");
      byId("plate-form").addEventListener("submit", searchPlates);
      byId("through-form").addEventListener("submit", searchThrough);
    }
  };
}());
