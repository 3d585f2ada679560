"""HTTP routes serving each result's label: /labels/{result_id}.png and .svg (?release=ID).

Input from the address is checked before anything is read: a malformed release is a 400, an unknown or
malformed result or release a 404, each with its reason and never the input echoed back. GET and HEAD get
the same headers; an ETag made from what the label says lets caches (the Hub's image proxy, browsers)
revalidate with If-None-Match and get a 304 instead of a new image.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request, Response
from pydantic import TypeAdapter, ValidationError

from core.models import RecordId
from core.releases import LATEST_RELEASE_ID
from core.settings import Settings
from core.store import NotFound
from label.content import LabelData
from label.tab import RELEASE_ID, label_for
from leaderboard.tables import LATEST, LeaderboardData

# Labels of a cut release never change, but the default one follows the newest release: revalidate often.
CACHE_CONTROL = "public, max-age=300"
_RESULT_ID = TypeAdapter(RecordId)
_MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def checked_release(release: str | None) -> str | None:
    """The release asked for, if it is a release's name (or the latest view's); 400 otherwise."""
    if release is None or release == LATEST or release.lower() == LATEST_RELEASE_ID:
        return release
    try:
        return RELEASE_ID.validate_python(release)
    except ValidationError:
        raise HTTPException(
            status_code=400,
            detail="release must be a release's name (letters, digits, '.', '_' and '-', at most 64) or 'latest'",
        ) from None


@functools.cache
def _renderer() -> str:
    """What draws the labels: a change to it changes every tag, so no cache keeps an image the code no longer
    draws. Read on the first label, not on import (importing the app does no I/O)."""
    return hashlib.sha256(
        b"".join(path.read_bytes() for path in sorted(Path(__file__).parent.glob("*.py")))
    ).hexdigest()


def etag(content: LabelData, extension: str) -> str:
    """Derived from everything the label says (the result's figures, the release's stars) and its format."""
    digest = hashlib.sha256(f"{_renderer()}\0{extension}\0{content.model_dump_json()}".encode()).hexdigest()
    return f'"{digest[:32]}"'


def _matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {candidate.strip().removeprefix("W/") for candidate in if_none_match.split(",")}
    return "*" in candidates or tag in candidates


def register(app: FastAPI, data: LeaderboardData, settings: Settings) -> None:
    """Add the label routes (GET and HEAD)."""

    def respond(request: Request, result_id: str, release: str | None, extension: str) -> Response:
        from label.render import render_png
        from label.svg import render_svg

        release = checked_release(release)
        try:
            content = label_for(data, _RESULT_ID.validate_python(result_id), release, settings.public_url)
        except ValidationError:
            raise HTTPException(status_code=404, detail="no result with such an id") from None
        except NotFound as err:
            raise HTTPException(status_code=404, detail=str(err)) from None
        tag = etag(content, extension)
        headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
        if _matches(request.headers.get("if-none-match"), tag):
            return Response(status_code=304, headers=headers)
        body = render_png(content) if extension == "png" else render_svg(content).encode()
        headers["Content-Disposition"] = f'inline; filename="{_file_name(content.model_id)}.{extension}"'
        if request.method == "HEAD":  # the same headers, the length included, and no body
            headers["Content-Length"] = str(len(body))
            body = b""
        return Response(body, media_type=_MEDIA_TYPES[extension], headers=headers)

    @app.api_route("/labels/{result_id}.png", methods=["GET", "HEAD"], response_class=Response)
    def label_png(request: Request, result_id: str, release: str | None = None) -> Response:
        return respond(request, result_id, release, "png")

    @app.api_route("/labels/{result_id}.svg", methods=["GET", "HEAD"], response_class=Response)
    def label_svg(request: Request, result_id: str, release: str | None = None) -> Response:
        return respond(request, result_id, release, "svg")


def _file_name(model_id: str) -> str:
    return "ai-energy-score-" + "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in model_id)
