"""Human labels for the codes the product stores (audit actions, entities, fields, enumerated values), so
pages never show `token.create`, `round_robin` or `first_response_due`. zh-CN labels; web/i18n.py has the
English of each."""

from __future__ import annotations

from typing import Any

from feedbackloop.accounts.models import ROLES
from feedbackloop.feedback.models import CHANNELS, CUSTOMER_TYPES, SENTIMENTS
from feedbackloop.workflow.models import PRIORITY_LEVELS, ROUTING_STRATEGIES, TEMPLATE_KINDS
from feedbackloop.workflow.states import STATUSES

VERBS = {"create": "新建", "update": "修改", "delete": "删除", "revoke": "吊销", "login": "登录", "logout": "退出",
         "export": "导出", "erase": "删除个人数据", "password": "修改密码", "restore": "恢复", "verify": "校验", "lock": "锁定"}  # fmt: skip
ENTITIES = {
    "feedback": "反馈", "user": "用户", "users": "用户", "team": "团队", "teams": "团队", "token": "API 令牌",
    "api_tokens": "API 令牌", "touchpoints": "触点", "analysis_corrections": "分析更正", "custom_aspects": "自定义方面",
    "wf_team_settings": "团队设置", "wf_routing_rules": "分派规则", "wf_sla_policies": "SLA 策略",
    "wf_calendar": "工作时间", "wf_reply_templates": "回复模板", "wf_kb_articles": "知识库文章",
    "wf_alert_rules": "阈值告警", "wf_improvement_plans": "改进计划", "wf_saved_views": "保存的视图",
    "attachment": "附件", "privacy": "隐私", "webhook_source": "Webhook 来源", "session": "登录会话",
    "surveys": "问卷", "survey": "问卷", "survey_invitation": "调查邀请",
}  # fmt: skip
FIELDS = {
    "id": "编号", "name": "名称", "status": "状态", "owner_id": "负责人", "team_id": "团队", "priority": "优先级",
    "problem_type": "问题类型", "product": "产品", "channel": "渠道", "customer_type": "客户类型", "keyword": "关键词",
    "content": "内容", "contact": "联系方式", "customer_name": "客户称呼", "external_id": "外部编号",
    "touchpoint": "触点", "received_at": "收到时间", "created_at": "创建时间", "first_response_due": "首次响应期限",
    "resolution_due": "解决期限", "prioritized_at": "评定优先级时间", "escalation_level": "升级级别",
    "status_token": "进度链接令牌", "strategy": "分配方式", "kind": "类型", "is_default": "默认", "rr_cursor": "轮询位置",
    "is_active": "启用", "enabled": "启用", "display_name": "显示名", "username": "用户名", "role": "角色",
    "email": "邮箱", "first_response_minutes": "首次响应时限", "resolution_minutes": "解决时限",
    "remind_before_minutes": "提前提醒", "business_hours": "仅工作时间", "day_start": "上班", "day_end": "下班",
    "timezone": "时区", "holidays": "节假日", "extra_workdays": "调休上班日", "subject": "主题", "body": "内容",
    "position": "顺序", "duplicate_of": "重复于", "duplicate_kind": "重复类型", "tags": "标签", "query": "筛选条件",
    "urgency": "紧急度", "sentiment": "情感", "aspect": "方面", "slug": "链接标识", "description": "说明",
    "scopes": "权限范围", "first_responded_at": "首次响应时间", "resolved_at": "解决时间", "closed_at": "关闭时间",
    "followup_due_at": "回访时间", "customer_notified_at": "通知客户时间", "sla_reminded_at": "SLA 提醒时间",
    "reopen_count": "重开次数", "satisfaction": "满意度", "user_id": "用户", "words": "词", "field": "字段",
    "new_value": "新值", "old_value": "原值", "title": "标题", "due_date": "截止日期", "measures": "改进措施",
    "theme_keys": "关联主题", "threshold_pct": "阈值", "window_hours": "时间窗", "min_items": "最少条数",
    "rating": "评分", "region": "地区", "industry": "行业", "module": "模块", "is_vague": "内容模糊",
    "consent_public": "同意公开", "subject_en": "英文主题", "sla_paused_at": "SLA 暂停时间",
    "sla_paused_seconds": "SLA 暂停时长", "customer_spend_6m": "近六个月消费", "customer_years": "客户年限",
    "occurred": "发生时间", "expected_solution": "期望的解决方式", "product_version": "产品版本",
    "problem_type_other": "其他问题类型", "updated_at": "更新时间", "shipped_at": "上线时间",
    "question_zh": "中文问题", "question_en": "英文问题", "on_resolve": "解决后自动发送", "on_order": "订单完成后发送",
    "team_ids": "团队", "channels": "渠道", "followups": "追问", "active": "启用", "survey_id": "问卷",
}  # fmt: skip
VALUES: dict[str, str] = {**STATUSES, **ROUTING_STRATEGIES, **PRIORITY_LEVELS, **TEMPLATE_KINDS, **CHANNELS,
                          **CUSTOMER_TYPES, **SENTIMENTS, **ROLES, "True": "是", "False": "否"}  # fmt: skip


def action(code: str) -> tuple[str, str]:
    """`touchpoints.create` → (新建, 触点); an unknown part stays as it is."""
    what, _, verb = code.rpartition(".")
    return VERBS.get(verb, verb), ENTITIES.get(what, what)


def entity(code: str) -> str:
    return ENTITIES.get(code, code)


def field(code: str) -> str:
    return FIELDS.get(code, code)


def value(raw: Any) -> str:
    if raw is None:
        return "—"
    if isinstance(raw, list):
        return "、".join(value(v) for v in raw) or "—"
    if isinstance(raw, dict):
        return "; ".join(f"{field(k)}: {value(v)}" for k, v in raw.items())
    text = str(raw)
    return VALUES.get(text, text)


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(field label, before, after) for every field of an audit entry, readable (no JSON escapes)."""
    keys = list(dict.fromkeys([*(before or {}), *(after or {})]))
    return [(field(k), value((before or {}).get(k)) if before else "", value((after or {}).get(k)) if after else "")
            for k in keys]  # fmt: skip
