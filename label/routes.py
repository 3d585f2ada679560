"""HTTP routes serving each result's label: /labels/{result_id}.png and .svg (?release=ID)."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Response

from core.settings import Settings
from core.store import NotFound
from label.tab import label_for
from leaderboard.tables import LeaderboardData


def register(app: FastAPI, data: LeaderboardData, settings: Settings) -> None:
    """Add the label routes; a missing result or release is a 404 with the reason."""

    def label(result_id: str, release: str | None):
        try:
            return label_for(data, result_id, release, settings.public_url)
        except NotFound as err:
            raise HTTPException(status_code=404, detail=str(err)) from None

    def respond(result_id: str, release: str | None, extension: str) -> Response:
        from label.render import render_png
        from label.svg import render_svg

        content = label(result_id, release)
        body, media_type = (
            (render_png(content), "image/png") if extension == "png" else (render_svg(content), "image/svg+xml")
        )
        disposition = f'inline; filename="{_file_name(content.model_id)}.{extension}"'
        return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})

    @app.get("/labels/{result_id}.png", response_class=Response)
    def label_png(result_id: str, release: str | None = None) -> Response:
        return respond(result_id, release, "png")

    @app.get("/labels/{result_id}.svg", response_class=Response)
    def label_svg(result_id: str, release: str | None = None) -> Response:
        return respond(result_id, release, "svg")


def _file_name(model_id: str) -> str:
    return "ai-energy-score-" + "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in model_id)
