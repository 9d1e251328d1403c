"""The API docs at /docs, served entirely from the product (Swagger UI from the swagger-ui-bundle package),
so they work on a closed network; the init script is a static file, so the page keeps the strict CSP."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title} · API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="/docs-assets/swagger-ui.css"></head>
<body><div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="/docs-assets/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script></body></html>"""
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def install(app: FastAPI, favicon: str) -> None:
    """Mount the Swagger UI assets and the /docs page (create FastAPI with docs_url=None, redoc_url=None)."""
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        html = PAGE.format(title=app.title, openapi=app.openapi_url or "/openapi.json")
        return HTMLResponse(html, headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon_ico() -> FileResponse:
        return FileResponse(favicon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
