/* One tile of live video (the video wall's tiles, the console's camera popup and alert
   panel): a camera played live from the server's HLS with hls.js (or the browser's own
   HLS), or — where the browser plays no HLS — the server's MJPEG stream in an <img> put
   in the video's place (``mjpegUrl``); or the reason it is not. A tile works on its own: a camera that
   is slow, dead, refused or busy shows why on its tile and is tried again after a pause,
   while the other tiles play — nothing a camera does can hold the wall up. A picture that
   stops moving for 10 s is reconnected. */
(function () {
  "use strict";

  var D = window.GridPatrolDom;
  var START_TIMEOUT_MS = 15000;
  var FROZEN_MS = 10000;
  var LABEL_OF = { loading: "connecting", playing: "playing", busy: "busy",
                   stalled: "stalled", unreachable: "offline" };

  function LiveTile(index, options) {
    this.index = index;
    this.options = options;
    this.labels = options.labels;
    this.video = D.el("video", { muted: true, autoplay: true, playsinline: true });
    this.video.muted = true;
    this.name = D.el("span", { class: "tile-label" });
    this.status = D.el("span", { class: "tile-state", role: "status" });
    this.node = D.el("div", { class: "tile empty", "data-tile": index }, this.video,
                     this.name, this.status);
    this.camera = null;
    this.state = "loading";
    this.problem = null;
    this.player = null;
    this.timer = null;
    this.abort = null;
    this.generation = 0;
    var tile = this;
    this.video.addEventListener("playing", function () { tile.set("playing", null); });
  }

  LiveTile.prototype.set = function (state, problem) {
    this.state = state;
    this.problem = problem;
    this.status.textContent = problem || this.labels[LABEL_OF[state]] || state;
    this.node.classList.toggle("playing", state === "playing");
    this.node.classList.toggle("problem", state === "unreachable" || state === "busy" ||
                                          state === "stalled");
    if (this.options.onChange) { this.options.onChange(this); }
  };

  /* Show ``camera`` ({camera_id, name, reason}) on this tile, or nothing (null). */
  LiveTile.prototype.show = function (camera) {
    this.stop();
    this.camera = camera;
    this.node.classList.toggle("empty", !camera);
    this.name.replaceChildren();
    this.status.textContent = "";
    if (!camera) { return; }
    var reason = camera.reason ? (camera.reason.text || camera.reason.en || "") : "";
    this.name.append(camera.name || "#" + camera.camera_id,
                     reason ? D.el("span", { class: "tile-reason" }, reason) : "");
    this.start();
  };

  /* Whether this browser plays HLS (hls.js on Media Source Extensions, or natively). */
  function playsHls(video) {
    return Boolean((window.Hls && window.Hls.isSupported()) ||
                   video.canPlayType("application/vnd.apple.mpegurl"));
  }

  LiveTile.prototype.dropImage = function () {
    if (!this.image) { return; }
    this.image.src = "data:,";  // ends the multipart answer
    this.image.remove();
    this.image = null;
    this.video.hidden = false;
  };

  /* MJPEG: one long answer the <img> shows frame after frame (the front serves it). */
  LiveTile.prototype.playMjpeg = function () {
    var tile = this, generation = this.generation;
    if (!this.options.mjpegUrl) { this.set("unreachable", this.labels.unsupported); return; }
    this.set("loading", null);
    var image = D.el("img", { class: "live-mjpeg", alt: "" });
    function shown() {
      if (generation === tile.generation && tile.state !== "playing" && image.naturalWidth) {
        tile.set("playing", null);
      }
    }
    image.addEventListener("load", shown);
    image.addEventListener("error", function () {
      if (generation === tile.generation) {
        tile.dropImage();
        tile.retry("unreachable", tile.labels.offline, 10);
      }
    });
    this.watch = window.setInterval(shown, 500);
    image.src = this.options.mjpegUrl.replace("{camera}",
                                              encodeURIComponent(this.camera.camera_id));
    this.video.hidden = true;
    this.video.after(image);
    this.image = image;
    this.mode = "mjpeg";
  };

  LiveTile.prototype.stop = function () {
    this.generation += 1;
    this.dropImage();
    if (this.abort) { this.abort.abort(); this.abort = null; }
    if (this.timer) { window.clearTimeout(this.timer); this.timer = null; }
    if (this.watch) { window.clearInterval(this.watch); this.watch = null; }
    if (this.player) { this.player.destroy(); this.player = null; }
    this.video.removeAttribute("src");
    this.video.load();
  };

  LiveTile.prototype.retry = function (state, problem, seconds) {
    var tile = this, generation = this.generation;
    if (this.player) { this.player.destroy(); this.player = null; }
    if (this.watch) { window.clearInterval(this.watch); this.watch = null; }
    this.set(state, problem);
    this.timer = window.setTimeout(function () {
      if (generation === tile.generation) { tile.start(); }
    }, seconds * 1000);
  };

  LiveTile.prototype.start = function () {
    var tile = this, generation = this.generation, camera = this.camera;
    if (!playsHls(this.video)) { this.playMjpeg(); return; }
    this.mode = "hls";
    this.set("loading", null);
    var request = new AbortController();
    this.abort = request;
    var deadline = window.setTimeout(function () { request.abort(); }, START_TIMEOUT_MS);
    fetch(this.options.liveUrl.replace("{camera}", encodeURIComponent(camera.camera_id)),
          { credentials: "same-origin", headers: { Accept: "application/json" },
            signal: request.signal })
      .then(function (response) {
        return response.json().then(function (body) { return [response.status, body]; });
      })
      .then(function (answer) {
        window.clearTimeout(deadline);
        if (generation !== tile.generation) { return; }
        var code = answer[0], body = answer[1] || {};
        if (code === 200) { tile.play(body.playlist); return; }
        if (body.error === "live_busy") { tile.retry("busy", null, 10); return; }
        var why = body.error === "stream_refused" ? tile.labels.refused
                                                   : tile.labels.offline;
        tile.retry("unreachable", why + (body.message ? " (" + body.message + ")" : ""), 15);
      })
      .catch(function () {
        window.clearTimeout(deadline);
        if (generation !== tile.generation) { return; }
        tile.retry("unreachable", tile.labels.offline, 10);
      });
  };

  LiveTile.prototype.play = function (playlist) {
    var tile = this, video = this.video, generation = this.generation;
    if (window.Hls && window.Hls.isSupported()) {
      this.player = new window.Hls({ liveSyncDurationCount: 2, manifestLoadingMaxRetry: 4 });
      this.player.on(window.Hls.Events.ERROR, function (_event, data) {
        if (data.fatal && generation === tile.generation) { tile.retry("stalled", null, 3); }
      });
      this.player.loadSource(playlist);
      this.player.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = playlist;
    } else {
      this.set("unreachable", this.labels.unsupported);
      return;
    }
    video.play().catch(function () { /* autoplay refused: muted video should not be */ });
    var last = -1, still = 0;
    this.watch = window.setInterval(function () {
      if (generation !== tile.generation || tile.state !== "playing") { return; }
      still = video.currentTime === last ? still + 1000 : 0;
      last = video.currentTime;
      if (still >= FROZEN_MS) { still = 0; tile.retry("stalled", null, 1); }
    }, 1000);
  };

  /* What the heartbeat reports of this tile. */
  LiveTile.prototype.report = function () {
    if (!this.camera) { return null; }
    return { tile: this.index, camera_id: this.camera.camera_id, state: this.state,
             problem: this.problem ? String(this.problem).slice(0, 500) : null };
  };

  window.GridPatrolLiveTile = LiveTile;
}());
