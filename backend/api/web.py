"""The viewer pages: the home page at /, /watch/{stream} and their static files under /web/ (no
build step, no CDN)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from backend.errors import NotFound
from backend.settings import Settings

router = APIRouter(tags=["web"])
SMALL_FILE_BYTES = 256 * 1024
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
EARLY_SCRIPT = WEB_DIR / "js" / "early.js"
# The page loads only its own scripts and styles (the one inline script by its hash); data never
# becomes markup (see js/dom.js). It connects to this backend and, when media is served
# elsewhere, to that WHEP server.
CSP = (
    "default-src 'self'; script-src 'self'{scripts}; style-src 'self'; img-src 'self' data: blob:"
    " https: http:; media-src 'self' blob:; connect-src 'self' ws: wss:{media};"
    " object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP.format(media="", scripts=""),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    """Who is live now, the followed streamers, search and notifications."""
    return small_file(request, WEB_DIR / "home.html", "text/html", page_headers(request))


@router.get("/watch/{stream}", include_in_schema=False)
async def watch(stream: str, request: Request) -> Response:
    """The watch page, with js/early.js inline: it starts the viewer's token and video before
    anything else loads, and a fetch of its own waited behind the page's other files."""
    settings: Settings = request.app.state.settings
    early = EARLY_SCRIPT.read_bytes()
    page = (WEB_DIR / "watch.html").read_bytes().replace(b"{{early}}", early)
    page = page.replace(b"{{media}}", page_media(settings))
    headers = page_headers(request, inline_scripts=(early,))
    return cached(request, page, page_etag(page), "text/html", headers)


def page_media(settings: Settings) -> bytes:
    """What the watch page's video needs before it asks anything (js/boot.js): where streams
    play, and whether to ask for STUN/TURN servers (their credentials are per viewer), as an
    attribute's text."""
    media = {"whep": settings.whep_url_template, "askIceServers": bool(settings.ice_servers)}
    return html.escape(json.dumps(media)).encode()


def page_etag(content: bytes) -> str:
    return f'"{hashlib.blake2b(content, digest_size=12).hexdigest()}"'


def page_headers(request: Request, inline_scripts: Sequence[bytes] = ()) -> dict[str, str]:
    """The page's headers; its CSP lets exactly ``inline_scripts`` run inline."""
    settings: Settings = request.app.state.settings
    media = "".join(f" {origin}" for origin in settings.media_origins)
    scripts = "".join(f" '{script_hash(script)}'" for script in inline_scripts)
    return {**PAGE_HEADERS, "Content-Security-Policy": CSP.format(media=media, scripts=scripts)}


def script_hash(script: bytes) -> str:
    """A CSP source for an inline script with exactly this text."""
    return "sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode()


@router.get("/web/{path:path}", include_in_schema=False)
async def static(path: str, request: Request) -> Response:
    target = (WEB_DIR / path).resolve()
    if not (target.is_relative_to(WEB_DIR) and target.suffix in STATIC_TYPES and target.is_file()):
        raise NotFound("No such file.")
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    return small_file(request, target, STATIC_TYPES[target.suffix], headers)


def small_file(
    request: Request, path: Path, media_type: str, headers: Mapping[str, str]
) -> Response:
    """One of the pages' files (tens of kB), read on the event loop: Starlette's FileResponse
    goes through a worker thread to stat, open, read and close, and on a busy machine those
    trips cost 150-250 ms a file, six files at a time, all before the first video frame.
    ``no-cache`` makes the browser ask again with the ETag: 304 while the file is the same."""
    stat = path.stat()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    return cached(request, path.read_bytes, etag, media_type, headers)


def cached(
    request: Request,
    content: bytes | Callable[[], bytes],
    etag: str,
    media_type: str,
    headers: Mapping[str, str],
) -> Response:
    """``content`` (or what it reads), or 304 when the browser has it by ``etag``."""
    headers = {**headers, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body = content if isinstance(content, bytes) else content()
    return Response(body, media_type=media_type, headers=headers)


class StaticFilesSmallAtOnce(StaticFiles):
    """``StaticFiles`` that finds and reads a small file (a gift icon, a sticker) at once
    instead of through a worker thread a step at a time (see :func:`small_file`); large files
    still stream, and anything else (a directory, a missing file) takes the usual way."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] == "GET":
            with contextlib.suppress(OSError, ValueError):
                full_path, found = self.lookup_path(path)  # a stat or two, on the loop
                if found and stat.S_ISREG(found.st_mode) and found.st_size <= SMALL_FILE_BYTES:
                    return self.file_response(full_path, found, scope)
        return await super().get_response(path, scope)

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        small = stat_result.st_size <= SMALL_FILE_BYTES and scope["method"] == "GET"
        if type(response) is not FileResponse or not small:
            return response  # large, a HEAD, or 304 Not Modified
        content = Path(full_path).read_bytes()
        return Response(content, response.status_code, dict(response.headers))
