"""The demo's 90 days of work on the demo reviews: a team's real quarter, so every page and KPI has data.

Teams and agents, routing rules, touchpoints, the business calendar with the October holidays; items
assigned, answered, waiting on the customer, resolved, closed, reopened, escalated and breached, with their
history; knowledge articles; an improvement plan shipped a month ago with its effect; CSAT after resolution,
NPS after orders and CES by hand, answered over the 90 days; KPI targets. Deterministic (seeded).

Called once by feedback/demo.py after the reviews are stored; writes the workflow state directly (history
included), as a quarter of real use would have left it."""

from __future__ import annotations

import hashlib
import random
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from feedbackloop.accounts import services as accounts
from feedbackloop.accounts.models import User
from feedbackloop.accounts.policy import HANDLERS
from feedbackloop.audit.autolog import SKIP_KEY
from feedbackloop.db import begin_write, session_scope
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock
from feedbackloop.surveys.models import Survey, SurveyInvitation, SurveyResponse
from feedbackloop.workflow import sla
from feedbackloop.workflow.calendar import add_minutes
from feedbackloop.workflow.models import HistoryEntry, KbArticle, Reply, RoutingRule
from feedbackloop.workflow.replies import MANUAL_LABEL, REPLY_LABELS

TEAMS = [  # name, kind, strategy, default, members (username, display name, role)
    ("一线客服组", "一线客服", "round_robin", True, [("zhangmin", "张敏", "agent"), ("lina", "李娜", "agent"),
                                                 ("wangqiang", "王强", "agent"), ("zhaolei", "赵磊", "agent")]),
    ("物流专家组", "专家团队", "least_loaded", False, [("chenjing", "陈静", "agent"), ("liuyang", "刘洋", "agent")]),
    ("产品团队", "产品团队", "round_robin", False, [("sunyue", "孙悦", "product_manager"), ("heping", "何平", "agent"),
                                                 ("xuming", "徐明", "agent"), ("gaoyan", "高燕", "agent")]),
    ("客服管理层", "部门经理", "round_robin", False, [("zhoujie", "周洁", "supervisor")]),
]  # fmt: skip
RULES = [("物流问题 → 物流专家组", "物流", "物流专家组"), ("产品功能 → 产品团队", "产品功能", "产品团队"),
         ("界面/交互 → 产品团队", "界面/交互", "产品团队"), ("服务投诉 → 客服管理层", "服务质量", "客服管理层")]  # fmt: skip
PLATFORMS = ("tmall", "jd", "meituan", "dianping")  # review platforms: the answer is a public reply there
TOUCHPOINTS = [("上海南京西路店", "store"), ("北京三里屯店", "store"), ("杭州西湖店", "store"), ("官网商品页", "product_page")]
HOLIDAYS = ["2026-09-25", *[f"2026-10-0{d}" for d in range(1, 8)], "2026-12-25"]
MAKEUP_DAYS = ["2026-09-27", "2026-10-10"]
TARGETS = {"csat": 85, "nps": 30, "ces": 5.0, "ces_share": 70, "response_rate": 35, "first_response_minutes_median": 120,
           "first_response_minutes_p90": 480, "resolution_minutes_median": 960, "resolution_minutes_p90": 2700,
           "handling_rate": 85, "sla_compliance": 90, "fcr": 75, "repeat_rate": 15, "complaint_rate": 35,
           "positive_rate": 50, "retention": 25}  # fmt: skip
KB = [
    ("快递延误的处理", "物流", "订单超过承诺时效未送达", "合作快递中转站爆仓", "1. 查询物流轨迹 2. 联系快递催件 3. 超 72 小时补发或退款"),
    ("房间卫生投诉", "服务质量", "客人反映房间不干净", "保洁检查表未执行", "1. 立即换房或重新打扫 2. 赠送早餐券 3. 记录保洁员"),
    ("App 登录失败", "产品功能", "升级后无法登录", "旧版本令牌失效", "1. 请客户更新到最新版本 2. 清除缓存后重新登录"),
    ("外卖餐品洒漏", "物流", "送达时汤汁洒出", "包装未加封口贴", "1. 退还餐费 2. 通知门店使用封口贴"),
]  # fmt: skip
COMMENTS = {"low": ["等了好几天才有人回复", "问题还是没解决", "客服态度一般，没有给出方案"],
            "mid": ["还可以，就是有点慢", "解决了，但是过程有点麻烦"],
            "high": ["客服很耐心，很快就解决了", "处理得很专业，谢谢", "非常满意，会推荐给朋友"]}  # fmt: skip


