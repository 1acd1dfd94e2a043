/* gridpatrol dispatch console: units, alerts and cameras kept live by Server-Sent Events;
   raise an alert on the map, see the camera call-up and ranked units, dispatch in one click.
   The side column lists the open alerts (the current one outlined, new ones marked), the
   current alert with its place in words, and the radio log at its foot. The alert's scene
   on the map is console-scene.js; cameras and their aiming console-cameras.js. Keyboard:
   A raise alert, Esc cancel, 1–9 dispatch the n-th recommended unit, Shift+C close the
   alert, L bring the radio log forward (and back), H home (console-map.js).             */
(function () {
  "use strict";

  var STATUS_COLOURS = {
    available: "#2e7d32", committed_available: "#7cb342", dispatched: "#ef6c00",
    en_route: "#f9a825", on_scene: "#c62828", out_of_service: "#757575"
  };
  var LEVEL_COLOURS = { red: "#d50000", orange: "#ff6d00", yellow: "#ffd600" };
  var C = null;          // config
  var map = null;
  var units = {};        // id -> {data, marker}
  var alertMarkers = {}; // id -> marker
  var alertsById = {};   // id -> the alert as last listed
  var unseen = {};       // ids of alerts that arrived while this console was open, not opened yet
  var current = null;    // the alert shown in the panel, with its call-up
  var picking = false;   // next map click raises an alert
  var svg = null;        // units and alerts are SVG (DOM) markers: few, styled, testable
  var clockOffsetMs = 0; // the server's clock minus this browser's (ages of fixes)
  var ageTimer = null;   // ticks the age in an open unit popup

  var D = window.GridPatrolDom;
  function el(tag, cls, text) { return D.el(tag, cls ? { class: cls } : null, text); }

  function api(method, url, body) {
    var options = { method: method, credentials: "same-origin",
                    headers: { "X-CSRFToken": C.csrf } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (r) {
      noteServerClock(r);
      return r.json().then(function (data) {
        if (!r.ok) { throw new Error(data.message || r.statusText); }
        return data;
      });
    });
  }

  /* A fix's age is reckoned on the server's clock, as the server judges a stale fix: a
     console's own clock may be minutes off. The HTTP Date header gives it to the second,
     so a difference under 2 s is that rounding, not a wrong clock. */
  function noteServerClock(response) {
    var server = Date.parse(response.headers.get("Date") || "");
    if (isNaN(server)) { return; }
    var offset = server - Date.now();
    clockOffsetMs = Math.abs(offset) < 2000 ? 0 : offset;
  }

  function say(text, isError) {
    var box = document.getElementById("gp-message");
    box.textContent = text || "";
    box.className = isError ? "gp-error" : "";
  }

  /* -- units ------------------------------------------------------------------------ */
  function unitTip(u) {
    return u.callsign + " · " + (C.kinds[u.kind] || u.kind) + " · " +
      (C.statuses[u.status] || u.status);
  }

  /* A unit's popup (click the unit): its label, then its last speed (km/h), course
     (degrees and one of eight compass points) and the age of its fix, each only when
     known. All of it text nodes. */
  function given(value) { return value !== null && value !== undefined; }

  function speedText(u) {
    return given(u.speed_mps) ?
      C.labels.kmh.replace("%(n)s", String(Math.round(u.speed_mps * 3.6))) : null;
  }

  function courseText(u) {
    if (!given(u.course_deg)) { return null; }
    var degrees = Math.round(u.course_deg) % 360;
    return degrees + "° " + C.labels.compass[Math.round(degrees / 45) % 8];
  }

  function ageText(u) {
    var at = u.fix_at ? Date.parse(u.fix_at) : NaN;
    if (isNaN(at)) { return null; }
    var s = Math.max(0, Math.round((Date.now() + clockOffsetMs - at) / 1000));
    var fill = function (label, n) { return label.replace("%(n)s", String(n)); };
    if (s < 60) { return fill(C.labels.secondsAgo, s); }
    if (s < 3600) { return fill(C.labels.minutesAgo, Math.floor(s / 60)); }
    if (s < 48 * 3600) { return fill(C.labels.hoursAgo, Math.floor(s / 3600)); }
    return fill(C.labels.daysAgo, Math.floor(s / 86400));
  }

  function unitPopup(u) {
    var facts = D.el("dl", { class: "gp-unit-motion" });
    [["speed", C.labels.speed, speedText(u)], ["course", C.labels.course, courseText(u)],
     ["age", C.labels.lastFix, ageText(u)]].forEach(function (fact) {
      if (fact[2] === null) { return; }
      facts.appendChild(D.el("div", { class: "gp-motion-" + fact[0] },
                             D.el("dt", null, fact[1]), D.el("dd", null, fact[2])));
    });
    return D.el("div", { class: "gp-unit-popup", "data-unit-id": u.id },
                D.el("strong", null, unitTip(u)), facts);
  }

  function tickAge(id) {
    var unit = units[id];
    var node = unit && unit.marker && unit.marker.isPopupOpen() &&
      unit.marker.getPopup().getElement().querySelector(".gp-motion-age dd");
    var text = unit && ageText(unit.data);
    if (node && text) { node.textContent = text; }
  }

  function bindUnitPopup(marker, id) {
    marker.bindPopup(function () { return unitPopup(units[id].data); },
                     { className: "gp-unit-popup-box", minWidth: 160 });
    marker.on("popupopen", function () {
      clearInterval(ageTimer);
      ageTimer = setInterval(function () { tickAge(id); }, 1000);
    });
    marker.on("popupclose", function () { clearInterval(ageTimer); ageTimer = null; });
  }

  function showUnit(u) {
    var known = units[u.id];
    if (!u.active || u.lon === null || u.lon === undefined) {
      if (known && known.marker) { C.unitsLayer.removeLayer(known.marker); }
      units[u.id] = { data: u, marker: null };
      return;
    }
    var colour = STATUS_COLOURS[u.status] || "#000";
    if (known && known.marker) {
      // a moving unit changes only its place: the label and colour are touched only when
      // they change (each label update costs the page a layout; positions come often)
      var before = known.data || {};
      known.marker.setLatLng([u.lat, u.lon]);
      if (before.status !== u.status) { known.marker.setStyle({ fillColor: colour }); }
      if (unitTip(before) !== unitTip(u)) {
        known.marker.setTooltipContent(D.text(unitTip(u)));
      }
      known.data = u;
      if (known.marker.isPopupOpen()) { known.marker.getPopup().update(); }
      if (before.status !== u.status && known.marker.getElement()) {
        known.marker.getElement().setAttribute("data-status", u.status);
      }
      return;
    }
    var marker = L.circleMarker([u.lat, u.lon], {
      radius: 8, weight: 2, color: u.kind === "plainclothes" ? "#311b92" : "#fff",
      fillColor: colour, fillOpacity: 1, className: "gp-unit gp-unit-" + u.id, renderer: svg
    }).bindTooltip(D.text(unitTip(u)), { permanent: true, direction: "right", offset: [8, 0],
                                 className: "gp-unit-label" });
    bindUnitPopup(marker, u.id);
    marker.addTo(C.unitsLayer);
    units[u.id] = { data: u, marker: marker };
    marker.getElement() && marker.getElement().setAttribute("data-status", u.status);
  }

  function loadUnits() {
    return api("GET", C.api.units).then(function (data) {
      data.units.forEach(showUnit);
    });
  }

  /* -- alerts ----------------------------------------------------------------------- */
  function placeText(a) {
    var place = a.place || {};
    return (C.zh ? place.text_zh : place.text_en) ||
      Number(a.lat).toFixed(5) + ", " + Number(a.lon).toFixed(5);
  }

  // A code's label from a table of the page's config, else the value as it is (shown as
  // text). Own keys only: a typed kind such as "constructor" is not a table's property.
  function labelOf(table, value) {
    return table && Object.prototype.hasOwnProperty.call(table, value) ? table[value] : value;
  }

  function alertTitle(a) {
    return "#" + a.id + " " + labelOf(C.levels, a.level) + " · " +
      (a.kind ? labelOf(C.alertKinds, a.kind) : C.labels.alert);
  }

  /* The marker of an alert: the current one large and pulsing, new ones pulsing until
     opened, the others plain. */
  function styleAlertMarker(id) {
    var marker = alertMarkers[id];
    if (!marker) { return; }
    var isCurrent = current && current.id === id;
    marker.setRadius(isCurrent ? 16 : unseen[id] ? 13 : 9);
    marker.setStyle({ weight: isCurrent ? 4 : 2, color: isCurrent ? "#fff" : "#000" });
    var element = marker.getElement();
    if (element) {
      element.classList.toggle("gp-alert-current", Boolean(isCurrent));
      element.classList.toggle("gp-alert-new", Boolean(unseen[id]) && !isCurrent);
    }
    if (isCurrent) { marker.bringToFront(); }
  }

  function showAlertMarker(a, fresh) {
    var marker = alertMarkers[a.id];
    if (a.status === "closed") {
      if (marker) { C.alertsLayer.removeLayer(marker); delete alertMarkers[a.id]; }
      delete alertsById[a.id];
      delete unseen[a.id];
      listAlerts();
      return;
    }
    if (fresh && !alertsById[a.id] && !(current && current.id === a.id)) { unseen[a.id] = true; }
    alertsById[a.id] = a;
    if (!marker) {
      marker = L.circleMarker([a.lat, a.lon], {
        radius: 9, weight: 2, color: "#000", fillColor: LEVEL_COLOURS[a.level] || "#d50000",
        fillOpacity: 0.9, className: "gp-alert gp-alert-" + a.id, renderer: svg
      }).on("click", function () { openAlert(a.id); });
      marker.addTo(C.alertsLayer);
      alertMarkers[a.id] = marker;
    }
    marker.bindTooltip(D.text(alertTitle(a) + " · " + placeText(a)));
    styleAlertMarker(a.id);
    listAlerts();
  }

  /* The open alerts, newest first: the current one highlighted, new ones marked. */
  function listAlerts() {
    var list = document.getElementById("gp-alerts-list");
    if (!list) { return; }
    var ids = Object.keys(alertsById).map(Number).sort(function (a, b) { return b - a; });
    list.replaceChildren.apply(list, ids.map(function (id) {
      var a = alertsById[id];
      var row = D.el("li", { class: "gp-alert-row gp-level-" + a.level +
                               (current && current.id === id ? " current" : "") +
                               (unseen[id] ? " new" : ""), "data-alert-id": id,
                             tabindex: 0 },
        D.el("span", { class: "gp-alert-row-title" }, alertTitle(a)),
        unseen[id] ? D.el("span", { class: "gp-badge" }, C.labels.newAlert) : null,
        D.el("span", { class: "gp-alert-row-place" }, placeText(a)),
        D.el("span", { class: "gp-alert-row-time" }, (a.raised_at || "").substring(11, 16)));
      row.addEventListener("click", function () { openAlert(id); });
      return row;
    }));
    if (!ids.length) { list.appendChild(el("li", "gp-empty", C.labels.none)); }
    var count = document.getElementById("gp-alerts-count");
    if (count) { count.textContent = String(ids.length); }
  }

  function loadAlerts() {
    return api("GET", C.api.alerts).then(function (data) {
      data.alerts.forEach(function (a) { showAlertMarker(a, false); });
      listAlerts();
    });
  }

  function alertForm(latlng) {
    var field = function (label, control) {
      return D.el("label", null, D.el("span", null, label), control);
    };
    var form = D.el("form", { class: "gp-alert-form" },
      D.el("strong", null, C.labels.raiseAlert),
      field(C.labels.level, D.el("select", { name: "level" },
        ["red", "orange", "yellow"].map(function (level) {
          return D.el("option", { value: level }, C.levels[level]); }))),
      field(C.labels.kind, D.el("input", { name: "kind", maxlength: 64 })),
      field(C.labels.description, D.el("input", { name: "description", maxlength: 4000 })),
      D.el("label", { class: "check" }, D.el("input", { type: "checkbox", name: "covert" }), " ",
           D.el("span", null, C.labels.covert)),
      D.el("button", { type: "submit", id: "gp-raise-submit" }, C.labels.raise),
      D.el("p", { class: "gp-error", role: "alert" }));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      api("POST", C.api.alerts, {
        lon: Number(latlng.lng.toFixed(7)), lat: Number(latlng.lat.toFixed(7)),
        level: form.level.value, kind: form.kind.value || null,
        description: form.description.value || null, covert: form.covert.checked
      }).then(function (answer) {
        map.closePopup();
        showAlertMarker(answer, false);
        renderAlert(answer);
      }).catch(function (err) {
        button.disabled = false;
        form.querySelector(".gp-error").textContent = err.message;
      });
    });
    return form;
  }

  function startPicking() {
    if (!C.canDispatch) { return; }
    picking = true;
    map.getContainer().classList.add("gp-picking");
    say(C.labels.pickPlace);
  }

  function stopPicking() {
    picking = false;
    map.getContainer().classList.remove("gp-picking");
    say("");
  }

  function openAlert(id) {
    return api("GET", C.api.alerts + "/" + id).then(renderAlert);
  }

  function cameraItem(c, kind) {
    var li = el("li", "gp-camera gp-" + kind);
    li.setAttribute("data-camera-id", c.id);
    var title = el("div", "gp-camera-title", (c.name || "#" + c.id) + " · " +
                   (C.cameraKinds[c.kind] || c.kind));
    li.appendChild(title);
    li.appendChild(el("div", "gp-reason", c.reason));
    if (c.snapshot_url && kind === "sees") {
      var img = D.el("img", { class: "gp-snapshot", loading: "eager",
                              alt: C.labels.snapshotOf + " " + (c.name || c.id) });
      img.addEventListener("error", function () {
        img.replaceWith(el("div", "gp-offline", C.labels.offline));
      });
      img.src = D.safeUrl(c.snapshot_url);
      li.appendChild(img);
    }
    var live = window.GridPatrolConsoleLive.control(c, "alert");
    if (live) { li.appendChild(live); }
    li.addEventListener("mouseenter", function () { highlightCamera(c, true); });
    li.addEventListener("mouseleave", function () { highlightCamera(c, false); });
    if (c.azimuth_deg !== undefined) {
      li.appendChild(el("div", "gp-camera-view", c.azimuth_deg === null
        ? C.labels.directionUnknown
        : Math.round(c.azimuth_deg) + "° · " + Math.round(c.fov_deg || 360) + "° · " +
          Math.round(c.range_m || 0) + " m"));
    }
    return li;
  }

  var highlight = null;
  function highlightCamera(c, on) {
    GridPatrolScene.emphasise(c.id, on);
    if (highlight) { map.removeLayer(highlight); highlight = null; }
    if (on) {
      highlight = L.circleMarker([c.lat, c.lon], { radius: 10, color: "#00b8d4", weight: 3,
                                                   fill: false }).addTo(map);
    }
  }

  function section(parent, title, items, render, id) {
    var box = el("section", "gp-section");
    box.id = id;
    box.appendChild(el("h3", null, title + " (" + items.length + ")"));
    var list = el("ol", "gp-list");
    items.forEach(function (item, i) { list.appendChild(render(item, i)); });
    if (!items.length) { list.appendChild(el("li", "gp-empty", C.labels.none)); }
    box.appendChild(list);
    parent.appendChild(box);
  }

  function unitItem(u, i) {
    var li = el("li", "gp-rec-unit");
    li.setAttribute("data-unit-id", u.id);
    var head = el("div", "gp-unit-head");
    head.appendChild(el("kbd", null, i < 9 ? String(i + 1) : ""));
    head.appendChild(el("strong", null, u.callsign));
    head.appendChild(el("span", "gp-unit-kind", C.kinds[u.kind] || u.kind));
    head.appendChild(el("span", "gp-eta", (u.eta_s / 60).toFixed(1) + " min · " +
                        (u.distance_m / 1000).toFixed(2) + " km"));
    if (u.stale) { head.appendChild(el("span", "gp-stale", C.labels.stale)); }
    li.appendChild(head);
    li.appendChild(el("div", "gp-reason", u.reason));
    if (C.canDispatch) {
      var button = el("button", "gp-dispatch", C.labels.dispatch);
      button.type = "button";
      button.addEventListener("click", function () { dispatchUnits([u.id]); });
      li.appendChild(button);
    }
    GridPatrolScene.routeOnHover(li, u, current, function (id) {
      var known = units[id] && units[id].data;
      return known && known.lon !== null && known.lon !== undefined
        ? [Number(known.lon).toFixed(6), Number(known.lat).toFixed(6)] : null;
    });
    return li;
  }

  function renderAlert(a) {
    var previous = current;
    current = a;
    delete unseen[a.id];
    if (previous && previous.id !== a.id) { styleAlertMarker(previous.id); }
    if (a.status !== "closed") { alertsById[a.id] = a; }
    styleAlertMarker(a.id);
    listAlerts();
    GridPatrolScene.show(a, C.labels);
    var panel = document.getElementById("gp-alert");
    panel.replaceChildren();
    panel.hidden = false;
    panel.setAttribute("data-alert-id", a.id);
    // what and where: held at the top of the panel while the units below are scrolled
    var head = el("header", "gp-alert-head gp-level-" + a.level);
    head.appendChild(el("h2", null, alertTitle(a) + (a.covert ? " · " + C.labels.covert : "")));
    head.appendChild(D.el("p", { class: "gp-alert-place", id: "gp-alert-place",
                                 title: Number(a.lat).toFixed(5) + ", " +
                                        Number(a.lon).toFixed(5) }, placeText(a)));
    panel.appendChild(head);
    if (a.description) { panel.appendChild(el("p", null, a.description)); }
    panel.appendChild(el("p", "gp-alert-status",
                         C.labels.status + ": " + labelOf(C.alertStatuses, a.status)));
    if (C.canDispatch && a.status !== "closed") {
      var close = el("button", "gp-close-alert", C.labels.closeAlert);
      close.type = "button";
      close.addEventListener("click", closeAlert);
      panel.appendChild(close);
    }
    if (a.assigned_units && a.assigned_units.length) {
      var assigned = el("p", "gp-assigned", C.labels.assigned + ": " + a.assigned_units.map(
        function (u) { return u.callsign + " (" + (C.statuses[u.status] || u.status) + ")"; })
        .join(", "));
      panel.appendChild(assigned);
    }
    if (window.GridPatrolOrders) { window.GridPatrolOrders.renderAlert(panel, a); }
    section(panel, C.labels.unitsTitle, a.units || [], unitItem, "gp-units");
    if (a.units_unavailable) {
      panel.appendChild(el("p", "gp-units-unavailable", a.units_unavailable.reason));
    }
    section(panel, C.labels.camerasSee, a.cameras || [],
            function (c) { return cameraItem(c, "sees"); }, "gp-cameras");
    section(panel, C.labels.camerasEscape, a.escape_cameras || [],
            function (c) { return cameraItem(c, "escape"); }, "gp-escape");
    section(panel, C.labels.camerasNearby, a.nearby_cameras || [],
            function (c) { return cameraItem(c, "nearby"); }, "gp-nearby");
    if (a.timeline) {
      section(panel, C.labels.timeline, a.timeline, function (e) {
        var li = el("li", "gp-event", e.at.substring(11, 19) + " " +
                    (C.events[e.event] || e.event) + " · " + e.actor);
        var d = e.details || {};
        if (e.event === "radio_call") {
          li.appendChild(el("span", "gp-call", " · TG " + d.talkgroup + " · " +
                            (d.units || []).join(", ") + " · " + d.seconds + " s"));
          if (d.audio && C.api.radio) { li.appendChild(recording(d.radio_log_id)); }
        }
        return li;
      }, "gp-timeline");
    }
    window.GridPatrolConsoleLive.sweep();  // tiles of cameras no longer listed stop
  }

  function dispatchUnits(ids) {
    if (!current || !C.canDispatch) { return; }
    var id = current.id;
    api("POST", C.api.alerts + "/" + id + "/dispatch", { unit_ids: ids })
      .then(function (res) {
        res.orders.forEach(function (o) {
          say(o.body + " — " + ((C.deliveries || {})[o.delivery] || o.delivery)); });
        return openAlert(id);
      })
      .catch(function (err) { say(err.message, true); });
  }

  function closeAlert() {
    if (!current) { return; }
    var id = current.id;
    api("POST", C.api.alerts + "/" + id + "/close", {})
      .then(function (a) { showAlertMarker(a); return openAlert(id); })
      .catch(function (err) { say(err.message, true); });
  }

  /* -- radio log -------------------------------------------------------------------- */
  // A recorded call's player: the audio is fetched only when played (preload none), as
  // byte ranges of GET /radio-log/ID/audio; shown to the roles that read the radio log,
  // who may hear it (every request audited).
  function recording(entryId) {
    return D.el("audio", { class: "gp-recording", controls: true, preload: "none",
                           "aria-label": C.labels.recording, "data-radio-id": entryId,
                           src: C.api.radio + "/" + Number(entryId) + "/audio" });
  }

  function radioLine(entry) {
    var li = el("li", "gp-radio gp-radio-" + entry.direction);
    li.setAttribute("data-radio-id", entry.id);
    li.setAttribute("data-kind", entry.kind);
    li.textContent = (entry.at || "").substring(11, 19) + " " +
      (entry.direction === "out" ? "→ " : "← ") + entry.body +
      (entry.delivery && entry.delivery !== "none"
        ? " [" + labelOf(C.deliveries, entry.delivery) + "]" : "");
    if (entry.kind === "call" && entry.payload && entry.payload.audio) {
      li.appendChild(recording(entry.id));
    }
    return li;
  }

  function addRadio(entry) {
    var list = document.getElementById("gp-radio-list");
    var old = list.querySelector("[data-radio-id='" + entry.id + "']");
    if (old) { old.replaceWith(radioLine(entry)); return; }
    list.appendChild(radioLine(entry));
    while (list.children.length > 200) { list.removeChild(list.firstChild); }
    list.scrollTop = list.scrollHeight;
  }

  function loadRadio() {
    if (!C.api.radio) { return Promise.resolve(); }
    return api("GET", C.api.radio + "?limit=50").then(function (data) {
      document.getElementById("gp-radio-list").replaceChildren();
      data.entries.forEach(addRadio);
    });
  }

  /* -- live events ------------------------------------------------------------------ */
  var retryMs = 2000;

  function connect() {
    var source = new EventSource(C.api.events);
    source.addEventListener("hello", function () {
      window.gridpatrol.live = true;
      retryMs = 2000;
    });
    source.onerror = function () {
      // A dropped connection is retried by the browser itself (with Last-Event-ID); an
      // answer that is not a stream (429 too many consoles, 502/503 while the app or the
      // database restarts) closes it for good: try again later, then reload the state.
      if (source.readyState !== EventSource.CLOSED) { return; }
      window.gridpatrol.live = false;
      setTimeout(function () { connect(); loadUnits(); loadAlerts(); loadRadio(); }, retryMs);
      retryMs = Math.min(retryMs * 2, 60000);
    };
    source.addEventListener("unit", function (e) {
      var u = JSON.parse(e.data);
      showUnit(u);
      // a ranked unit dispatched or gone off duty elsewhere leaves the list: reload it
      if (current && (current.units || []).some(function (r) {
        return r.id === u.id && r.status !== u.status; })) { openAlert(current.id); }
    });
    source.addEventListener("alert", function (e) {
      var a = JSON.parse(e.data);
      showAlertMarker(a, true);
      if (current && current.id === a.id) { openAlert(a.id); }
    });
    source.addEventListener("alert_event", function (e) {
      var ev = JSON.parse(e.data);
      if (current && current.id === ev.alert_id) { openAlert(ev.alert_id); }
    });
    source.addEventListener("radio", function (e) { addRadio(JSON.parse(e.data)); });
    source.addEventListener("cameras", function () {
      if (C.camerasLayer) { C.camerasLayer.refresh(); }
    });
    source.addEventListener("resync", function () {
      // every console hears this at once when the database has restarted: spread the
      // reloads over a few seconds instead of asking the server all together
      setTimeout(function () { loadUnits(); loadAlerts(); loadRadio(); },
                 Math.random() * 3000);
    });
    if (window.GridPatrolOrders) { window.GridPatrolOrders.listen(source); }
    window.gridpatrol.events = source;
  }

  function keys(event) {
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
                   target.tagName === "SELECT")) { return; }
    if (event.key === "a" || event.key === "A") { if (!event.shiftKey) { startPicking(); } }
    else if (event.key === "Escape") { stopPicking(); map.closePopup(); }
    else if (event.key === "C" && event.shiftKey) { closeAlert(); }
    else if (event.key === "l" || event.key === "L") { toggleRadio(); }
    else if (/^[1-9]$/.test(event.key) && current && current.units) {
      var unit = current.units[Number(event.key) - 1];
      if (unit) { dispatchUnits([unit.id]); }
    } else { return; }
    event.preventDefault();
  }

  /* L: the radio log, always on screen at the foot of the column, grows to take most of
     it (and takes the keyboard focus), or goes back to its place. */
  function toggleRadio() {
    var radio = document.getElementById("gp-radio");
    if (radio.hidden) { return; }
    var expanded = radio.classList.toggle("gp-radio-expanded");
    radio.setAttribute("aria-expanded", String(expanded));
    var list = document.getElementById("gp-radio-list");
    list.scrollTop = list.scrollHeight;
    radio.classList.remove("gp-flash");
    void radio.offsetWidth;  // restart the flash
    radio.classList.add("gp-flash");
    if (expanded) { radio.focus(); }
  }

  /* The side column: the toolbar, the open alerts, the current alert (scrolls on its
     own), the radio log (always visible at the foot), the keys. */
  function panel() {
    var raise = D.el("button", { type: "button", id: "gp-raise", hidden: !C.canDispatch },
                     C.labels.raiseAlert + " (A)");
    raise.addEventListener("click", startPicking);
    var radioTitle = D.el("h3", { class: "gp-radio-title" }, C.labels.radioLog + " (L)");
    radioTitle.addEventListener("click", toggleRadio);
    var box = D.el("aside", { class: "gp-panel", id: "gp-panel" },
      D.el("div", { class: "gp-toolbar" }, raise, D.el("span", { id: "gp-message",
                                                                 role: "status" })),
      D.el("section", { id: "gp-alarms", hidden: true, role: "alert" }),
      D.el("section", { id: "gp-alerts", class: "gp-alerts" },
           D.el("h3", null, C.labels.openAlerts + " (", D.el("span", { id: "gp-alerts-count" },
                                                              "0"), ")"),
           D.el("ol", { id: "gp-alerts-list" })),
      D.el("div", { id: "gp-alert", class: "gp-alert-detail", hidden: true }),
      D.el("section", { id: "gp-radio", hidden: !C.api.radio, tabindex: -1,
                        "aria-expanded": "false" },
           radioTitle, D.el("ol", { id: "gp-radio-list" })),
      D.el("p", { class: "gp-keys" }, C.labels.keys));
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  }

  window.GridPatrolDispatch = {
    init: function (config) {
      C = config;
      map = window.gridpatrol.map;
      svg = L.svg({ padding: 0.5 });
      GridPatrolScene.init(map);
      C.unitsLayer = L.layerGroup().addTo(map);
      C.alertsLayer = L.layerGroup().addTo(map);
      var cameras = window.gridpatrol.layers.cameras;
      C.camerasLayer = cameras;
      cameras.options.pointToLayer = GridPatrolCameras.init({ config: C, map: map, api: api })
        .pointToLayer;
      GridPatrolMap.addOverlay(C.unitsLayer, C.labels.units);
      GridPatrolMap.addOverlay(C.alertsLayer, C.labels.alerts);
      map.getContainer().parentNode.appendChild(panel());
      map.on("click", function (e) {
        if (!picking) { return; }
        stopPicking();
        L.popup({ minWidth: 240 }).setLatLng(e.latlng).setContent(alertForm(e.latlng))
          .openOn(map);
      });
      document.addEventListener("keydown", keys);
      window.gridpatrol.dispatch = { units: units, alerts: alertMarkers,
                                     current: function () { return current; },
                                     openAlert: openAlert };
      if (window.GridPatrolOrders) { window.GridPatrolOrders.init(C); }
      Promise.all([loadUnits(), loadAlerts(), loadRadio()]).then(function () {
        window.gridpatrol.dispatchReady = true;
      });
      connect();
    }
  };
}());
