"""Front-end libraries installed from the npm registry, served by the app itself.

Nothing is loaded from a CDN: ``npm ci`` puts the packages named in package.json
into ``node_modules/`` at setup, and ``/vendor/<package>/<file>`` serves them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_file
from werkzeug.security import safe_join
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
            path = safe_join(str(ROOT / "node_modules" / package), subpath[len(package) + 1:])
            if path is None or not os.path.isfile(path):
                abort(404)
            data, etag = _read(path)
            # served from memory: no file handle is left open when a browser drops the
            # connection half-way (assets are small and fixed until the next `npm ci`)
            return send_file(io.BytesIO(data), download_name=os.path.basename(path),
                             max_age=86400, etag=etag, conditional=True)
    abort(404)


@lru_cache(maxsize=256)
def _read(path: str) -> tuple[bytes, str]:
    data = Path(path).read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:32]


def init_app(app: Flask) -> None:
    app.extensions["gridpatrol_vendor"] = vendor_packages()
    app.register_blueprint(bp)
