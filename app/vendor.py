"""Front-end libraries installed from the npm registry, served by the app itself.

Nothing is loaded from a CDN: ``npm ci`` puts the packages named in package.json
into ``node_modules/`` at setup, and ``/vendor/<package>/<file>`` serves them.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory
from werkzeug.wrappers import Response

from app.auth.access import public

ROOT = Path(__file__).resolve().parent.parent
bp = Blueprint("vendor", __name__)


def vendor_packages() -> frozenset[str]:
    manifest = json.loads((ROOT / "package.json").read_text())
    return frozenset(manifest.get("dependencies", {}))


@bp.get("/vendor/<path:subpath>")
@public
def asset(subpath: str) -> Response:
    """A file of an npm package named in package.json (scoped names included)."""
    for package in current_app.extensions["gridpatrol_vendor"]:
        if subpath.startswith(package + "/"):
            filename = subpath[len(package) + 1:]
            return send_from_directory(ROOT / "node_modules" / package, filename,
                                       max_age=86400)
    abort(404)


def init_app(app: Flask) -> None:
    app.extensions["gridpatrol_vendor"] = vendor_packages()
    app.register_blueprint(bp)
