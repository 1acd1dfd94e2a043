"""folium maps that load nothing from the internet.

folium's templates name CDN addresses for Leaflet, jQuery, Bootstrap, Font Awesome and
the awesome-markers plugin. :func:`offline_map` swaps each for the copy that `npm ci`
installed and `/vendor/` serves; an asset without a local copy raises, so a folium
upgrade that adds one fails the tests instead of reaching for a CDN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from branca.element import Element, MacroElement

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


def page_parts(fmap: folium.Map) -> dict[str, str]:
    """The map's <head> additions, its <div> and its script, to embed in our templates."""
    root = fmap.get_root()
    root.render()
    return {"head": root.header.render(), "body": root.html.render(),
            "script": root.script.render(), "name": fmap.get_name()}


class Script(MacroElement):
    """A script appended after the map is created (``{map}`` is the map's JS name)."""

    def __init__(self, code: str) -> None:
        super().__init__()
        self._code = code

    def render(self, **kwargs: Any) -> None:
        parent = self._parent
        assert parent is not None
        code = self._code.replace("{map}", parent.get_name())
        self.get_root().script.add_child(Element(code), name=self.get_name())
