/* gridpatrol map labels: street and place names written on the basemap at street zoom.

   Leaflet.VectorGrid draws no text, so names come from /api/v1/labels (named road pieces
   and POIs in the view, most important first) and are placed here as text elements in a
   pane of their own: a road's name along the middle of its piece (rotated to the line,
   never upside down), a POI's name beside its dot, other labels (camera names) given by
   other scripts. Collisions are kept simple: labels are placed greedily in order of
   importance (other scripts' labels, main roads, other roads, then POIs) and one that would overlap a placed one, or repeat a name placed within
   MIN_REPEAT_PX, is left out; a road piece shorter on screen than its name gets none.
   Each label shows the local name and, when it differs, the name in the page's language
   (name:zh in Chinese, name:en in English) on a second, smaller line.                 */
(function () {
  "use strict";

  var D = window.GridPatrolDom;
  var MIN_ZOOM = 16, POI_ZOOM = 17, MARGIN_PX = 3, MIN_REPEAT_PX = 260;
  var MAJOR = { motorway: 1, trunk: 1, primary: 1, secondary: 1, tertiary: 1 };

  function namesOf(item, language) {
    var local = item.name || item.name_en || item.name_zh || "";
    var own = language === "zh" ? item.name_zh : item.name_en;
    return { primary: local, secondary: own && own !== local ? own : null };
  }

  function labelElement(kind, names, extraClass) {
    var inner = D.el("div", { class: "gp-label-body" },
      D.el("span", { class: "gp-label-primary" }, names.primary),
      names.secondary ? D.el("span", { class: "gp-label-secondary" }, names.secondary) : null);
    return D.el("div", { class: "gp-label gp-label-" + kind + (extraClass ? " " + extraClass : "") },
                inner);
  }

  /* The point at `distance` px along a projected path, and the index of its segment. */
  function along(points, distance) {
    var run = 0;
    for (var i = 1; i < points.length; i++) {
      var step = points[i - 1].distanceTo(points[i]);
      if (run + step >= distance && step > 0) {
        var t = (distance - run) / step;
        return L.point(points[i - 1].x + (points[i].x - points[i - 1].x) * t,
                       points[i - 1].y + (points[i].y - points[i - 1].y) * t);
      }
      run += step;
    }
    return points[points.length - 1];
  }

  function pathLength(points) {
    var total = 0;
    for (var i = 1; i < points.length; i++) { total += points[i - 1].distanceTo(points[i]); }
    return total;
  }

  function LabelLayer(map, config) {
    this.map = map;
    this.url = config.url;
    this.language = config.language;
    this.pane = map.createPane("gp-labels");
    this.pane.classList.add("gp-labels-pane");
    this.data = null;
    this.extra = {};       // source name -> [{text, lat, lon, kind, cls, priority}]
    this.pending = null;
    this.placed = [];      // for the tests: what is on the map now
    var self = this;
    map.on("zoomstart", function () { self.pane.classList.add("gp-hidden"); });
    map.on("moveend", function () { self.refresh(); });
  }

  LabelLayer.prototype.refresh = function () {
    var map = this.map, self = this;
    if (map.getZoom() < MIN_ZOOM) {
      this.data = null;
      this.layout();
      return;
    }
    var view = map.getBounds();
    if (this.data && this.fetched && this.fetched.contains(view)) { this.layout(); return; }
    var wanted = view.pad(0.5);
    if (this.pending) { this.pending.abort(); }
    var request = new AbortController();
    this.pending = request;
    var bbox = [wanted.getWest(), wanted.getSouth(), wanted.getEast(), wanted.getNorth()]
      .map(function (v) { return v.toFixed(6); }).join(",");
    fetch(this.url + "?bbox=" + bbox, { credentials: "same-origin", signal: request.signal })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (self.pending !== request) { return; }
        self.pending = null;
        self.data = data;
        self.fetched = data ? wanted : null;
        self.layout();
      })
      .catch(function (err) { if (err.name !== "AbortError") { throw err; } });
  };

  /* Labels given by another layer (e.g. camera names); drawn first, at street zoom. */
  LabelLayer.prototype.setExtra = function (source, labels) {
    this.extra[source] = labels || [];
    this.layout();
  };

  LabelLayer.prototype.layout = function () {
    var map = this.map, pane = this.pane, self = this;
    pane.replaceChildren();
    pane.classList.remove("gp-hidden");
    this.placed = [];
    if (map.getZoom() < MIN_ZOOM) { return; }
    var size = map.getSize();
    var origin = map.containerPointToLayerPoint([0, 0]);
    var screen = L.bounds(origin, origin.add(size));
    var boxes = [];
    var byName = {};

    function free(box) {
      for (var i = 0; i < boxes.length; i++) { if (boxes[i].intersects(box)) { return false; } }
      return true;
    }
    function repeated(text, centre) {
      return (byName[text] || []).some(function (p) { return p.distanceTo(centre) < MIN_REPEAT_PX; });
    }
    function keep(element, box, text, centre, kind) {
      boxes.push(box);
      (byName[text] = byName[text] || []).push(centre);
      self.placed.push({ text: text, kind: kind, x: centre.x - origin.x, y: centre.y - origin.y });
      return element;
    }
    /* A label beside a point (POIs, cameras): right of it, else left. */
    function placePoint(item, kind, names, cls) {
      var at = map.latLngToLayerPoint([item.lat, item.lon]);
      if (!screen.contains(at) || repeated(names.primary, at)) { return; }
      var element = labelElement(kind, names, cls);
      pane.appendChild(element);
      var w = element.offsetWidth, h = element.offsetHeight;
      var sides = [at.add([6, -h / 2]), at.add([-6 - w, -h / 2])];
      for (var i = 0; i < sides.length; i++) {
        var corner = sides[i];
        var box = L.bounds(corner.subtract([MARGIN_PX, MARGIN_PX]),
                           corner.add([w + MARGIN_PX, h + MARGIN_PX]));
        if (free(box)) {
          L.DomUtil.setPosition(element, corner);
          keep(element, box, names.primary, at, kind);
          return;
        }
      }
      element.remove();
    }
    /* A road's name along the middle of its piece, rotated to it. */
    function placeRoad(road) {
      var names = namesOf(road, self.language);
      if (!names.primary) { return; }
      var points = road.path.map(function (c) { return map.latLngToLayerPoint([c[1], c[0]]); });
      var total = pathLength(points);
      var element = labelElement("road", names, "gp-road-" + road.highway);
      pane.appendChild(element);
      var w = element.offsetWidth, h = element.offsetHeight;
      if (total < w + 16) { element.remove(); return; }
      // the middle of the piece first, then further along either way
      var spots = [0.5, 0.3, 0.7, 0.15, 0.85];
      for (var i = 0; i < spots.length; i++) {
        var at = total * spots[i];
        if (at - w / 2 < 0 || at + w / 2 > total) { continue; }
        var middle = along(points, at);
        if (!screen.contains(middle) || repeated(names.primary, middle)) { continue; }
        var a = along(points, at - w / 2), b = along(points, at + w / 2);
        var angle = Math.atan2(b.y - a.y, b.x - a.x) * 180 / Math.PI;
        if (angle > 90) { angle -= 180; } else if (angle <= -90) { angle += 180; }
        var rad = angle * Math.PI / 180;
        var hw = Math.abs(w / 2 * Math.cos(rad)) + Math.abs(h / 2 * Math.sin(rad)) + MARGIN_PX;
        var hh = Math.abs(w / 2 * Math.sin(rad)) + Math.abs(h / 2 * Math.cos(rad)) + MARGIN_PX;
        var box = L.bounds(middle.subtract([hw, hh]), middle.add([hw, hh]));
        if (!free(box)) { continue; }
        L.DomUtil.setPosition(element, middle);
        element.firstChild.style.transform = "translate(-50%, -50%) rotate(" +
          angle.toFixed(1) + "deg)";
        keep(element, box, names.primary, middle, "road");
        return;
      }
      element.remove();
    }

    Object.keys(this.extra).forEach(function (source) {
      self.extra[source].forEach(function (item) {
        placePoint(item, item.kind || source, { primary: item.text, secondary: null }, item.cls);
      });
    });
    if (!this.data) { return; }
    var roads = this.data.roads || [];
    roads.filter(function (r) { return MAJOR[r.highway]; }).forEach(placeRoad);
    roads.filter(function (r) { return !MAJOR[r.highway]; }).forEach(placeRoad);
    if (map.getZoom() >= POI_ZOOM) {  // place names fill the room the streets leave
      (this.data.pois || []).forEach(function (poi) {
        placePoint(poi, "poi", namesOf(poi, self.language), "gp-poi-" + poi.kind);
      });
    }
  };

  window.GridPatrolLabels = {
    MIN_ZOOM: MIN_ZOOM,
    create: function (map, config) { return new LabelLayer(map, config); }
  };
}());
