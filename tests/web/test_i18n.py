"""The UI language: every text the templates translate has an English entry, and error messages split cleanly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import feedbackloop.web.app  # noqa: F401  (every page module, each adding its English to the catalogue)
from feedbackloop.web.i18n import EN, localize_message, translator
from feedbackloop.web.pages import public

TEMPLATES = Path(__file__).resolve().parents[2] / "feedbackloop" / "web" / "templates"
OWN = sorted(TEMPLATES.rglob("*.html"))
_CALL = re.compile(r"""_\(\s*(["'])(.+?)\1""")


@pytest.mark.parametrize("template", OWN, ids=lambda p: p.name)
def test_every_translated_text_has_english(template):
    texts = {m.group(2) for m in _CALL.finditer(template.read_text(encoding="utf-8"))}
    assert not sorted(t for t in texts if t not in EN)


def test_form_error_messages_have_english():
    assert all(message in EN for message in public._MESSAGES.values())


def test_placeholders_are_filled_in_both_languages():
    assert translator("zh-CN")("与 {id} 重复", id="FB1") == "与 FB1 重复"
    assert translator("en")("与 {id} 重复", id="FB1") == "Duplicate of FB1"


@pytest.mark.parametrize(
    ("lang", "expected"), [("zh-CN", "用户名或密码错误"), ("en", "Wrong username or password")]
)
def test_bilingual_messages_are_split(lang, expected):
    assert localize_message("用户名或密码错误 / wrong username or password", lang) == expected
