"""The feedback detail page: every field, masked contact, duplicates, the analysis panel, inert HTML."""

from __future__ import annotations

from sqlalchemy import update
from web_fixtures import *  # noqa: F403  (fixtures: admin_client, live_server, browser)
from web_helpers import XSS

from feedbackloop.feedback.models import Feedback


def test_detail_shows_fields_and_masks_contact(admin_client, make_feedback):
    f = make_feedback(
        content="早餐种类太少了\n第二行",
        customer_name="李女士",
        contact="13812345678",
        region="上海",
        industry="酒店",
        product="豪华大床房",
        expected_solution="增加早餐品种",
        rating=2,
        occurred="近一周频繁发生",
        touchpoint="上海南京西路店",
        consent_public=True,
    )
    html = admin_client.get(f"/feedback/{f.id}").text
    for text in (
        "李女士",
        "138****5678",
        "上海",
        "酒店",
        "豪华大床房",
        "增加早餐品种",
        "近一周频繁发生",
        "上海南京西路店",
    ):
        assert text in html
    assert "早餐种类太少了\n第二行" in html
    assert "13812345678" not in html


def test_unknown_id_is_a_404_page(admin_client):
    r = admin_client.get("/feedback/FB19990101001")
    assert r.status_code == 404
    assert "FB19990101001 不存在" in r.text and "<html" in r.text


def test_duplicates_link_both_ways(admin_client, make_feedback):
    original = make_feedback(content="快递员态度恶劣, 把包裹直接扔在门口")
    copy = make_feedback(content="快递员态度恶劣, 把包裹直接扔在门口", channel="email")
    copy_html = admin_client.get(f"/feedback/{copy.id}").text
    assert f'href="/feedback/{original.id}"' in copy_html and f"与 {original.id} 重复" in copy_html
    original_html = admin_client.get(f"/feedback/{original.id}").text
    assert "重复反馈" in original_html and f'href="/feedback/{copy.id}"' in original_html


def test_analysis_panel_shows_the_analysis(admin_client, make_feedback, db):
    f = make_feedback(content="房间很干净, 但是前台太慢")
    analysis = {
        "sentiment": {
            "label": "negative",
            "score": 0.21,
            "intensity": 4,
            "emotions": ["失望"],
            "explanation": [{"term": "太慢", "weight": -1.3}],
        },
        "aspects": [{"aspect": "卫生", "sentiment": "positive", "evidence": "房间很干净"}],
        "problem_type": "服务质量",
        "urgency": "一般",
        "urgency_reasons": [],
        "keywords": ["前台"],
        "model_version": "test-1.0",
    }
    db.execute(
        update(Feedback)
        .where(Feedback.id == f.id)
        .values(analysis=analysis, sentiment="negative", urgency="一般")
    )
    db.commit()
    html = admin_client.get(f"/feedback/{f.id}").text
    for text in ("负面", "0.21", "失望", "太慢", "卫生", "房间很干净", "前台", "test-1.0"):
        assert text in html


def test_urgency_reasons_read_with_the_pages_colon(admin_client, make_feedback):
    """A reason is stored as "category: words" (the facets parse it); the page shows 食品安全：头发 in Chinese."""
    f = make_feedback(content="外卖里吃出一根头发，太恶心了")
    html = admin_client.get(f"/feedback/{f.id}").text
    reasons = html.split("紧急原因", 1)[1].split("</div>", 1)[0]
    assert "：" in reasons and ": " not in reasons, reasons


def test_unanalysed_record_says_not_yet(admin_client, make_feedback, db):
    f = make_feedback()
    # Intake may analyse at once; this is the state before (or without) the analysis.
    db.execute(
        update(Feedback).where(Feedback.id == f.id).values(analysis=None, sentiment=None, urgency=None)
    )
    db.commit()
    assert "尚未分析" in admin_client.get(f"/feedback/{f.id}").text


def test_html_in_feedback_is_shown_as_text(admin_client, make_feedback):
    f = make_feedback(content=XSS + "房间太吵", customer_name="<b>x</b>")
    for page in ("/inbox", f"/feedback/{f.id}"):
        html = admin_client.get(page).text
        assert "<script>window.__xss" not in html and "<img src=x" not in html
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
        assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_pages_forbid_inline_scripts(admin_client, make_feedback):
    f = make_feedback()
    policy = admin_client.get(f"/feedback/{f.id}").headers["content-security-policy"]
    assert (
        "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
