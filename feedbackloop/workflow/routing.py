"""Teams, routing rules and owner selection inside a team (issue 5.3)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from feedbackloop.accounts import services as accounts
from feedbackloop.accounts.models import Team, User
from feedbackloop.accounts.policy import HANDLERS
from feedbackloop.db import begin_write, run_apart
from feedbackloop.errors import NotFound, ValidationFailed
from feedbackloop.feedback.models import (
    CHANNELS,
    CUSTOMER_TYPES,
    PROBLEM_TYPES,
    SENTIMENTS,
    URGENCIES,
    Feedback,
)
from feedbackloop.workflow.models import ROUTING_STRATEGIES, TEAM_KINDS, RoutingRule, TeamSettings
from feedbackloop.workflow.states import OPEN_STATUSES

# --- Teams: accounts.Team (name, members via User.team_id) plus the workflow's TeamSettings ---------------


def _check_team_fields(fields: dict[str, Any]) -> None:
    if fields.get("kind") is not None and fields["kind"] not in TEAM_KINDS:
        raise ValidationFailed(
            f"未知团队类型 '{fields['kind']}'，可用：{', '.join(TEAM_KINDS)} / unknown team kind"
        )
    if fields.get("strategy") is not None and fields["strategy"] not in ROUTING_STRATEGIES:
        raise ValidationFailed(
            f"未知分配方式 '{fields['strategy']}'，可用：{', '.join(ROUTING_STRATEGIES)} / unknown strategy"
        )


def get_team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"团队 {team_id} 不存在 / team {team_id} not found")
    return team


def settings_for(session: Session, team_id: int) -> TeamSettings:
    """The team's workflow settings (defaults created on first use)."""
    get_team(session, team_id)
    conf = session.get(TeamSettings, team_id)
    if conf is None:
        conf = TeamSettings(
            team_id=team_id, kind="一线客服", strategy="round_robin", is_default=False, rr_cursor=0
        )
        session.add(conf)
        session.flush()
    return conf


def _set_members(session: Session, actor: User, team_id: int, member_ids: list[int]) -> None:
    wanted = set(member_ids)
    found = set(session.scalars(select(User.id).where(User.id.in_(wanted))))
    if wanted - found:
        raise ValidationFailed(f"用户不存在：{sorted(wanted - found)} / unknown user ids")
    current = set(session.scalars(select(User.id).where(User.team_id == team_id)))
    session.commit()
    # Through accounts so that every membership change is audited like any other user change.
    for uid in sorted(wanted - current):
        accounts.update_user(session, actor, uid, {"team_id": team_id})
    for uid in sorted(current - wanted):
        accounts.update_user(session, actor, uid, {"team_id": None})


def save_team(
    session: Session, actor: User, fields: dict[str, Any], team_id: int | None = None
) -> dict[str, Any]:
    """Create a team or change its kind, strategy, default flag and members; commits."""
    _check_team_fields(fields)
    members = fields.pop("member_ids", None)
    name, description = fields.pop("name", None), fields.pop("description", None)
    if team_id is None:
        if not name:
            raise ValidationFailed("请填写团队名称 / team name required")
        team_id = accounts.create_team(session, actor, name, description or "").id
    begin_write(session)
    conf = settings_for(session, team_id)
    for key, value in fields.items():
        if value is not None:
            setattr(conf, key, value)
    if conf.is_default:
        session.execute(update(TeamSettings).where(TeamSettings.team_id != team_id).values(is_default=False))
    session.commit()
    if members is not None:
        _set_members(session, actor, team_id, members)
    return next(t for t in list_teams(session) if t["id"] == team_id)


