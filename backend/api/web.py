"""The viewer page: /watch/{stream} and its static files under /web/ (no build step, no CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from backend.errors import NotFound

router = APIRouter(tags=["web"])
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# The page loads only its own scripts and styles; data never becomes markup (see js/dom.js).
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:"
        " https: http:; media-src 'self' blob:; connect-src 'self' ws: wss:;"
        " object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


@router.get("/watch/{stream}", include_in_schema=False)
async def watch(stream: str) -> FileResponse:
    return FileResponse(WEB_DIR / "watch.html", media_type="text/html", headers=PAGE_HEADERS)


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
