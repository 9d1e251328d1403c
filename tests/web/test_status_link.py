"""The customer sees their status link on the thank-you page, and links follow the server's port unless a
public base URL is configured (with a start-up warning when it looks wrong)."""

from __future__ import annotations

import re

from click.testing import CliRunner

from feedbackloop.config import Settings, get_settings


def test_the_thank_you_page_shows_a_working_status_link(client, db, monkeypatch):
    monkeypatch.setattr(get_settings(), "base_url", "")
    monkeypatch.setattr(get_settings(), "port", 8147)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/f").text).group(1)
    page = client.post("/f", data={"csrf_token": token, "content": "门店的洗手间太脏了"})
    assert page.status_code == 200
    link = re.search(r'data-testid="status-link"[^>]*>([^<]+)<', page.text).group(1)
    assert link.startswith("http://localhost:8147/s/")
    status = client.get("/s/" + link.rsplit("/s/", 1)[1])
    assert status.status_code == 200 and "FB" in status.text


def test_links_default_to_the_port_and_the_base_url_is_checked():
    assert Settings(port=8141).link_base() == "http://localhost:8141"
    assert Settings(base_url="https://fb.example.com/", port=8141).link_base() == "https://fb.example.com"
    assert Settings(base_url="https://fb.example.com").base_url_problems() == []
    assert "FEEDBACKLOOP_BASE_URL" in Settings().base_url_problems()[0]
    local = Settings(base_url="http://localhost:8000", port=8142).base_url_problems()
    assert len(local) == 2 and "8142" in local[1]
    assert Settings(base_url="fb.example.com").base_url_problems()


def test_serve_warns_at_start(monkeypatch):
    import uvicorn

    from feedbackloop.cli import main

    monkeypatch.setattr(get_settings(), "base_url", "")
    monkeypatch.setattr(get_settings(), "port", 8000)  # restored after the command sets it
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)  # the check, not the server, is under test
    result = CliRunner().invoke(main, ["serve", "--port", "8143"])
    assert result.exit_code == 0, result.output
    assert "警告" in result.output and "http://localhost:8143" in result.output
    assert get_settings().link_base() == "http://localhost:8143"
