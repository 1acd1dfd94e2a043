/* One camera live: ask the server to start (or join) the camera's HLS conversion, then
   play its playlist with hls.js (or natively where the browser plays HLS itself; where it
   plays neither, the server's MJPEG stream). A busy
   server (every live slot taken) or a broken stream is retried after a pause; the status
   line says why. */
(function () {
  "use strict";
  var section = document.getElementById("live");
  if (!section) { return; }
  var video = document.getElementById("live-video");
  var status = document.getElementById("live-status");
  var camera = section.getAttribute("data-camera");
  var player = null;

  function say(key) { status.textContent = section.getAttribute("data-text-" + key) || key; }

  function retry(key, seconds) {
    say(key);
    if (player) { player.destroy(); player = null; }
    window.setTimeout(start, seconds * 1000);
  }

  function play(playlist) {
    if (window.Hls && window.Hls.isSupported()) {
      player = new window.Hls({ liveSyncDurationCount: 2, manifestLoadingMaxRetry: 4 });
      player.on(window.Hls.Events.ERROR, function (_event, data) {
        if (data.fatal) { retry("error", 3); }
      });
      player.loadSource(playlist);
      player.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = playlist;
    } else {
      say("unsupported");
      return;
    }
    video.addEventListener("playing", function () { say("playing"); });
    video.play().catch(function () { /* autoplay refused: the controls are there */ });
  }

  /* No HLS in this browser: the server's MJPEG stream in an <img> in the video's place
     (one view, audited by the server as HLS views are). */
  function mjpeg() {
    var image = document.createElement("img");
    image.id = "live-image";
    image.alt = "";
    image.addEventListener("error", function () {
      image.remove();
      video.hidden = false;
      retry("offline", 15);
    });
    var shown = window.setInterval(function () {
      if (!image.isConnected) { window.clearInterval(shown); return; }
      if (image.naturalWidth) { say("playing"); window.clearInterval(shown); }
    }, 500);
    image.src = "/api/v1/cameras/" + encodeURIComponent(camera) + "/live.mjpeg";
    video.hidden = true;
    video.after(image);
  }

  function start() {
    if (!(window.Hls && window.Hls.isSupported()) &&
        !video.canPlayType("application/vnd.apple.mpegurl")) {
      mjpeg();
      return;
    }
    fetch("/api/v1/cameras/" + encodeURIComponent(camera) + "/live",
          { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) { return [response.status, body]; });
      })
      .then(function (answer) {
        var code = answer[0], body = answer[1];
        if (code === 200) { play(body.playlist); return; }
        if (body && body.error === "live_busy") { retry("busy", 10); return; }
        retry("offline", 15);
      })
      .catch(function () { retry("error", 5); });
  }

  start();
}());
