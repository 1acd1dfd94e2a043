/* The tours page: propose a tour from the crime data, edit one (cameras picked on the map
   or proposed, their order and dwell times, the wall, when it runs), save it, start it,
   delete one. Every name and reason is put on the page as text. */
(function () {
  "use strict";

  var D = window.GridPatrolDom;
  var C = null, editing = null, cameras = [], proposal = null;

  function $(id) { return document.getElementById(id); }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_m, key) { return values[key]; });
  }

  function call(method, url, body, extra) {
    var headers = { "Content-Type": "application/json", "X-CSRFToken": C.csrf,
                    Accept: "application/json" };
    Object.keys(extra || {}).forEach(function (k) { headers[k] = extra[k]; });
    return fetch(url, { method: method, credentials: "same-origin", headers: headers,
                        body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; })
          .then(function (b) { return { status: r.status, body: b }; });
      });
  }

  function problem(answer) {
    var body = answer.body || {};
    var lines = (body.errors || []).map(function (e) { return e.field + ": " + e.message; });
    return C.labels.error + " " + (lines.length ? lines.join("; ") : body.message || answer.status);
  }

  function redraw(fit) {
    var list = $("tour-cameras");
    list.replaceChildren();
    if (!cameras.length) { list.appendChild(D.el("li", { class: "note" }, C.labels.empty)); }
    cameras.forEach(function (c, index) {
      var dwell = D.el("input", { type: "number", min: 5, max: 3600, value: c.dwell_s,
                                  "aria-label": C.labels.dwell, class: "dwell" });
      dwell.addEventListener("change", function () { c.dwell_s = Number(dwell.value) || 20; });
      function button(label, text, action) {
        var b = D.el("button", { type: "button", title: label, "aria-label": label }, text);
        b.addEventListener("click", function () { action(); redraw(); });
        return b;
      }
      var reason = c.reason ? (c.reason.text || c.reason.en || "") : "";
      list.appendChild(D.el("li", { "data-camera": c.camera_id },
        D.el("strong", null, c.name || "#" + c.camera_id), " ",
        D.el("label", null, C.labels.dwell + " ", dwell), " ",
        button(C.labels.up, "↑", function () {
          if (index > 0) { cameras.splice(index - 1, 0, cameras.splice(index, 1)[0]); }
        }),
        button(C.labels.down, "↓", function () {
          if (index < cameras.length - 1) {
            cameras.splice(index + 1, 0, cameras.splice(index, 1)[0]);
          }
        }),
        button(C.labels.remove, "✕", function () { cameras.splice(index, 1); }),
        reason ? D.el("span", { class: "reason" }, reason) : null));
    });
    if (window.GridPatrolTourMap) { window.GridPatrolTourMap.setCameras(cameras, !!fit); }
  }

  function setSchedule(schedule) {
    var form = $("tour-editor");
    var windows = (schedule && schedule.windows) || [];
    var first = windows[0] || null;
    Array.prototype.forEach.call(form.querySelectorAll("input[name=weekday]"), function (box) {
      box.checked = !!first && first.weekdays.indexOf(Number(box.value)) >= 0 &&
                    first.weekdays.length < 7;
    });
    form.start.value = first ? first.start : "";
    form.end.value = first ? (first.end === "24:00" ? "00:00" : first.end) : "";
    var dates = schedule && schedule.dates;
    form.date_from.value = dates ? dates.from : "";
    form.date_to.value = dates ? dates.to : "";
  }

  function schedule() {
    var form = $("tour-editor");
    var days = Array.prototype.filter.call(form.querySelectorAll("input[name=weekday]"),
      function (box) { return box.checked; }).map(function (box) { return Number(box.value); });
    var windows = [];
    if (form.start.value && form.end.value) {
      windows.push({ weekdays: days.length ? days : [0, 1, 2, 3, 4, 5, 6],
                     start: form.start.value, end: form.end.value });
    }
    var dates = form.date_from.value && form.date_to.value
      ? { from: form.date_from.value, to: form.date_to.value } : null;
    return { windows: windows, dates: dates };
  }

  function load(tour, id) {
    editing = id;
    proposal = tour.proposal || null;
    var form = $("tour-editor");
    form.name.value = tour.name || "";
    form.area.value = tour.area || "";
    form.layout.value = String(tour.layout || 4);
    setSchedule(tour.schedule);
    cameras = (tour.cameras || []).filter(function (c) { return c.camera_id !== null; })
      .map(function (c) {
        return { camera_id: c.camera_id, name: c.name, dwell_s: c.dwell_s || 20,
                 reason: c.reason || null, lon: c.lon, lat: c.lat, coverage: c.coverage };
      });
    $("editor-title").textContent = id ? fill(C.labels.editing, { id: id }) : C.labels.newTour;
    $("editor-status").textContent = "";
    redraw(true);
  }

  function body() {
    var form = $("tour-editor");
    return { name: form.name.value.trim(), layout: Number(form.layout.value),
             area: form.area.value || null, schedule: schedule(), proposal: proposal,
             cameras: cameras.map(function (c) {
               return { camera_id: c.camera_id, dwell_s: c.dwell_s,
                        reason: c.reason ? { en: c.reason.en || "", zh: c.reason.zh || "" }
                                         : null };
             }) };
  }

  function save(thenStart) {
    var url = editing ? C.api.tours + "/" + editing : C.api.tours;
    return call(editing ? "PUT" : "POST", url, body()).then(function (answer) {
      if (answer.status !== 200 && answer.status !== 201) {
        $("editor-status").textContent = problem(answer);
        return;
      }
      $("editor-status").textContent = C.labels.saved;
      window.location.assign(thenStart ? C.wall.replace("{id}", answer.body.id)
                                       : window.location.pathname);
    });
  }

  /* Every camera with a stream in the editor's area or grid, in walking order: saved at
     once (the server knows which), then shown for ordering and dwell times. */
  function takeArea() {
    var form = $("tour-editor");
    if (!form.area.value || !form.reportValidity()) {
      $("editor-status").textContent = C.labels.pickArea;
      return;
    }
    var request = body();
    delete request.cameras;
    request.all_cameras_in = form.area.value;
    var url = editing ? C.api.tours + "/" + editing : C.api.tours;
    call(editing ? "PUT" : "POST", url, request).then(function (answer) {
      if (answer.status !== 200 && answer.status !== 201) {
        $("editor-status").textContent = problem(answer);
        return;
      }
      load(answer.body, answer.body.id);
      $("editor-status").textContent = C.labels.saved;
    });
  }

  /* The answer of a request that became a job (202): polled until it ends, then the
     job's result as if it had been the answer ({status, body}); other answers as they
     are. */
  function followJob(answer) {
    if (answer.status !== 202) { return answer; }
    var url = "/api/v1/jobs/" + Number(answer.body.id);
    return new Promise(function (resolve) {
      function poll() {
        call("GET", url).then(function (job) {
          var j = job.body || {};
          if (j.state === "queued" || j.state === "running") {
            $("propose-status").textContent = C.labels.proposing + " " +
              Math.round(100 * (j.progress || 0)) + " %" + (j.message ? " · " + j.message : "");
            window.setTimeout(poll, 1000);
          } else if (j.state === "done") {
            call("GET", url + "/result").then(resolve);
          } else {
            resolve({ status: 422, body: j.error || { message: j.state } });
          }
        }).catch(function () { window.setTimeout(poll, 3000); });
      }
      poll();
    });
  }

  function propose(event) {
    event.preventDefault();
    var form = $("propose-form");
    var request = { area: form.area.value, hour: Number(form.hour.value),
                    hours: Number(form.hours.value), layout: Number(form.layout.value) };
    if (form.weekday.value) { request.weekday = Number(form.weekday.value); }
    if (form.category.value) { request.category = [form.category.value]; }
    if (form.from.value) { request.from = form.from.value; }
    if (form.to.value) { request.to = form.to.value; }
    $("propose-status").textContent = C.labels.proposing;
    $("propose").disabled = true;
    // a job (the page always asks for one): its progress here, then its result
    call("POST", C.api.propose, request, { Prefer: "respond-async" })
      .then(followJob)
      .then(function (answer) {
      $("propose").disabled = false;
      if (answer.status !== 200) { $("propose-status").textContent = problem(answer); return; }
      var p = answer.body;
      var text = fill(C.labels.summary, {
        targets: p.incidents.in_hot_cells, hours: p.hours, cells: p.cells.hot.length,
        period: p.period.from + " – " + p.period.to, cameras: p.cameras.length,
        seen: p.incidents.seen });
      if (p.message) { text += " " + p.message; }
      if (p.left_out.length) {
        text += " " + fill(C.labels.leftOut, { names: p.left_out.map(function (c) {
          return c.name || "#" + c.camera_id; }).join(", ") });
      }
      $("propose-status").textContent = text;
      var byId = {};
      p.cameras.forEach(function (c) { byId[c.camera_id] = c; });
      var draft = p.tour;
      draft.cameras = draft.cameras.map(function (c) {
        var known = byId[c.camera_id];
        return { camera_id: c.camera_id, dwell_s: c.dwell_s, name: known.name,
                 lon: known.lon, lat: known.lat, reason: known.reason };
      });
      load(draft, null);
    });
  }

  function picked(feature) {
    var p = feature.properties;
    if (!p.has_stream) { $("editor-status").textContent = C.labels.noStream; return; }
    if (cameras.some(function (c) { return c.camera_id === p.id; })) {
      $("editor-status").textContent = C.labels.already;
      return;
    }
    cameras.push({ camera_id: p.id, name: p.name, dwell_s: 20, reason: null,
                   lon: feature.geometry.coordinates[0], lat: feature.geometry.coordinates[1] });
    $("editor-status").textContent = "";
    redraw();
  }

  window.GridPatrolTours = {
    init: function (config) {
      C = config;
      $("propose-form").addEventListener("submit", propose);
      $("tour-editor").addEventListener("submit", function (event) {
        event.preventDefault();
        save(false);
      });
      $("save-start").addEventListener("click", function () {
        if ($("tour-editor").reportValidity()) { save(true); }
      });
      $("take-area").addEventListener("click", takeArea);
      $("new-tour").addEventListener("click", function () {
        load({ name: "", layout: 4, cameras: [] }, null);
      });
      document.querySelectorAll(".edit-tour").forEach(function (button) {
        button.addEventListener("click", function () {
          var id = button.getAttribute("data-tour");
          call("GET", C.api.tours + "/" + id).then(function (answer) {
            if (answer.status === 200) { load(answer.body, Number(id)); }
          });
        });
      });
      document.querySelectorAll(".delete-tour").forEach(function (button) {
        button.addEventListener("click", function () {
          if (!window.confirm(C.labels.confirm)) { return; }
          call("DELETE", C.api.tours + "/" + button.getAttribute("data-tour"))
            .then(function (answer) {
              if (answer.status === 200) { window.location.reload(); }
            });
        });
      });
      if (window.GridPatrolTourMap) { window.GridPatrolTourMap.onPick(picked); }
      redraw();
    }
  };
}());
