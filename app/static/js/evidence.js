/* The evidence plan page: set the place (a click), the time, the mode and the way — drawn
   point by point, a GPX or GeoJSON file, a destination to route to, or every way out
   within some minutes — and POST /api/v1/evidence-plans; the answer's cameras are drawn
   numbered and listed with their windows, recording links and the plan's sheet and CSV.
   Data from the server reaches the page as text only. */
(function () {
  "use strict";
  var D = window.GridPatrolDom;
  var M = window.GridPatrolEvidenceMap;

  /* The offset of ``zone`` at an instant, in minutes (Intl gives the zone's wall clock). */
  function offsetMinutes(instant, zone) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      second: "2-digit" }).formatToParts(instant).forEach(function (p) {
      parts[p.type] = p.value;
    });
    var wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24,
                        +parts.minute, +parts.second);
    return Math.round((wall - instant.getTime()) / 60000);
  }

  /* "2025-03-01T21:14" on the clock of ``zone`` as ISO 8601 with its offset. */
  function zonedIso(wall, zone) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(wall || "");
    if (!m) { return null; }
    var guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
    var offset = offsetMinutes(new Date(guess), zone);
    offset = offsetMinutes(new Date(guess - offset * 60000), zone);
    var sign = offset < 0 ? "-" : "+", abs = Math.abs(offset);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return m[1] + "-" + m[2] + "-" + m[3] + "T" + m[4] + ":" + m[5] + ":" + (m[6] || "00") +
      sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  function init(map, config) {
    var L$ = config.labels;
    var form = document.getElementById("evidence-form");
    var status = document.getElementById("evidence-status");
    var drawn = L.featureGroup().addTo(map);
    var answerLayer = L.featureGroup().addTo(map);
    var state = { picking: null, start: null, points: [], to: null, file: null };
    var startMarker = null, toMarker = null, line = null;

    function say(text, kind) {
      status.textContent = text || "";
      status.className = "status" + (kind ? " " + kind : "");
    }

    function setStart(latlng) {
      state.start = latlng;
      form.elements.lon.value = latlng.lng.toFixed(7);
      form.elements.lat.value = latlng.lat.toFixed(7);
      if (!startMarker) {
        startMarker = L.circleMarker(latlng, { radius: 8, color: "#000", weight: 2,
          fillColor: "#ffeb3b", fillOpacity: 1 }).bindTooltip(D.text(L$.start)).addTo(drawn);
      }
      startMarker.setLatLng(latlng);
      redrawLine();
    }

    function redrawLine() {
      if (line) { drawn.removeLayer(line); line = null; }
      var points = (state.start ? [state.start] : []).concat(state.points);
      if (points.length >= 2) {
        line = L.polyline(points, { color: "#1f4f8a", weight: 4, dashArray: "8,6" })
          .addTo(drawn);
      }
      document.getElementById("path-points").textContent =
        state.points.length ? M.fill(L$.points, { n: state.points.length + 1 }) : "";
    }

    function pick(mode) {
      state.picking = state.picking === mode ? null : mode;
      document.querySelectorAll("button.pick").forEach(function (b) {
        b.classList.toggle("active", b.getAttribute("data-pick") === state.picking);
      });
      map.getContainer().classList.toggle("picking", Boolean(state.picking));
      if (state.picking === "path") { map.doubleClickZoom.disable(); }
      else { map.doubleClickZoom.enable(); }
      say(state.picking === "start" ? L$.pickStart : state.picking === "to" ? L$.pickTo
          : state.picking === "path" ? L$.pickPath : "");
    }

    [["pick-start", "start"], ["draw-path", "path"], ["pick-to", "to"]].forEach(function (p) {
      var button = document.getElementById(p[0]);
      button.setAttribute("data-pick", p[1]);
      button.addEventListener("click", function () { pick(p[1]); });
    });
    document.getElementById("undo-point").addEventListener("click", function () {
      state.points.pop(); redrawLine();
    });
    document.getElementById("clear-path").addEventListener("click", function () {
      state.points = []; redrawLine();
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && state.picking) { pick(state.picking); }
    });

    map.on("click", function (event) {
      if (state.picking === "start") { setStart(event.latlng); pick("start"); }
      else if (state.picking === "to") {
        state.to = event.latlng;
        if (!toMarker) {
          toMarker = L.circleMarker(event.latlng, { radius: 7, color: "#000", weight: 2,
            fillColor: "#4caf50", fillOpacity: 1 }).bindTooltip(D.text(L$.destination))
            .addTo(drawn);
        }
        toMarker.setLatLng(event.latlng);
        document.getElementById("to-state").textContent =
          event.latlng.lng.toFixed(5) + ", " + event.latlng.lat.toFixed(5);
        pick("to");
      } else if (state.picking === "path") {
        if (!state.start) { setStart(event.latlng); return; }
        state.points.push(event.latlng);
        redrawLine();
      }
    });

    ["lon", "lat"].forEach(function (name) {
      form.elements[name].addEventListener("change", function () {
        var lon = parseFloat(form.elements.lon.value), lat = parseFloat(form.elements.lat.value);
        if (isFinite(lon) && isFinite(lat)) { setStart(L.latLng(lat, lon)); }
      });
    });
    if (config.start && isFinite(config.start.lon) && isFinite(config.start.lat) &&
        config.start.lon !== null) {
      setStart(L.latLng(config.start.lat, config.start.lon));
      map.setView([config.start.lat, config.start.lon], 16, { animate: false });
    }

    function showWay() {
      var way = form.elements.way.value;
      document.querySelectorAll(".way-detail").forEach(function (el) {
        el.hidden = el.getAttribute("data-way") !== way;
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "way") { showWay(); }
    });
    showWay();

    document.getElementById("path-file").addEventListener("change", function (event) {
      var file = event.target.files[0];
      state.file = null;
      if (!file) { return; }
      file.text().then(function (text) {
        var trimmed = text.replace(/^\uFEFF/, "").trim();
        if (trimmed.charAt(0) === "<") { state.file = { gpx: trimmed }; }
        else {
          try { state.file = { path: JSON.parse(trimmed) }; }
          catch (err) { say(L$.badFile, "error"); return; }
        }
        document.getElementById("file-state").textContent = M.fill(L$.fileLoaded,
                                                                   { name: file.name });
      });
    });

    function body() {
      var f = form.elements;
      var lon = parseFloat(f.lon.value), lat = parseFloat(f.lat.value);
      if (!isFinite(lon) || !isFinite(lat)) { throw new Error(L$.noStart); }
      var at = zonedIso(f.at.value, config.zone);
      if (!at) { throw new Error(L$.noTime); }
      if (!f.reason.value.trim()) { throw new Error(L$.noReason); }
      var out = { lon: lon, lat: lat, at: at, mode: f.mode.value, reason: f.reason.value };
      ["alert_id", "incident_id"].forEach(function (name) {
        if (f[name].value) { out[name] = parseInt(f[name].value, 10); }
      });
      if (f.speed_kmh.value) { out.speed_kmh = parseFloat(f.speed_kmh.value); }
      if (f.margin_s.value !== "") { out.margin_s = parseFloat(f.margin_s.value); }
      var way = f.way.value;
      if (way === "path") {
        if (!state.points.length) { throw new Error(L$.noPath); }
        out.path = { type: "LineString", coordinates: [[lon, lat]].concat(
          state.points.map(function (p) { return [p.lng, p.lat]; })) };
      } else if (way === "file") {
        if (!state.file) { throw new Error(L$.badFile); }
        if (state.file.gpx) { out.gpx = state.file.gpx; } else { out.path = state.file.path; }
      } else if (way === "to") {
        if (!state.to) { throw new Error(L$.noTo); }
        out.to = { lon: state.to.lng, lat: state.to.lat };
      } else {
        out.minutes = parseFloat(f.minutes.value);
      }
      return out;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var payload;
      try { payload = body(); } catch (err) { say(err.message, "error"); return; }
      if (state.picking) { pick(state.picking); }
      say(L$.working);
      var button = document.getElementById("find-cameras");
      button.disabled = true;
      fetch(config.api, { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json",
                   "X-CSRFToken": config.csrf },
        body: JSON.stringify(payload) })
        .then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
        .then(function (res) {
          if (!res[0]) {
            say(L$.error + ": " + (res[1].field ? res[1].field + ": " : "") +
                (res[1].message || res[1].error), "error");
            return;
          }
          show(res[1]);
        })
        .catch(function (err) { say(String(err), "error"); })
        .finally(function () { button.disabled = false; });
    });

    function show(plan) {
      var n = plan.cameras.length;
      say(n > 1 ? M.fill(L$.cameras, { n: n }) : n === 1 ? L$.oneCamera : L$.noCameras,
          n ? "ok" : "");
      M.drawPlan(map, plan, L$, answerLayer);
      var bounds = answerLayer.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds.pad(0.1)); }
      var links = document.getElementById("plan-links");
      var sheet = config.sheet.replace(/0$/, String(plan.id));
      var caseText = plan.alert_id ? M.fill(L$.alert, { id: plan.alert_id })
        : plan.incident_id ? M.fill(L$.incident, { id: plan.incident_id }) : null;
      links.replaceChildren(
        D.el("span", { id: "plan-saved" }, M.fill(L$.saved, { id: plan.id }) + " " +
             (caseText ? M.fill(L$.inCase, { case: caseText }) + " " : "")),
        D.el("a", { href: sheet, id: "plan-sheet" }, L$.sheet), " · ",
        D.el("a", { href: config.api + "/" + plan.id + "?format=csv", id: "plan-csv" },
             L$.csv));
      var tbody = document.querySelector("#sightings tbody");
      tbody.replaceChildren.apply(tbody, plan.cameras.map(row));
      document.getElementById("evidence-result").hidden = false;
      window.gridpatrol.evidence = { plan: plan, layer: answerLayer };
    }

    function recording(camera) {
      if (!camera.recording_url) { return D.el("span", { class: "muted" }, L$.noRecording); }
      var url;
      try { url = new URL(camera.recording_url); } catch (err) { url = null; }
      if (url && (url.protocol === "http:" || url.protocol === "https:")) {
        return D.el("a", { href: url.href, target: "_blank", rel: "noopener" }, L$.open);
      }
      var box = D.el("input", { type: "text", readonly: true, class: "recording-url",
                                value: camera.recording_url, "aria-label": L$.recording });
      box.addEventListener("focus", function () { box.select(); });
      return box;
    }

    function row(camera) {
      var kinds = L$.cameraKinds || {};
      return D.el("tr", { id: "sighting-" + camera.order },
        D.el("td", null, String(camera.order)),
        D.el("td", null, D.el("strong", null, camera.name || "#" + camera.camera_id),
          D.el("span", { class: "sub" }, [kinds[camera.kind] || camera.kind,
            camera.gb_id, camera.status === "offline" ? L$.offline : null,
            camera.direction_known ? null : L$.directionUnknown].filter(Boolean).join(" · "))),
        D.el("td", null, camera.road || "—"),
        D.el("td", { class: "window" }, D.el("strong", null, M.clock(camera.window_start)),
          " – ", D.el("strong", null, M.timeOnly(camera.window_end)),
          D.el("span", { class: "sub" }, M.fill(L$.expected, {
            first: M.timeOnly(camera.expected_first), last: M.timeOnly(camera.expected_last)
          }))),
        D.el("td", { class: "reason" }, camera.reason),
        D.el("td", null, recording(camera)));
    }
  }

  window.GridPatrolEvidence = { init: init, zonedIso: zonedIso };
}());
