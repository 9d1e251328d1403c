"""An agent's day in Chromium (issue 14, "Done when"): log in, open 我的, sort by SLA, bulk-assign three items
to a colleague, reply by SMS to a phone-only customer (the local provider server receives a correctly signed
request) and see the reply on the customer's status page; a web-form text the analysis classes as 物流 lands
with the 物流 team at once; a food-safety text gets the top priority and escalates; no console errors (the
inputs' patterns compile), and the English item panel speaks English."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from provider_server import ProviderServer
from sqlalchemy import select

from feedbackloop.accounts.models import User
from feedbackloop.audit.models import AuditEntry
from feedbackloop.config import get_settings
from feedbackloop.db import begin_write
from feedbackloop.feedback.models import Feedback
from feedbackloop.workflow import routing, services

pytestmark = pytest.mark.browser
PHONE = "13912345678"
SHOTS = "/tmp/fl-h14-shots"


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderServer]:
    with ProviderServer() as server:
        settings = get_settings()
        for key, value in {"sms_provider": "aliyun", "sms_endpoint": f"{server.url}/aliyun/",
                           "sms_key_id": server.key_id, "sms_key_secret": server.secret,
                           "sms_sign_name": "反馈闭环", "sms_template": "SMS_0001"}.items():
            monkeypatch.setattr(settings, key, value)
        yield server


@pytest.fixture
def day(db, make_user, make_feedback):  # type: ignore[no-untyped-def]
    """Two agents and a supervisor, a 物流组 with a rule 问题类型=物流, a default pool, four items of 张三."""
    names = {}
    for key, role, display in (("zhang", "agent", "张三"), ("li", "agent", "李四"), ("sup", "supervisor", "王主管")):
        name, _ = make_user(role, display_name=display)
        names[key] = name
    begin_write(db)
    users = {k: db.scalar(select(User).where(User.username == v)) for k, v in names.items()}
    sup = users["sup"]
    logistics = routing.save_team(db, sup, {"name": "物流组", "kind": "一线客服", "strategy": "round_robin",
                                            "member_ids": [users["zhang"].id]})
    routing.save_team(db, sup, {"name": "客服池", "kind": "一线客服", "strategy": "pool", "is_default": True,
                                "member_ids": [users["li"].id]})  # a user is in one team
    begin_write(db)
    routing.save_rule(db, {"name": "物流投诉", "problem_type": "物流", "team_id": logistics["id"]})
    texts = ["房间隔音太差，一晚上没睡好", "早餐种类太少了", "前台办理入住等了半小时", "空调遥控器坏了，请尽快处理"]
    items = [make_feedback(content=t, contact=PHONE if n == 3 else f"guest{n}@example.com") for n, t in enumerate(texts)]
    for item in items:
        services.assign(db, item.id, users["zhang"].id, sup)
    return {"users": users, "names": names, "items": items, "logistics": logistics["id"]}


def _sign_in(browser, base, username, password="password-123", width=1440, height=900):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))
    return context, page, errors


def test_an_agents_day(browser, live_server, db, day, provider):
    import os

    os.makedirs(SHOTS, exist_ok=True)
    zhang, li = day["users"]["zhang"], day["users"]["li"]
    context, page, errors = _sign_in(browser, live_server, day["names"]["zhang"])

    # 我的, sorted by SLA: soonest due first, owner and priority columns filled
    page.locator('[data-testid=queue-views] a[data-view="mine"]').click()
    page.wait_for_url(re.compile(r".*view=mine"))
    page.locator("select[name=sort]").select_option("sla")
    page.locator("form.filters button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*sort=sla"))
    rows = page.locator("[data-testid=inbox-table] tbody tr")
    expect(rows).to_have_count(4)
    seconds = [int(s) for s in page.locator("td[data-col=sla]").evaluate_all("els => els.map(e => e.dataset.seconds)")]
    assert seconds == sorted(seconds), seconds
    assert set(page.locator("td[data-col=owner]").all_inner_texts()) == {"张三"}
    assert all(re.search(r"\d+ (小时|分)", t) for t in page.locator("td[data-col=sla]").all_inner_texts())
    page.screenshot(path=f"{SHOTS}/mine-1440.png", full_page=True)

    # bulk-assign three (not the phone-only one) to 李四: one audit entry per item
    phone_id = day["items"][3].id
    others = [i.id for i in day["items"][:3]]
    for fid in others:
        page.locator(f'tr[data-id="{fid}"] input[data-bulk=item]').check()
    bar = page.locator("[data-testid=bulk-bar]")
    expect(bar).to_be_visible()
    bar.locator("select[data-bulk=action]").select_option("assign")
    bar.locator("select[data-bulk=owner_id]").select_option(str(li.id))
    with page.expect_response("**/api/v1/feedback/bulk") as answer:
        bar.locator("button[data-bulk=apply]").click()
    assert answer.value.status == 200
    expect(rows).to_have_count(1)  # 我的 now holds only the phone-only item
    db.rollback()
    db.expire_all()
    for fid in others:
        assert db.get(Feedback, fid).owner_id == li.id
        entries = db.scalars(select(AuditEntry).where(AuditEntry.entity_id == fid, AuditEntry.action == "feedback.update")
                             .order_by(AuditEntry.seq.desc())).all()
        assert entries[0].after.get("owner_id") == li.id and entries[0].actor == day["names"]["zhang"]
        assert sum(1 for e in entries if (e.after or {}).get("owner_id") == li.id) == 1

    # reply by SMS to the phone-only customer from the item page
    page.goto(f"{live_server}/feedback/{phone_id}")
    panel = page.locator("#wf-actions")
    expect(panel.locator("[data-wf=status_label]")).to_have_text("已分配")
    panel.locator("[data-wf=body]").fill("您好，维修师傅 20 分钟内上门更换空调遥控器，给您带来不便非常抱歉。")
    panel.locator("button[data-wf-action=reply]").click()
    expect(panel.locator("[data-wf=replies]")).to_contain_text("已发送")
    [request] = provider.of("aliyun")
    assert request.signature_ok and request.params["PhoneNumbers"] == PHONE
    link = json.loads(request.params["TemplateParam"])["link"]
    # resolving updates the header at once (it used to say 已分配 until a reload)
    panel.locator("button[data-to=resolved]").click()
    expect(panel.locator("[data-wf=status_label]")).to_have_text("已解决")
    expect(page.locator("[data-status-badge]")).to_have_text("已解决")
    page.screenshot(path=f"{SHOTS}/item-1440.png", full_page=True)

    # the customer's status page (on a phone) shows the reply
    customer = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    status = customer.new_page()
    status.goto(live_server + "/s/" + link.rsplit("/s/", 1)[1])
    expect(status.locator("[data-testid=status-reply]").first).to_contain_text("维修师傅 20 分钟内上门")
    status.screenshot(path=f"{SHOTS}/status-390.png", full_page=True)

    # the public form: a 物流 text goes to the 物流 team at once, a food-safety text to the top and escalates
    form = customer.new_page()
    for text in ("外卖送得太慢了，饭都凉了，骑手还很凶", "吃出一根头发"):
        form.goto(f"{live_server}/f")
        form.fill("textarea[name=content]", text)
        form.locator("button[type=submit]").click()
        expect(form.locator("[data-testid=status-link]")).to_contain_text("/s/")
    form.screenshot(path=f"{SHOTS}/thanks-390.png", full_page=True)
    db.rollback()
    late = {f.content: f for f in db.scalars(select(Feedback).where(Feedback.channel == "web_form"))}
    logistics = late["外卖送得太慢了，饭都凉了，骑手还很凶"]
    assert logistics.team_id == day["logistics"] and logistics.owner_id == zhang.id and logistics.status == "assigned"
    safety = late["吃出一根头发"]
    assert safety.priority == "urgent" and safety.escalation_level >= 2

    # English: the item panel, filled by JS, speaks English
    page.goto(f"{live_server}/workflow/items/{logistics.id}?lang=en")
    en_panel = page.locator("#wf-actions")
    expect(en_panel.locator("[data-wf=status_label]")).to_have_text("assigned")
    reasons = en_panel.locator("[data-wf=reasons]").inner_text()
    assert reasons and not re.search(r"[\u4e00-\u9fff]", reasons + en_panel.locator("[data-wf=sla]").inner_text()), reasons
    # … and so does its history (stored once as 中文 / English): only names (teams, people) stay as they were typed
    expect(en_panel.locator("[data-wf=history] li").first).to_be_visible()
    history = en_panel.locator("[data-wf=history]").inner_text()
    from feedbackloop.accounts.models import Team

    names = [*db.scalars(select(Team.name)), *(n for n in db.scalars(select(User.display_name)) if n)]
    for name in sorted(names, key=len, reverse=True):
        history = history.replace(name, "")
    assert "Routed to" in history and not re.search(r"[\u4e00-\u9fff]", history), history
    context.close()

    # an admin's pages: the slug and username patterns compile (no console error), and they validate
    admin_ctx, admin, admin_errors = _sign_in(browser, live_server, "admin", os.environ["FEEDBACKLOOP_ADMIN_PASSWORD"])
    for path, name in (("/touchpoints", "slug"), ("/admin/users", "username")):
        admin.goto(live_server + path)
        field = admin.locator(f"input[name={name}]").first
        field.fill("坏 值!")
        assert field.evaluate("el => el.checkValidity()") is False
        field.fill("good-value")
        assert field.evaluate("el => el.checkValidity()") is True
    admin.goto(f"{live_server}/workflow/admin")  # the rule table names the team, strategies in words
    expect(admin.locator('tbody[data-list="/api/v1/routing-rules"]')).to_contain_text("物流组")
    expect(admin.locator('tbody[data-list="/api/v1/workflow/teams"]')).to_contain_text("轮询")
    assert "round_robin" not in admin.locator('tbody[data-list="/api/v1/workflow/teams"]').inner_text()
    admin.goto(f"{live_server}/admin/audit")
    width = admin.evaluate("document.querySelector('[data-testid=audit]').scrollWidth")
    assert width <= 1440, width
    admin.goto(f"{live_server}/docs")
    expect(admin.locator(".swagger-ui .info .title")).to_contain_text("FeedbackLoop API", timeout=30_000)  # 1 MB of JS on a busy machine
    admin_ctx.close()
    customer.close()
    assert not [e for e in errors + admin_errors if "favicon" in e or "pattern" in e.lower() or "Invalid" in e], errors
    assert not errors + admin_errors, errors + admin_errors
