"""The import page: the upload form wired to the imports API."""

from __future__ import annotations

from web_fixtures import *  # noqa: F403  (fixtures: admin_client, live_server, browser)


def test_import_page_has_file_input_and_channels(admin_client):
    html = admin_client.get("/import").text
    assert 'type="file" name="file"' in html and 'action="/api/v1/imports"' in html
    assert "天猫" in html and "京东" in html and "/static/import.js" in html
    assert f'data-csrf="{admin_client.csrf}"' in html


def test_static_assets_are_served(client):
    for asset in ("app.css", "app.js", "form.js", "import.js"):
        assert client.get(f"/static/{asset}").status_code == 200
