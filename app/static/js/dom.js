/* gridpatrol's one way to put data on a page: build elements, never parse HTML.

   GridPatrolDom.el("li", { class: "gp-unit", "data-id": 7 }, "text", child, …) creates an
   element; strings become text nodes (a name like "<img onerror=…>" shows as those very
   characters). Event-handler and style attributes are refused (listeners and CSSOM do that
   work), and link attributes accept only http(s), mailto and same-page URLs, so a
   "javascript:" value never becomes a link.
   GridPatrolDom.text(s) is a <span> holding s as text: what Leaflet's bindTooltip,
   bindPopup, setTooltipContent and setContent get (given a string, Leaflet would parse it
   as HTML). GridPatrolDom.html(s) escapes s for the few Leaflet APIs that take nothing but
   an HTML string (layer-control names, attribution).                                    */
(function () {
  "use strict";

  var URL_ATTRIBUTES = { href: true, src: true, action: true, formaction: true, poster: true,
                         "xlink:href": true };
  var SAFE_PROTOCOLS = { "http:": true, "https:": true, "mailto:": true };

  function safeUrl(value) {
    var url = new URL(String(value), window.location.href);
    if (!SAFE_PROTOCOLS[url.protocol]) {
      throw new Error("refused a " + url.protocol + " URL");
    }
    return url.href;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) { return; }
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      var key = name.toLowerCase();
      if (value === null || value === undefined || value === false) { return; }
      if (key.slice(0, 2) === "on" || key === "style" || key === "srcdoc") {
        throw new Error("refused the attribute " + name);
      }
      if (key === "class") { node.className = value; return; }
      if (URL_ATTRIBUTES[key]) { value = safeUrl(value); }
      node.setAttribute(name, value === true ? "" : String(value));
    });
    for (var i = 2; i < arguments.length; i++) { append(node, arguments[i]); }
    return node;
  }

  function text(value) {
    return el("span", null, value === null || value === undefined ? "" : String(value));
  }

  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  function html(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
  }

  window.GridPatrolDom = { el: el, text: text, html: html, safeUrl: safeUrl };
}());