def _minutes_lognormal(rng: random.Random, median: float, spread: float = 0.9) -> float:
    return max(5.0, rng.lognormvariate(0, spread) * median)


class Month:
    """Plays the quarter on the stored demo items."""

    def __init__(self, session: Session, rng: random.Random) -> None:
        self.s, self.rng, self.now = session, rng, clock.now()
        self.teams: dict[str, int] = {}
        self.members: dict[str, list[int]] = {}  # the team's agents, supervisors and admins: who may own items
        self.names: dict[int, str] = {}
        self.history: list[dict[str, Any]] = []
        self.replies: list[dict[str, Any]] = []

    # --- set-up ----------------------------------------------------------------------------------------------
    def organisation(self) -> None:
        from feedbackloop import audit
        from feedbackloop.workflow import routing

        admin = self.s.scalar(select(User).where(User.username == "admin"))
        # One random password nobody knows, hashed once (argon2 takes most of a second per hash): the demo
        # staff are owners of work, not accounts to sign in with; an admin resets a password to use one.
        password_hash = accounts.hash_password(secrets.token_urlsafe(16))
        for name, kind, strategy, default, people in TEAMS:
            ids = []
            begin_write(self.s)
            for username, display, role in people:
                user = User(username=username, password_hash=password_hash, role=role, display_name=display,
                            email=f"{username}@demo.feedbackloop.local")  # fmt: skip
                self.s.add(user)
                self.s.flush()
                audit.record(self.s, admin, "user.create", "user", user.id, None, {"username": username, "role": role})
                ids.append(user.id)
                self.names[user.id] = display
            self.s.commit()
            team = routing.save_team(self.s, admin, {"name": name, "kind": kind, "strategy": strategy,  # type: ignore[arg-type]
                                                      "is_default": default, "member_ids": ids})  # fmt: skip
            self.teams[name] = team["id"]
            self.members[name] = [uid for uid, (_u, _d, role) in zip(ids, people, strict=True) if role in HANDLERS]
        begin_write(self.s)
        for n, (rule, problem, team_name) in enumerate(RULES):
            self.s.add(RoutingRule(name=rule, position=10 * (n + 1), problem_type=problem, team_id=self.teams[team_name]))
        sla.update_calendar(self.s, {"holidays": HOLIDAYS, "extra_workdays": MAKEUP_DAYS})
        for title, problem, what, cause, steps in KB:
            self.s.add(KbArticle(title=title, problem=what, root_cause=cause, steps=steps, problem_type=problem,
                                 outcome="客户确认解决", tags=[problem], review_date=(self.now + timedelta(days=180)).date()))  # fmt: skip
        self.s.commit()
        from feedbackloop.feedback import touchpoints

        for name, kind in TOUCHPOINTS:
            touchpoints.create_touchpoint(self.s, name, kind)

    # --- one item's life ------------------------------------------------------------------------------------
    def _team_for(self, record: Feedback) -> str:
        for _, problem, team_name in RULES:
            if record.problem_type == problem:
                return team_name
        return "一线客服组"

    def _event(self, record: Feedback, at: datetime, kind: str, actor: int | None, reason: str | None = None,
               **fields: Any) -> None:  # fmt: skip
        name = "system" if actor is None else self.names.get(actor, str(actor))
        self.history.append({"feedback_id": record.id, "at": at, "kind": kind, "actor_id": actor, "actor": name,
                             "reason": reason, "from_status": None, "to_status": None, "data": None, **fields})  # fmt: skip

    def _move(self, record: Feedback, at: datetime, to: str, actor: int | None, reason: str | None = None) -> None:
        self._event(record, at, "status", actor, reason, from_status=record.status, to_status=to)
        record.status = to

    def live(self, record: Feedback, work: sla.Clockwork) -> None:
        """Assign, answer, maybe wait, resolve, close or reopen one item, up to now."""
        rng, hours = self.rng, work.hours
        team = self._team_for(record)
        owner = rng.choice(self.members[team])
        start = record.received_at
        record.created_at = start
        low = (record.rating or 3) <= 2
        record.priority = "urgent" if record.urgency == "紧急" else ("high" if low else ("low" if (record.rating or 3) >= 4 else "normal"))
        record.team_id, record.escalation_level = self.teams[team], 1
        sla.apply_policy(record, work, start)
        record.status = "new"
        assigned = start + timedelta(minutes=rng.uniform(1, 20))
        if assigned > self.now:
            return
        if timedelta(hours=1) < self.now - start < timedelta(hours=12) and rng.random() < 0.5:  # some wait in the pool
            record.status = "triaged"
            self._event(record, assigned, "status", None, f"自动分派到{team}，待认领 / Routed to {team}: waiting to be claimed",
                        from_status="new", to_status="triaged", data={"team_id": record.team_id, "owner_id": None})  # fmt: skip
            return
        record.owner_id = owner
        self._event(record, assigned, "status", None, f"自动分派到{team} / Routed to {team}", from_status="new",
                    to_status="assigned", data={"team_id": record.team_id, "owner_id": owner})  # fmt: skip
        record.status = "assigned"
        first = add_minutes(assigned, _minutes_lognormal(rng, 75 if not low else 50), hours)
        if first > self.now:
            return
        record.first_responded_at = first
        self._first_reply(record, first, owner)
        self._move(record, first, "in_progress", owner)
        at = first
        if rng.random() < 0.2:  # asks the customer for details, who answers a few hours later
            self._move(record, at + timedelta(minutes=20), "waiting_customer", owner,
                       "请客户补充订单号 / Asked the customer for the order number")
            back = at + timedelta(hours=rng.uniform(2, 30))
            if back > self.now:
                record.sla_paused_at = at + timedelta(minutes=20)
                return
            record.sla_paused_seconds = int((back - at - timedelta(minutes=20)).total_seconds())
            self._move(record, back, "in_progress", None, "客户已回复 / The customer answered")
            at = back
        if rng.random() < 0.05:
            record.escalation_level = 2
            self._event(record, at + timedelta(minutes=30), "escalation", owner, "升级到专家团队：需要专家判断 / Escalated to level 2: needs an expert", data={"level": 2})
        resolved = add_minutes(at, _minutes_lognormal(rng, 420 if not low else 600, 1.0), hours)
        self._breaches(record, first, resolved)
        if resolved > self.now:
            return
        self._resolve(record, resolved, owner)
        if rng.random() < 0.07 and resolved + timedelta(days=1) < self.now:  # comes back: reopened, solved again
            again = resolved + timedelta(hours=rng.uniform(4, 40))
            self._move(record, again, "reopened", None, "客户反馈问题仍在 / The customer says the problem is back")
            record.reopen_count, record.resolved_at, record.closed_at = 1, None, None
            later = add_minutes(again, _minutes_lognormal(rng, 300), hours)
            if later > self.now:
                return
            self._resolve(record, later, owner)
            resolved = later
        if rng.random() < 0.55 and resolved + timedelta(hours=30) < self.now:
            answered = resolved + timedelta(hours=rng.uniform(1, 30))
            record.satisfaction, record.satisfaction_at = "satisfied", answered
            self._event(record, answered, "satisfaction", None, "客户评价：满意 / The customer was satisfied")
            record.closed_at = answered
            self._move(record, answered, "closed", None, "客户满意，自动关闭 / The customer was satisfied: closed")

    def _first_reply(self, record: Feedback, at: datetime, owner: int) -> None:
        """The first answer, on the channel the contact allows, as the product records it: an e-mail that was
        sent, an SMS that waits for a call by hand (the demo configures no SMS provider: 待人工外呼), or, for a
        platform review without a contact, the public reply the agent posted on the platform."""
        contact = record.contact or ""
        body = "您好，我们已收到您的反馈，正在处理。"
        row = {"feedback_id": record.id, "direction": "out", "author_id": owner, "body": body, "created_at": at,
               "to_addr": None, "subject": None, "sent_at": None, "provider": None, "error": None}  # one key set
        if "@" in contact:
            self._event(record, at, "reply", owner, REPLY_LABELS["email"])
            self.replies.append({**row, "kind": "email", "to_addr": contact, "subject": f"[{record.id}] 关于您的反馈",
                                 "state": "sent", "sent_at": at, "provider": "smtp"})  # fmt: skip
        elif contact:
            self._event(record, at, "reply", owner, REPLY_LABELS["sms"])
            self._event(record, at, "delivery", None, f"{MANUAL_LABEL}：未配置短信服务，请电话联系客户 / "
                        "To call by hand: No SMS provider is configured: call the customer")  # fmt: skip
            self.replies.append({**row, "kind": "sms", "to_addr": contact, "state": "manual",
                                 "error": "未配置短信服务，请电话联系客户 / No SMS provider is configured: call the customer"})  # fmt: skip
        elif record.channel in PLATFORMS:
            thanks = record.sentiment == "positive"
            self._event(record, at, "reply", owner, REPLY_LABELS["public_draft"])
            self.replies.append({**row, "kind": "public_draft", "state": "draft",
                                 "body": "感谢您的好评，期待您再次光临！" if thanks
                                 else "感谢您的评价，给您带来不便非常抱歉，我们已安排专人跟进。"})  # fmt: skip
        else:  # a form, QR code or CRM item without a contact: nobody to answer, the agent notes what was done
            self._event(record, at, "reply", owner, REPLY_LABELS["note"])
            self.replies.append({**row, "kind": "note", "state": "draft", "body": "客户未留联系方式，已转门店核实处理。"})

    def _resolve(self, record: Feedback, at: datetime, owner: int) -> None:
        self._move(record, at, "resolved", owner, "已处理完成 / Resolved")
        record.resolved_at = at
        record.followup_due_at = at + sla.FOLLOWUP_AFTER
        record.followup_done_at = at + sla.FOLLOWUP_AFTER if at + sla.FOLLOWUP_AFTER < self.now else None
        record.customer_notified_at = at
        record.status_token = record.status_token or secrets.token_urlsafe(24)

    def _breaches(self, record: Feedback, first: datetime, resolved: datetime) -> None:
        if record.first_response_due and first > record.first_response_due:
            record.first_response_breached_at = record.first_response_due
        if record.resolution_due and min(resolved, self.now) > record.resolution_due:
            record.resolution_breached_at = record.resolution_due
        if record.first_response_breached_at or record.resolution_breached_at:
            record.escalation_level = max(record.escalation_level, 2)
            when = record.first_response_breached_at or record.resolution_breached_at
            assert when is not None
            self._event(record, when, "escalation", None, "SLA 超时，升级到专家团队 / SLA breached: escalated to level 2")


