"""The viewer page: /watch/{stream} and its static files under /web/ (no build step, no CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from backend.errors import NotFound
from backend.settings import Settings

router = APIRouter(tags=["web"])
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# The page loads only its own scripts and styles; data never becomes markup (see js/dom.js).
# It connects to this backend and, when media is served elsewhere, to that WHEP server.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:"
    " https: http:; media-src 'self' blob:; connect-src 'self' ws: wss:{media};"
    " object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP.format(media=""),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


@router.get("/watch/{stream}", include_in_schema=False)
async def watch(stream: str, request: Request) -> FileResponse:
    return FileResponse(
        WEB_DIR / "watch.html", media_type="text/html", headers=page_headers(request)
    )


def page_headers(request: Request) -> dict[str, str]:
    settings: Settings = request.app.state.settings
    media = "".join(f" {origin}" for origin in settings.media_origins)
    return {**PAGE_HEADERS, "Content-Security-Policy": CSP.format(media=media)}


@router.get("/web/{path:path}", include_in_schema=False)
async def static(path: str) -> FileResponse:
    target = (WEB_DIR / path).resolve()
    if not (target.is_relative_to(WEB_DIR) and target.suffix in STATIC_TYPES and target.is_file()):
        raise NotFound("No such file.")
    return FileResponse(
        target,
        media_type=STATIC_TYPES[target.suffix],
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
