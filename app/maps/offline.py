"""folium maps that load nothing from the internet.

folium's templates name CDN addresses for Leaflet, jQuery, Bootstrap, Font Awesome and
the awesome-markers plugin. :func:`offline_map` swaps each for the copy that `npm ci`
installed and `/vendor/` serves; an asset without a local copy raises, so a folium
upgrade that adds one fails the tests instead of reaching for a CDN.

Scripts are never assembled from strings of data: our code reaches the map through
:class:`Call` (a function name and JSON arguments), and :func:`page_parts` puts the
request's CSP nonce on every inline script and style block folium writes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from branca.element import Element, MacroElement
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from app.security_headers import csp_nonce

if TYPE_CHECKING:
    import folium

# folium itself (a second of imports) is loaded on first use, not when the app starts.

LOCAL_ASSETS = {
    "leaflet": "/vendor/leaflet/dist/leaflet.js",
    "jquery": "/vendor/jquery/dist/jquery.min.js",
    "bootstrap": "/vendor/bootstrap/dist/js/bootstrap.bundle.min.js",
    "awesome_markers": "/vendor/leaflet.awesome-markers/dist/leaflet.awesome-markers.min.js",
    "leaflet_css": "/vendor/leaflet/dist/leaflet.css",
    "bootstrap_css": "/vendor/bootstrap/dist/css/bootstrap.min.css",
    "awesome_markers_font_css": "/vendor/@fortawesome/fontawesome-free/css/all.min.css",
    "awesome_markers_css": "/vendor/leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
}
# Styles folium lists that gridpatrol's pages never use (Bootstrap 3 icons, rotated markers).
UNUSED_ASSETS = frozenset({"glyphicons_css", "awesome_rotate_css"})


class ForeignAssetError(RuntimeError):
    """folium asks for a script or style sheet that has no local copy."""


def localise(assets: list[tuple[str, str]]) -> list[tuple[str, str]]:
    local = []
    for name, url in assets:
        if name in UNUSED_ASSETS:
            continue
        if name not in LOCAL_ASSETS:
            raise ForeignAssetError(f"folium asset {name!r} ({url}) has no local copy")
        local.append((name, LOCAL_ASSETS[name]))
    return local


def offline_map(**kwargs: Any) -> folium.Map:
    """A ``folium.Map`` with no tile layer and every asset served locally."""
    import folium

    kwargs.setdefault("tiles", None)
    fmap = folium.Map(**kwargs)
    fmap.default_js = localise(list(folium.Map.default_js))
    fmap.default_css = localise(list(folium.Map.default_css))
    return fmap


_OPENING_TAG = re.compile(r"<(script|style)\b", re.IGNORECASE)
_CLOSES_SCRIPT = re.compile(r"</script|<!--", re.IGNORECASE)
_FUNCTION_NAME = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")


def js_value(value: Any) -> str:
    """``value`` as a JavaScript literal that is safe inside a ``<script>`` element: JSON
    with ``<``, ``>``, ``&`` and ``'`` escaped, so no string in it can close the element."""
    return str(htmlsafe_json_dumps(value))


class UnsafeScriptError(RuntimeError):
    """A map script would close its own ``<script>`` element (data was not encoded)."""


def page_parts(fmap: folium.Map) -> dict[str, Markup]:
    """The map's <head> additions, its <div> and its <script> element, to embed in our
    templates. Every <script> and <style> folium writes carries this request's CSP nonce."""
    root = fmap.get_root()
    root.render()
    nonce = csp_nonce()
    script = root.script.render()
    if _CLOSES_SCRIPT.search(script):
        raise UnsafeScriptError("the map script holds '</script' or '<!--'")
    head = _OPENING_TAG.sub(lambda m: f'<{m.group(1)} nonce="{nonce}"', root.header.render())
    return {"head": _folium_markup(head), "body": _folium_markup(root.html.render()),
            "script": _folium_markup(f'<script nonce="{nonce}">{script}</script>'),
            "name": Markup.escape(fmap.get_name())}


def _folium_markup(html: str) -> Markup:
    """The one place gridpatrol marks HTML as safe: folium's own tags around our assets and
    scripts, in which every piece of data is JSON written by :func:`js_value` or folium's
    ``tojson`` (checked above: no map script closes its element)."""
    return Markup(html)  # noqa: S704 - folium's markup; data inside is JSON-encoded


class Ref:
    """A folium element passed to a :class:`Call` by its JavaScript variable."""

    def __init__(self, element: MacroElement) -> None:
        self.element = element


class Call(MacroElement):
    """``function(map, *args)``, run after the map is created (``with_map=False`` leaves
    the map out). Arguments are data, written with :func:`js_value`, or references to
    other elements (:class:`Ref`): no script is ever assembled from strings."""

    def __init__(self, function: str, *args: Any, with_map: bool = True) -> None:
        super().__init__()
        if not _FUNCTION_NAME.fullmatch(function):
            raise ValueError(f"not a function name: {function!r}")
        self._function = function
        self._args = args
        self._with_map = with_map

    def render(self, **kwargs: Any) -> None:
        parent = self._parent
        assert parent is not None
        args = [parent.get_name()] if self._with_map else []
        args += [a.element.get_name() if isinstance(a, Ref) else js_value(a) for a in self._args]
        code = f"{self._function}({', '.join(args)});"
        self.get_root().script.add_child(Element(code), name=self.get_name())