def _customers(session: Session, rng: random.Random) -> None:
    """Give the demo items a customer base where some come back (repeat issues, retention)."""
    pool = [f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" for _ in range(700)]
    pool += [f"kehu{n}@example.com" for n in range(300)]
    weights = [1.0 / (1 + n % 400) ** 0.6 for n in range(len(pool))]
    for record in session.scalars(select(Feedback).where(Feedback.contact.is_not(None))):
        record.contact = rng.choices(pool, weights)[0]


def _analyse(session: Session, records: list[Feedback]) -> None:
    """The analysis' problem type, sentiment and urgency, so that routing and KPIs see them at once (the
    background analysis stores the full result a moment later)."""
    from feedbackloop.analysis import analyze_many

    for record, result in zip(records, analyze_many([r.content for r in records]), strict=True):
        record.problem_type = record.problem_type or result.problem_type
        record.sentiment, record.urgency = result.sentiment.label, result.urgency


def _shift_after_plan(records: list[Feedback], shipped: datetime, rng: random.Random) -> None:
    """The plan worked: most logistics complaints of the month after shipping never happened."""
    for r in records:
        if r.problem_type == "物流" and shipped <= r.received_at < shipped + timedelta(days=30) and rng.random() < 0.6:
            r.received_at -= timedelta(days=30)


def _plan(session: Session, team_id: int, product_team_id: int, shipped: datetime) -> None:
    from feedbackloop.insight.models import ImprovementPlan

    session.add(ImprovementPlan(title="更换华东区快递合作方，缩短配送时效", problem_type="物流", team_id=team_id,
                                measures="华东区改由两家快递承运；超 48 小时未签收自动催件", status="shipped",
                                theme_keys=["problem_type:物流"], shipped_at=shipped,
                                due_date=(shipped + timedelta(days=7)).date()))  # fmt: skip
    session.add(ImprovementPlan(title="App 登录流程优化", problem_type="产品功能", team_id=product_team_id, measures="令牌自动续期",
                                status="in_progress", theme_keys=["problem_type:产品功能"],
                                due_date=(shipped + timedelta(days=45)).date()))  # fmt: skip


def _score(rng: random.Random, kind: str, record: Feedback | None) -> int:
    good = record is None or ((record.rating or 3) >= 4 and not record.resolution_breached_at)
    bad = record is not None and ((record.rating or 3) <= 2 or record.reopen_count > 0)
    if kind == "csat":
        return rng.choices([1, 2, 3, 4, 5], [1, 2, 4, 10, 14] if good else ([4, 5, 6, 6, 3] if bad else [1, 2, 5, 10, 7]))[0]
    if kind == "ces":
        return rng.choices(range(1, 8), [1, 1, 2, 3, 6, 8, 6] if good else [3, 3, 4, 4, 4, 3, 2])[0]
    return rng.choices(range(11), [2, 1, 1, 2, 2, 3, 4, 8, 10, 12, 11])[0]


class Surveys:
    """Invitations and answers of the quarter, with the quiet period and the snapshot the services keep."""

    def __init__(self, session: Session, rng: random.Random, now: datetime) -> None:
        self.s, self.rng, self.now = session, rng, now
        self.last: dict[str, datetime] = {}
        self.n = 0

    def definitions(self) -> dict[str, Survey]:
        from feedbackloop.surveys.models import DEFAULT_QUESTIONS
        from feedbackloop.surveys.services import FCR_FOLLOWUP

        out = {}
        for kind, name, on_resolve, on_order in (("csat", "解决后满意度", True, False), ("nps", "订单推荐度", False, True),
                                                 ("ces", "费力度回访", False, False)):  # fmt: skip
            zh, en = DEFAULT_QUESTIONS[kind]
            out[kind] = Survey(name=name, kind=kind, question_zh=zh, question_en=en, on_resolve=on_resolve,
                               on_order=on_order, followups=[FCR_FOLLOWUP] if kind == "csat" else [],
                               channels=[], team_ids=[], active=True)  # fmt: skip
            self.s.add(out[kind])
        self.s.flush()
        return out

    def send(self, survey: Survey, sent: datetime, key: str, subject: str, record: Feedback | None, trigger: str,
             answer_p: float, email: str | None = None) -> None:  # fmt: skip
        last = self.last.get(key)
        if last and sent - last < timedelta(days=30):
            return
        self.last[key] = sent
        self.n += 1
        snap = {"channel": record.channel if record else "webhook", "team_id": record.team_id if record else None,
                "agent_id": record.owner_id if record else None, "problem_type": record.problem_type if record else None,
                "product": record.product if record else rng_product(self.rng),
                "customer_type": record.customer_type if record else "returning"}  # fmt: skip
        answered = sent + timedelta(hours=self.rng.uniform(0.2, 60))
        is_answered = self.rng.random() < answer_p and answered < self.now
        inv = SurveyInvitation(survey_id=survey.id, kind=survey.kind, token=secrets.token_urlsafe(24), customer_key=key,
                               subject=subject, feedback_id=record.id if record else None, trigger=trigger, email=email,
                               sent_at=sent, expires_at=sent + timedelta(days=14), emailed_at=sent if email else None,
                               answered_at=answered if is_answered else None, **snap)  # fmt: skip
        self.s.add(inv)
        if not is_answered:
            return
        self.s.flush()
        score = _score(self.rng, survey.kind, record)
        level = "low" if score <= {"csat": 2, "nps": 6, "ces": 3}[survey.kind] else ("high" if score >= {"csat": 4, "nps": 9, "ces": 6}[survey.kind] else "mid")
        comment = self.rng.choice(COMMENTS[level]) if self.rng.random() < 0.3 else None
        fcr = (record.reopen_count == 0 and self.rng.random() < 0.85) if survey.kind == "csat" and record else None
        self.s.add(SurveyResponse(invitation_id=inv.id, survey_id=survey.id, kind=survey.kind, score=score,
                                  comment=comment, answers={"fcr": fcr} if fcr is not None else {}, fcr_answer=fcr,
                                  trigger=trigger, feedback_id=inv.feedback_id, recovery=level == "low",
                                  answered_at=answered, **snap))  # fmt: skip


def rng_product(rng: random.Random) -> str:
    return rng.choice(["空气炸锅", "扫地机器人", "蓝牙耳机", "电动牙刷"])


def _key(contact: str) -> str:
    from feedbackloop.surveys.services import customer_key

    return customer_key(contact, contact) if contact else hashlib.sha256(b"none").hexdigest()


def play_month() -> None:
    """Play the quarter on the demo items just stored (once, on the first start with --demo)."""
    rng = random.Random(12)
    with session_scope() as session:
        session.info[SKIP_KEY] = True  # demo history, not people's changes: the audit log keeps the intake only
        month = Month(session, rng)
        month.organisation()
        begin_write(session)
        records = list(session.scalars(select(Feedback).order_by(Feedback.received_at)))
        _customers(session, rng)
        _analyse(session, records)
        shipped = month.now - timedelta(days=30)
        _shift_after_plan(records, shipped, rng)
        work = sla.Clockwork.load(session)
        for record in records:
            month.live(record, work)
        session.flush()
        session.execute(insert(HistoryEntry), month.history)
        session.execute(insert(Reply), month.replies)
        _plan(session, month.teams["物流专家组"], month.teams["产品团队"], shipped)
        surveys = Surveys(session, rng, month.now)
        kinds = surveys.definitions()
        for record in records:
            if record.resolved_at and record.contact and rng.random() < 0.15:  # CES by hand after the harder cases
                surveys.send(kinds["ces"], record.resolved_at + timedelta(hours=3), _key(record.contact), record.id,
                             record, "manual", 0.45)  # fmt: skip
            elif record.resolved_at and record.contact:
                surveys.send(kinds["csat"], record.resolved_at + timedelta(minutes=5), _key(record.contact), record.id,
                             record, "resolve", 0.45, record.contact if "@" in record.contact else None)  # fmt: skip
        start = month.now - timedelta(days=90)
        for n in range(450):  # shop orders reported by the order.completed webhook
            sent = start + timedelta(minutes=rng.uniform(0, 90 * 1440))
            email = f"buyer{rng.randrange(380)}@example.com"
            surveys.send(kinds["nps"], sent, _key(email), f"order:shop:SO-{n:05d}", None, "order", 0.35, email)
        session.commit()
    _targets()
    with session_scope() as session:
        from feedbackloop.insight import daily, kpi_facts

        kpi_facts.refresh(session)
        daily.rebuild(session)  # the survey rows above were written straight into their tables


def _targets() -> None:
    from feedbackloop.insight import kpis

    with session_scope() as session:
        supervisor = session.scalar(select(User).where(User.username == "zhoujie"))
        for key, value in TARGETS.items():
            kpis.set_target(session, key, float(value), None, supervisor)