def list_teams(session: Session) -> list[dict[str, Any]]:
    """Teams with kind, level, strategy, members and open-item load."""
    rows = session.execute(
        select(Team, TeamSettings).outerjoin(TeamSettings, TeamSettings.team_id == Team.id).order_by(Team.id)
    ).all()
    users = session.execute(
        select(User.team_id, User.id, User.username, User.display_name, User.role, User.is_active)
        .where(User.team_id.is_not(None))
        .order_by(User.id)
    ).all()
    load = dict(
        session.execute(
            select(Feedback.team_id, func.count())
            .where(Feedback.status.in_(OPEN_STATUSES))
            .group_by(Feedback.team_id)
        ).all()
    )
    out = []
    for team, conf in rows:
        kind = conf.kind if conf else "一线客服"
        members = [
            {"id": uid, "username": u, "display_name": d, "role": role, "can_own": active and role in HANDLERS}
            for tid, uid, u, d, role, active in users if tid == team.id
        ]
        out.append(
            {
                "id": team.id,
                "name": team.name,
                "description": team.description,
                "kind": kind,
                "level": TEAM_KINDS.get(kind, 1),
                "strategy": conf.strategy if conf else "round_robin",
                "strategy_label": ROUTING_STRATEGIES.get(conf.strategy if conf else "round_robin", ""),
                "email": conf.email if conf else None,
                "is_default": bool(conf and conf.is_default),
                "members": members,
                "member_ids": [m["id"] for m in members],
                "open_items": load.get(team.id, 0),
            }
        )
    return out


# --- Rules ----------------------------------------------------------------------------------------------

RULE_FIELDS = (
    "problem_type", "product", "channel", "customer_type", "keyword", "urgency", "sentiment", "aspect"
)
POLARITIES = ("negative", "neutral", "positive")


def _check_rule(session: Session, fields: dict[str, Any]) -> None:
    checks = {
        "problem_type": PROBLEM_TYPES,
        "channel": list(CHANNELS),
        "customer_type": list(CUSTOMER_TYPES),
        "urgency": URGENCIES,
        "sentiment": list(SENTIMENTS),
    }
    for key, allowed in checks.items():
        if fields.get(key) and fields[key] not in allowed:
            raise ValidationFailed(
                f"{key} 的值 '{fields[key]}' 无效，可用：{', '.join(allowed)} / invalid {key}"
            )
    aspect = fields.get("aspect")
    if aspect and ":" in aspect and aspect.rsplit(":", 1)[1] not in POLARITIES:
        raise ValidationFailed(
            f"方面条件 '{aspect}' 无效，写作「方面」或「方面:negative」（negative/neutral/positive） / invalid aspect"
        )
    if fields.get("team_id") is not None:
        get_team(session, fields["team_id"])


def save_rule(session: Session, fields: dict[str, Any], rule_id: int | None = None) -> RoutingRule:
    """Create or update a routing rule."""
    _check_rule(session, fields)
    rule = get_rule(session, rule_id) if rule_id else RoutingRule()
    for key, value in fields.items():
        setattr(rule, key, value if value != "" else None)
    if rule_id is None:
        session.add(rule)
    session.commit()
    return rule


def get_rule(session: Session, rule_id: int) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"分派规则 {rule_id} 不存在 / routing rule {rule_id} not found")
    return rule


def delete_rule(session: Session, rule_id: int) -> None:
    session.delete(get_rule(session, rule_id))
    session.commit()


def list_rules(session: Session) -> list[RoutingRule]:
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)))


def _has_aspect(condition: str, aspects: Any) -> bool:
    name, _, polarity = condition.partition(":")
    for item in aspects if isinstance(aspects, list) else []:
        if isinstance(item, dict) and item.get("aspect") == name:
            if not polarity or item.get("sentiment") == polarity:
                return True
    return False


def _product_matches(wanted: str, record: Feedback, analysis: dict[str, Any]) -> bool:
    """The stated product, or a product the analysis found in the text (case-insensitive)."""
    needle = wanted.casefold()
    if needle in (record.product or "").casefold():
        return True
    mentions = analysis.get("mentions") or {}
    found = mentions.get("products") if isinstance(mentions, dict) else None
    return any(needle in str(p).casefold() or str(p).casefold() in needle for p in found or [])


