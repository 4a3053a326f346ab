"""The web dashboard at /ui: three static files shipped in the package (no
CDN, nothing fetched from elsewhere: the Content-Security-Policy says so);
the page itself speaks the public API and /sim with the user's session."""

from __future__ import annotations

from pathlib import Path

from vlcmsim.vapi.http import Request, Response

PREFIX = "/ui"
FILES = {
    "": ("index.html", b"text/html; charset=utf-8"),
    "app.js": ("app.js", b"text/javascript; charset=utf-8"),
    "style.css": ("style.css", b"text/css; charset=utf-8"),
}
HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-cache"),
]


class Dashboard:
    def __init__(self, folder: Path = Path(__file__).parent / "ui") -> None:
        self.files = {name: ((folder / file).read_bytes(), kind) for name, (file, kind) in FILES.items()}

    def handles(self, path: str) -> bool:
        return path == PREFIX or path.startswith(PREFIX + "/")

    def handle(self, req: Request) -> Response:
        name = req.path[len(PREFIX) :].strip("/")
        found = self.files.get(name)
        if found is None or req.method not in ("GET", "HEAD"):
            return Response(404, b"not found\n", [(b"content-type", b"text/plain")])
        body, kind = found
        return Response(200, body if req.method == "GET" else b"", [(b"content-type", kind), *HEADERS])
