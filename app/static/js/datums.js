/* gridpatrol's datums in the browser: WGS-84 (what the map shows), GCJ-02 (AMap, Tencent)
   and BD-09 (Baidu), for the coordinates people paste and read off the console. The same
   public formulas as gis/crs.py, which tests/browser/test_console_coordinates.py compares
   this file with: the forward offsets are closed formulas, their inverses iterate to a
   fixed point (better than 1e-9 degrees; the usual one-step inverse is off by metres).
   GCJ-02 is offset inside the rough China box only; BD-09 is applied everywhere.       */
(function () {
  "use strict";

  var A = 6378245.0;                       // Krasovsky 1940 semi-major axis
  var EE = 0.00669342162296594323;         // and eccentricity squared
  var X_PI = Math.PI * 3000.0 / 180.0;
  var TOLERANCE = 1e-10, MAX_STEPS = 30;
  var LABELS = { wgs84: "WGS-84", gcj02: "GCJ-02", bd09: "BD-09" };

  function inChina(lon, lat) {
    return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
  }

  function gcjOffset(lon, lat) {
    var x = lon - 105.0, y = lat - 35.0, pi = Math.PI;
    var waves = (20 * Math.sin(6 * pi * x) + 20 * Math.sin(2 * pi * x)) * 2 / 3;
    var north = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) +
      waves + (20 * Math.sin(pi * y) + 40 * Math.sin(pi * y / 3)) * 2 / 3 +
      (160 * Math.sin(pi * y / 12) + 320 * Math.sin(pi * y / 30)) * 2 / 3;
    var east = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) +
      waves + (20 * Math.sin(pi * x) + 40 * Math.sin(pi * x / 3)) * 2 / 3 +
      (150 * Math.sin(pi * x / 12) + 300 * Math.sin(pi * x / 30)) * 2 / 3;
    var rad = lat / 180 * pi;
    var magic = 1 - EE * Math.sin(rad) * Math.sin(rad);
    var root = Math.sqrt(magic);
    return [east * 180 / (A / root * Math.cos(rad) * pi),
            north * 180 / (A * (1 - EE) / (magic * root) * pi)];
  }

  /* Solve forward(p) = target from a first guess, as gis.crs._invert does. */
  function invert(forward, lon, lat, guess) {
    var x = guess[0], y = guess[1];
    for (var i = 0; i < MAX_STEPS; i++) {
      var got = forward(x, y);
      var dx = lon - got[0], dy = lat - got[1];
      x += dx; y += dy;
      if (Math.max(Math.abs(dx), Math.abs(dy)) < TOLERANCE) { break; }
    }
    return [x, y];
  }

  function wgs84ToGcj02(lon, lat) {
    if (!inChina(lon, lat)) { return [lon, lat]; }
    var d = gcjOffset(lon, lat);
    return [lon + d[0], lat + d[1]];
  }

  function gcj02ToWgs84(lon, lat) {
    if (!inChina(lon, lat)) { return [lon, lat]; }
    return invert(function (x, y) { var d = gcjOffset(x, y); return [x + d[0], y + d[1]]; },
                  lon, lat, [lon, lat]);
  }

  function gcj02ToBd09(lon, lat) {
    var r = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * X_PI);
    var t = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI);
    return [r * Math.cos(t) + 0.0065, r * Math.sin(t) + 0.006];
  }

  function bd09ToGcj02(lon, lat) {
    var x = lon - 0.0065, y = lat - 0.006;
    var r = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * X_PI);
    var t = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI);
    return invert(gcj02ToBd09, lon, lat, [r * Math.cos(t), r * Math.sin(t)]);
  }

  /* [lon, lat] in WGS-84 from ``datum`` ("wgs84", "gcj02", "bd09"). */
  function toWgs84(datum, lon, lat) {
    if (datum === "gcj02") { return gcj02ToWgs84(lon, lat); }
    if (datum === "bd09") { var g = bd09ToGcj02(lon, lat); return gcj02ToWgs84(g[0], g[1]); }
    return [lon, lat];
  }

  /* [lon, lat] in ``datum`` from WGS-84. */
  function fromWgs84(datum, lon, lat) {
    if (datum === "gcj02") { return wgs84ToGcj02(lon, lat); }
    if (datum === "bd09") { var g = wgs84ToGcj02(lon, lat); return gcj02ToBd09(g[0], g[1]); }
    return [lon, lat];
  }

  /* A pasted pair: "116.404, 39.915", "116.404,39.915", "116.404 39.915", with a
     full-width comma or a semicolon too. Longitude first, as AMap's and Baidu's pickers
     write it; a pair whose second number cannot be a latitude but whose first can is read
     the other way round (Google's "lat, lon"). Returns {lon, lat, swapped} or null. */
  var PAIR = /^\s*([+-]?\d+(?:\.\d+)?)\s*(?:[,，;；]\s*|\s+)([+-]?\d+(?:\.\d+)?)\s*$/;
  function parsePair(text) {
    var match = PAIR.exec(String(text || ""));
    if (!match) { return null; }
    var first = Number(match[1]), second = Number(match[2]);
    var swapped = Math.abs(second) > 90 && Math.abs(first) <= 90;
    var lon = swapped ? second : first, lat = swapped ? first : second;
    if (!isFinite(lon) || !isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) {
      return null;
    }
    return { lon: lon, lat: lat, swapped: swapped };
  }

  window.GridPatrolDatums = {
    labels: LABELS, inChina: inChina, toWgs84: toWgs84, fromWgs84: fromWgs84,
    wgs84ToGcj02: wgs84ToGcj02, gcj02ToWgs84: gcj02ToWgs84, gcj02ToBd09: gcj02ToBd09,
    bd09ToGcj02: bd09ToGcj02, parsePair: parsePair
  };
}());
