"""The dashboard's static files: its own CSS and script, and plotly.js from the installed wheel.

plotly.js comes from the ``plotly`` package's data (``plotly/package_data/plotly.min.js``),
found without importing plotly, so the dashboard needs no CDN and no build step. Each file
is read and gzipped once, then served from memory with a content hash in its URL, so a
browser keeps it until the file changes.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response

from predledger.errors import ConfigurationError, NotFoundError

STATIC_DIR = Path(__file__).parent / "static"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
OWN_FILES = ("dashboard.css", "dashboard.js")
PLOTLY_FILE = "plotly.min.js"
_cache: dict[str, Asset] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Asset:
    """One file, read once: its bytes, gzipped bytes and content hash."""

    body: bytes
    gzipped: bytes
    digest: str
    media_type: str


def plotly_js_path() -> Path:
    """Where the installed plotly package keeps ``plotly.min.js``.

    Raises:
        ConfigurationError: plotly is not installed.
    """
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(
            "the dashboard draws its charts with plotly.js from the plotly package: "
            "pip install 'plotly>=5.20'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / PLOTLY_FILE


def _path_of(name: str) -> Path:
    if name == PLOTLY_FILE:
        return plotly_js_path()
    if name in OWN_FILES:
        return STATIC_DIR / name
    raise NotFoundError(f"the dashboard has no static file {name!r}")


def load_asset(name: str) -> Asset:
    """The file called ``name``, from memory after the first read."""
    with _lock:
        found = _cache.get(name)
        if found is None:
            body = _path_of(name).read_bytes()
            found = Asset(
                body=body,
                gzipped=gzip.compress(body, compresslevel=6, mtime=0),
                digest=hashlib.sha256(body).hexdigest()[:16],
                media_type=MEDIA_TYPES[Path(name).suffix],
            )
            _cache[name] = found
        return found


def asset_url(name: str) -> str:
    """The URL of a static file, with its content hash so caches refresh when it changes."""
    return f"/dashboard/static/{name}?v={load_asset(name).digest}"


def asset_response(request: Request, name: str) -> Response:
    """The file, gzipped when the browser accepts it, cacheable for a year."""
    asset = load_asset(name)
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "ETag": f'"{asset.digest}"',
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)
