"""/docs works on a closed network: the page and every asset it loads come from the product; /favicon.ico
exists (it was a 404 on every page)."""

from __future__ import annotations

import re


def test_the_api_docs_load_only_local_assets(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources  # no CDN, no other host
    assert "<script>" not in page.text  # no inline script under the CSP
    for src in sources:
        r = client.get(src)
        assert r.status_code == 200 and r.content, src
    assert "SwaggerUIBundle" in client.get("/docs-assets/swagger-ui-bundle.js").text
    assert client.get("/openapi.json").json()["info"]["title"] == "FeedbackLoop API"


def test_favicon(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml") and b"<svg" in r.content
    assert 'rel="icon" href="/favicon.ico"' in client.get("/login").text
