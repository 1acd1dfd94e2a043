/* gridpatrol console: live video of a camera in its popup and in the alert panel.

   A "Live video" button opens a GridPatrolLiveTile under it (HLS, or MJPEG where the
   browser plays no HLS); the button then closes it. A panel drawn again (an alert's news)
   keeps a tile that is playing: the tile is put back in the new drawing, still the same
   view. A tile no longer in the page (its popup closed, its alert left) is stopped, so no
   view stays open unseen: the server ends the view and, 30 s later, the conversion. */
(function () {
  "use strict";

  var D = window.GridPatrolDom;
  var C = null;
  var tiles = {};  // "where:camera id" -> LiveTile

  function sweep() {
    Object.keys(tiles).forEach(function (key) {
      if (!tiles[key].node.isConnected) { tiles[key].stop(); delete tiles[key]; }
    });
    window.gridpatrol.liveTiles = Object.keys(tiles).length;
  }

  /* The button (and its tile) for ``camera`` ({id, name, has_stream}) shown in ``where``
     ("popup", "alert"); null when the user may not watch live or the camera has no stream. */
  function control(camera, where) {
    if (!C || !camera.has_stream) { return null; }
    var key = where + ":" + camera.id;
    var button = D.el("button", { type: "button", class: "gp-live-button",
                                  "data-camera-id": camera.id }, C.labels.watch);
    var box = D.el("div", { class: "gp-live" }, button);
    function shown(tile) {
      box.append(tile.node);
      button.textContent = C.labels.close;
    }
    button.addEventListener("click", function () {
      var tile = tiles[key];
      if (tile) {
        tile.stop();
        tile.node.remove();
        delete tiles[key];
        button.textContent = C.labels.watch;
        sweep();
        return;
      }
      tile = new window.GridPatrolLiveTile(0, { labels: C.labels, liveUrl: C.url,
                                                mjpegUrl: C.mjpeg });
      tiles[key] = tile;
      shown(tile);
      tile.show({ camera_id: camera.id, name: camera.name || "#" + camera.id });
      sweep();
    });
    if (tiles[key]) {  // drawn again: the same tile, playing on
      shown(tiles[key]);
      tiles[key].video.play().catch(function () { /* muted: allowed */ });
    }
    return box;
  }

  window.GridPatrolConsoleLive = {
    init: function (live, map) {
      C = live;
      if (!C) { return; }
      window.gridpatrol.liveTiles = 0;
      map.on("popupclose", function () { window.setTimeout(sweep, 0); });
      window.setInterval(sweep, 5000);
    },
    control: control,
    sweep: sweep,
    tile: function (where, cameraId) { return tiles[where + ":" + cameraId] || null; }
  };
}());