def _matches(rule: RoutingRule, record: Feedback) -> bool:
    """Conditions read the stored fields, falling back to what the analysis read from the text."""
    analysis = record.analysis or {}
    problem = record.problem_type or analysis.get("problem_type")
    if rule.problem_type and rule.problem_type != problem:
        return False
    if rule.product and not _product_matches(rule.product, record, analysis):
        return False
    if rule.urgency and rule.urgency != (record.urgency or analysis.get("urgency")):
        return False
    if rule.sentiment:
        sentiment = analysis.get("sentiment")
        label = record.sentiment or (sentiment.get("label") if isinstance(sentiment, dict) else None)
        if rule.sentiment != label:
            return False
    if rule.aspect and not _has_aspect(rule.aspect, analysis.get("aspects")):
        return False
    if rule.channel and rule.channel != record.channel:
        return False
    if rule.customer_type and rule.customer_type != record.customer_type:
        return False
    if rule.keyword:
        keywords = [str(k) for k in analysis.get("keywords") or []]
        if rule.keyword not in record.content and rule.keyword not in keywords:
            return False
    return True


class Router:
    """Routes a batch of records: rules and teams are read once, owners are spread by each team's strategy."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rules = [r for r in list_rules(session) if r.enabled]
        self.teams: dict[int, Team] = {t.id: t for t in session.scalars(select(Team))}
        self.settings: dict[int, TeamSettings] = {c.team_id: c for c in session.scalars(select(TeamSettings))}
        default = next((c.team_id for c in self.settings.values() if c.is_default), None)
        self.default = self.teams.get(default) if default else None
        self.members: dict[int, list[int]] = {}
        for tid, uid in session.execute(
            select(User.team_id, User.id)
            .where(User.team_id.is_not(None), User.is_active.is_(True), User.role.in_(sorted(HANDLERS)))
            .order_by(User.id)
        ):
            if tid is not None:  # never None (the query excludes those), but the column is nullable
                self.members.setdefault(tid, []).append(uid)
        self._load: Counter[int] | None = None
        self.level_cache: dict[int, list[int]] = {}  # escalation level → member ids, for this batch

    def team_for(self, record: Feedback) -> tuple[Team | None, RoutingRule | None]:
        for rule in self.rules:
            if _matches(rule, record):
                return self.teams.get(rule.team_id), rule
        return self.default, None

    def owners_for(self, team: Team, count: int) -> list[int | None]:
        """Owners for `count` new items of `team` (None where agents claim from the pool)."""
        members = self.members.get(team.id, [])
        conf = self.settings.get(team.id)
        strategy = conf.strategy if conf else "round_robin"
        if not members or strategy == "pool":
            return [None] * count
        if strategy == "least_loaded":
            return self._least_loaded(members, count)
        if conf is None:
            conf = settings_for(self.session, team.id)
            self.settings[team.id] = conf
        # One UPDATE reserves `count` consecutive slots, so concurrent routers never share a slot; apart from
        # the triage transaction, so that two workers' triage does not take turns on the team's row.
        bump = (
            update(TeamSettings).where(TeamSettings.team_id == bindparam("team"))
            .values(rr_cursor=TeamSettings.rr_cursor + bindparam("count")).returning(TeamSettings.rr_cursor)
        )  # fmt: skip
        params = {"team": team.id, "count": count}
        end = run_apart(self.session, bump, params)
        if end is None:  # the settings row was made in this very transaction: not visible apart
            end = self.session.execute(bump, params).scalar_one()
        return [members[slot % len(members)] for slot in range(end - count, end)]

    def _least_loaded(self, members: list[int], count: int) -> list[int | None]:
        if self._load is None:
            rows = self.session.execute(
                select(Feedback.owner_id, func.count())
                .where(Feedback.status.in_(OPEN_STATUSES), Feedback.owner_id.is_not(None))
                .group_by(Feedback.owner_id)
            )
            self._load = Counter({owner: n for owner, n in rows if owner is not None})
        load = self._load
        picked: list[int | None] = []
        for _ in range(count):
            uid = min(members, key=lambda u: (load[u], u))
            load[uid] += 1
            picked.append(uid)
        return picked
