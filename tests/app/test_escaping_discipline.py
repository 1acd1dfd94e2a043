"""The escaping discipline, read off the source (the browser test
tests/browser/test_no_script_injection.py proves it on the pages):

- templates: Jinja autoescapes; nothing is marked ``|safe``, no inline handler or style
  attribute, no inline <script> or <style> (the map's script comes from page_parts, with
  the nonce);
- Python: HTML is marked safe in one function only (`app.maps.offline._folium_markup`), no
  template is built from a string, and map scripts get data only as JSON (`Call`);
- JavaScript: no HTML parsing sink at all, and Leaflet's tooltip/popup setters — which
  parse a string as HTML — get elements (``D.text(…)``, ``D.el(…)``, a function or a
  form built with them), never a string.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from markupsafe import Markup

from app.maps.offline import Call, UnsafeScriptError, js_value, offline_map, page_parts

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "app" / "templates").rglob("*.html"))
SCRIPTS = sorted((ROOT / "app" / "static" / "js").glob("*.js"))
PYTHON = sorted((ROOT / "app").rglob("*.py"))

HTML_SINKS = re.compile(r"\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|"
                        r"\beval\(|new Function\b|setTimeout\(\s*[\"']|DOMParser|"
                        r"createContextualFragment|\$\(\s*[\"']<")
LEAFLET_HTML_SETTERS = re.compile(r"\.(bindTooltip|bindPopup|setContent|setTooltipContent|"
                                  r"setPopupContent)\(")
# what those setters may get: an element built with D, a function, or a form/popup builder
ELEMENT_ARGUMENT = re.compile(r"(D\.text\(|D\.el\(|function\b|[a-z]\w*(Form|Popup)\(|form\b)")


def first_argument(source: str, start: int) -> str:
    depth, i = 1, start
    while depth and i < len(source):
        depth += {"(": 1, ")": -1}.get(source[i], 0)
        if depth == 1 and source[i] == ",":
            break
        i += 1
    return source[start:i].strip()


def sink_uses(source: str) -> list[str]:
    found = [m.group(0) for m in HTML_SINKS.finditer(source)]
    for match in LEAFLET_HTML_SETTERS.finditer(source):
        argument = first_argument(source, match.end())
        if not ELEMENT_ARGUMENT.match(argument):
            found.append(f"{match.group(0)}{argument})")
    for match in re.finditer(r"layerControl\.addOverlay\(", source):
        rest = source[match.end():match.end() + 200]
        if not re.match(r"\s*\w+,\s*D\.html\(", rest):
            found.append("layerControl.addOverlay without D.html")
    for match in re.finditer(r"attribution:\s*", source):
        if not re.match(r"\"[^\"]*\"|D\.html\(", source[match.end():]):
            found.append("attribution not escaped")
    return found


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_scripts_use_no_html_sink(path: Path) -> None:
    assert sink_uses(path.read_text()) == []


@pytest.mark.parametrize("bad", [
    'box.innerHTML = "<b>" + name;', "l.bindTooltip(p.name);", 'l.bindTooltip("#" + a.kind);',
    "m.setTooltipContent(unitTip(u));", "L.popup().setContent(li.textContent);",
    "control.addOverlay(group, p.unit);".replace("control", "layerControl"),
    "L.tileLayer(u, { attribution: config.attribution });", "eval(code);",
])
def test_the_scanner_catches_each_old_pattern(bad: str) -> None:
    assert sink_uses(bad) != []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_mark_nothing_safe_and_run_nothing_inline(path: Path) -> None:
    text = path.read_text()
    found = re.findall(r"\|\s*safe\b|autoescape\s+false|\son[a-z]+\s*=|\sstyle\s*=|"
                       r"<style\b|<script(?![^>]*\ssrc=)[^>]*>|javascript:", text)
    assert found == []


@pytest.mark.parametrize("path", PYTHON, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_builds_no_html_or_template_from_strings(path: Path) -> None:
    text = path.read_text()
    found = re.findall(r"render_template_string|Template\(|Markup\(|\|safe", text)
    if path == ROOT / "app" / "maps" / "offline.py":
        assert found == ["Markup("]  # _folium_markup, the one place
    else:
        assert found == []


def test_js_values_cannot_close_their_script() -> None:
    payload = "</script><script>window.__xss = 1</script><!-- '&"
    literal = js_value({"name": payload})
    assert "<" not in literal and ">" not in literal and "'" not in literal
    assert json.loads(literal) == {"name": payload}  # the same value, once parsed


def test_map_data_reaches_the_script_only_as_json(app: Flask) -> None:
    payload = "</script><script>window.__xss = 1</script>"
    with app.test_request_context():
        fmap = offline_map(location=[0, 0], zoom_start=2)
        fmap.add_child(Call("GridPatrolMap.init", {"name": payload}))
        parts = page_parts(fmap)
    assert isinstance(parts["script"], Markup)
    assert parts["script"].count("</script>") == 1  # its own end tag, nothing else
    assert "\\u003c/script\\u003e" in parts["script"]
    assert re.search(r"<(script|style)\b(?![^>]*\snonce=)", parts["head"]) is None


def test_a_map_script_that_would_close_itself_is_refused(app: Flask) -> None:
    from branca.element import Element

    with app.test_request_context():
        fmap = offline_map(location=[0, 0], zoom_start=2)
        fmap.get_root().script.add_child(Element("var x = '</script><script>alert(1)';"))
        with pytest.raises(UnsafeScriptError):
            page_parts(fmap)


@pytest.mark.parametrize("name", ["alert(1);GridPatrolMap.init", "a b", "x[0]", ""])
def test_calls_name_a_function_only(name: str) -> None:
    with pytest.raises(ValueError, match="not a function name"):
        Call(name)
