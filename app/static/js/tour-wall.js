/* The video wall: plays a tour live, step by step, advancing by itself after each step's
   dwell time; keys Space (pause), N (next), P (previous), F (flag a finding), Esc.

   The server keeps the log: the page tells it each step shown (which camera on which
   tile), and every few seconds each tile's state; events go one at a time, in order,
   numbered (a retried one is ignored by the server). A tile is a GridPatrolLiveTile: a
   camera that fails shows why and never holds up the others. */
(function () {
  "use strict";

  var D = window.GridPatrolDom;
  var C = null, plan = null, tiles = [], step = 0, remaining = 0, paused = false;
  var ended = false, seq = 0, queue = Promise.resolve(), chosen = 0, timers = [];
  var soon = null;

  function $(id) { return document.getElementById(id); }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_m, key) { return values[key]; });
  }

  function post(url, body, keepalive) {
    return fetch(url, { method: "POST", credentials: "same-origin", keepalive: !!keepalive,
                        headers: { "Content-Type": "application/json", "X-CSRFToken": C.csrf,
                                   Accept: "application/json" },
                        body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); });
  }

  /* Events go out one after the other, numbered; a lost one is made up for by the next. */
  function send(body) {
    if (!plan || (ended && body.event !== "end")) { return queue; }
    seq += 1;
    body.seq = seq;
    var url = C.api.events.replace("{run}", plan.run_id);
    queue = queue.then(function () {
      return post(url, body).then(function (answer) {
        if (answer[0] === 409) { finish(C.labels.runEnded); }
      }).catch(function () { /* the network: the next heartbeat tells the server again */ });
    });
    return queue;
  }

  /* A tile that starts playing, or fails, is told to the server at once (within half a
     second, several changes in one heartbeat), not at the next regular heartbeat. */
  function stateChanged() {
    if (!plan || ended || soon) { return; }
    soon = window.setTimeout(function () {
      soon = null;
      send({ event: "heartbeat", step: step, tiles: reports() });
    }, 500);
  }

  function reports() {
    return tiles.map(function (t) { return t.report(); }).filter(Boolean);
  }

  function cameraOf(tile) { return tiles[tile] && tiles[tile].camera; }

  function show(index) {
    var steps = plan.steps;
    step = (index + steps.length) % steps.length;
    var current = steps[step];
    tiles.forEach(function (tile, k) { tile.show(current.cameras[k] || null); });
    remaining = current.dwell_s;
    $("wall-step").textContent = fill(C.labels.step, { n: step + 1, of: steps.length });
    tick(true);
    send({ event: "show", step: step, tiles: reports() });
    if (window.GridPatrolTourMap) {
      window.GridPatrolTourMap.highlight(current.cameras.map(function (c) {
        return c.camera_id; }));
    }
    choose(Math.min(chosen, current.cameras.length - 1));
  }

  function tick(quiet) {
    if (!quiet && !paused && !ended) {
      remaining -= 1;
      if (remaining <= 0) { show(step + 1); return; }
    }
    $("wall-countdown").textContent = ended ? "" : Math.max(0, Math.ceil(remaining)) + " s";
  }

  function setPaused(value) {
    if (ended || paused === value) { return; }
    paused = value;
    $("wall-pause").textContent = paused ? C.labels.resume : C.labels.pause;
    $("wall-pause").setAttribute("aria-pressed", paused ? "true" : "false");
    $("wall-state").textContent = paused ? C.labels.paused : C.labels.running;
    send({ event: paused ? "pause" : "resume" });
  }

  function finish(message) {
    if (ended) { return; }
    ended = true;
    timers.forEach(function (t) { window.clearInterval(t); });
    tiles.forEach(function (t) { t.stop(); t.show(null); });
    $("wall-state").textContent = message;
    $("wall-countdown").textContent = "";
  }

  function choose(index) {
    chosen = Math.max(0, index);
    tiles.forEach(function (t, k) { t.node.classList.toggle("chosen", k === chosen); });
    var select = $("flag-camera");
    if (!$("flag-form").hidden && cameraOf(chosen)) {
      select.value = String(cameraOf(chosen).camera_id);
    }
  }

  function openFlag() {
    if (ended) { return; }
    var select = $("flag-camera");
    select.replaceChildren();
    tiles.forEach(function (t, k) {
      if (t.camera) {
        select.appendChild(D.el("option", { value: t.camera.camera_id },
                                (k + 1) + ". " + (t.camera.name || "#" + t.camera.camera_id)));
      }
    });
    if (cameraOf(chosen)) { select.value = String(cameraOf(chosen).camera_id); }
    $("flag-form").hidden = false;
    $("flag-kind").focus();
  }

  function closeFlag() { $("flag-form").hidden = true; }

  function flagged(finding) {
    var what = finding.outcome === "alert" ? C.labels.alert : C.labels.incident;
    var id = finding.outcome === "alert" ? finding.alert_id : finding.incident_id;
    var text = fill(C.labels.flagged, { what: what, id: id });
    if (!finding.frame_url) { text += " · " + fill(C.labels.noFrame, { why: finding.frame_error }); }
    $("flag-status").textContent = text;
    var item = D.el("li", { "data-finding": finding.id },
      new Date(finding.at).toLocaleTimeString() + " · " + finding.kind_label + " · " +
      (finding.camera_name || "") + (finding.note ? " — " + finding.note : ""),
      finding.frame_url ? D.el("img", { class: "finding-frame", src: finding.frame_url,
                                        alt: what + " #" + id }) : null);
    $("wall-findings").prepend(item);
    var layer = window.GridPatrolTourMap && window.GridPatrolTourMap.findings;
    if (layer) { layer.refresh(); }
  }

  function submitFlag(event) {
    event.preventDefault();
    var form = $("flag-form");
    var body = { camera_id: Number(form.camera_id.value), kind: form.kind.value,
                 note: form.note.value.trim() || null,
                 outcome: form.querySelector("input[name=outcome]:checked").value,
                 run_id: plan.run_id };
    $("flag-submit").disabled = true;
    post(C.api.findings, body).then(function (answer) {
      $("flag-submit").disabled = false;
      if (answer[0] !== 201) {
        $("flag-status").textContent = C.labels.error + " " + (answer[1].message || answer[0]);
        return;
      }
      form.note.value = "";
      closeFlag();
      flagged(answer[1]);
    }).catch(function () {
      $("flag-submit").disabled = false;
      $("flag-status").textContent = C.labels.error;
    });
  }

  function keys(event) {
    var target = event.target;
    var typing = target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
    if (event.key === "Escape") { closeFlag(); return; }
    if (typing || event.ctrlKey || event.metaKey || event.altKey || !plan) { return; }
    var key = event.key.toLowerCase();
    if (key === " ") { setPaused(!paused); }
    else if (key === "n") { show(step + 1); }
    else if (key === "p") { show(step - 1); }
    else if (key === "f") { openFlag(); }
    else { return; }
    event.preventDefault();
  }

  function begin(answer) {
    plan = answer;
    window.gridpatrolWall = { runId: plan.run_id, tiles: tiles, plan: plan,
                              step: function () { return step; } };
    $("wall-state").textContent = C.labels.running;
    var layer = window.GridPatrolTourMap && window.GridPatrolTourMap.findings;
    if (layer) { layer.setParams({ run: plan.run_id }); }
    show(0);
    timers.push(window.setInterval(function () { tick(false); }, 1000));
    timers.push(window.setInterval(function () {
      send({ event: "heartbeat", step: step, tiles: reports() });
    }, plan.heartbeat_s * 1000));
  }

  window.GridPatrolWall = {
    init: function (config) {
      C = config;
      var wall = $("wall");
      for (var k = 0; k < config.layout; k++) {
        var tile = new window.GridPatrolLiveTile(k, { labels: config.labels,
                                                      liveUrl: config.api.live,
                                                      mjpegUrl: config.api.mjpeg,
                                                      onChange: stateChanged });
        tile.node.addEventListener("click", (function (index) {
          return function () { choose(index); };
        }(k)));
        tiles.push(tile);
        wall.appendChild(tile.node);
      }
      $("wall-pause").addEventListener("click", function () { setPaused(!paused); });
      $("wall-next").addEventListener("click", function () { if (plan) { show(step + 1); } });
      $("wall-prev").addEventListener("click", function () { if (plan) { show(step - 1); } });
      $("wall-flag").addEventListener("click", openFlag);
      $("flag-cancel").addEventListener("click", closeFlag);
      $("flag-form").addEventListener("submit", submitFlag);
      $("wall-end").addEventListener("click", function () {
        send({ event: "end" });
        finish(C.labels.ended);
      });
      document.addEventListener("keydown", keys);
      window.addEventListener("pagehide", function () {
        if (ended || !plan) { return; }
        seq += 1;  /* straight out, not queued: the page is going */
        post(C.api.events.replace("{run}", plan.run_id), { seq: seq, event: "end" }, true)
          .catch(function () { /* the server ends it when it hears nothing more */ });
      });
      post(config.api.runs, {}).then(function (answer) {
        if (answer[0] !== 201) {
          $("wall-state").textContent = answer[1].message || String(answer[0]);
          return;
        }
        begin(answer[1]);
      }).catch(function () { $("wall-state").textContent = C.labels.offline; });
    }
  };
}());
