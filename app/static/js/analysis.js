/* Crime analysis page: save the map view as a PNG (tiles, hot-spot layer and legend are
   all drawn from this server, so the canvas is not tainted). */
(function () {
  "use strict";
  function saveImage(button) {
    var node = document.querySelector("#analysis-map .leaflet-container");
    if (!node || !window.htmlToImage) { return; }
    button.disabled = true;
    window.htmlToImage.toPng(node, { cacheBust: false, pixelRatio: 1 })
      .then(function (url) {
        var link = document.createElement("a");
        link.href = url;
        link.download = "hotspots-" + new Date().toISOString().slice(0, 10) + ".png";
        link.id = "export-image-link";
        document.body.appendChild(link);
        link.click();
        window.gridpatrolImage = url;
      })
      .catch(function (err) { button.title = String(err); })
      .then(function () { button.disabled = false; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("export-image");
    if (button) { button.addEventListener("click", function () { saveImage(button); }); }
  });
}());
