"""Priority from urgency, sentiment intensity, customer value and impact × frequency (issue 5.2).

`score()` is pure: it takes the record's fields and the count of similar recent items and returns the level,
a 0–100 score and the reasons shown to the agent. Safety, legal and health signals always come first."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Signals that force the top priority whatever else is said (SPEC §4: 食品安全, 受伤, 起诉, 曝光, 315…).
RISK_WORDS = {
    "safety": [
        "食品安全",
        "受伤",
        "中毒",
        "爆炸",
        "起火",
        "着火",
        "触电",
        "异物",
        "变质",
        "吃坏",
        "拉肚子",
        "腹泻",
    ],
    "legal": ["起诉", "律师", "法院", "报警", "诈骗", "维权", "消协", "12315", "工商局", "市场监管"],
    "health": ["过敏", "住院", "医院", "呕吐", "发烧", "健康"],
    "public": ["曝光", "媒体", "记者", "微博", "抖音", "315", "上热搜", "发朋友圈"],
}
RISK_LABELS = {"safety": "安全", "legal": "法律", "health": "健康", "public": "舆情/公开投诉"}
_RISK_RE = {kind: re.compile("|".join(map(re.escape, words))) for kind, words in RISK_WORDS.items()}
REVIEW_PLATFORMS = {"tmall", "jd", "meituan", "dianping"}

LEVEL_ORDER = ["low", "normal", "high", "urgent"]


@dataclass
class Priority:
    level: str
    score: int
    reasons: list[dict[str, Any]] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)

    def add(self, code: str, label: str, points: int, label_en: str = "") -> None:
        self.score += points
        self.reasons.append({"code": code, "label": label, "label_en": label_en or label, "points": points})


def risk_signals(content: str, analysis: dict[str, Any] | None) -> dict[str, list[str]]:
    """Risk kind → the words that signal it, from the analysis' risk_flags and the text itself."""
    found: dict[str, list[str]] = {}
    for kind, rx in _RISK_RE.items():
        words = sorted(set(rx.findall(content or "")))
        if words:
            found[kind] = words
    analysis = analysis or {}
    for flag in analysis.get("risk_flags") or []:
        if isinstance(flag, str) and flag in RISK_LABELS:
            # The analyser flags the kind ("health"); its urgency reasons say why ("食品安全: 吃出一根头发").
            words = [str(r).split(": ", 1)[-1] for r in analysis.get("urgency_reasons") or []]
            bucket = found.setdefault(flag, [])
            bucket.extend(w for w in words if w not in bucket)
            continue
        word = flag if isinstance(flag, str) else str(flag.get("word") or flag.get("flag") or flag)
        kind = next((k for k, rx in _RISK_RE.items() if rx.search(word)), "safety")
        if isinstance(flag, dict) and flag.get("kind") in RISK_LABELS:
            kind = flag["kind"]
        found.setdefault(kind, [])
        if word not in found[kind]:
            found[kind].append(word)
    return found


def is_safety_case(record: Any, result: Priority | None = None) -> bool:
    """A safety, legal or health case (urgency 紧急 always carries one): top priority and escalation at once."""
    urgency = (record.analysis or {}).get("urgency") or record.urgency
    risks = result.risks if result is not None else list(risk_signals(record.content, record.analysis))
    return urgency == "紧急" or any(k in risks for k in ("safety", "legal", "health"))


def sentiment_of(record: Any) -> tuple[str | None, int]:
    """(label, intensity 0–5) from the analysis, else the denormalised column, else the star rating."""
    analysis = record.analysis or {}
    sent = analysis.get("sentiment")
    if not isinstance(sent, dict):
        sent = {}
    label = sent.get("label") or record.sentiment
    intensity = sent.get("intensity") or 0
    try:
        intensity = max(0, min(5, int(intensity)))
    except (TypeError, ValueError):
        intensity = 0
    if label is None and record.rating is not None:
        label = "negative" if record.rating <= 2 else ("positive" if record.rating >= 4 else "neutral")
    return label, intensity


def score(record: Any, similar_recent: int = 0) -> Priority:
    """The priority of one record (any object with Feedback's fields)."""
    analysis = record.analysis or {}
    urgency = analysis.get("urgency") or record.urgency
    label, intensity = sentiment_of(record)
    prio = Priority(level="normal", score=0)
    risks = risk_signals(record.content, analysis)
    hard = {k: v for k, v in risks.items() if k in ("safety", "legal", "health")}
    if hard:
        words = "、".join(dict.fromkeys(w for ws in hard.values() for w in ws))  # a word found twice is named once
        kinds = "/".join(RISK_LABELS[k] for k in hard)
        prio.add("risk", f"{kinds}信号：{words}（始终最先处理）", 60, f"safety, legal or health signal: {words}")
    if "public" in risks:
        prio.add("public", f"公开投诉或舆情信号：{'、'.join(risks['public'])}", 15, "public complaint signal")
    prio.risks = list(risks)
    if urgency == "紧急":
        prio.add("urgency", "紧急程度：紧急", 30, "urgency: urgent")
    elif urgency == "一般":
        prio.add("urgency", "紧急程度：一般", 10, "urgency: normal")
    elif urgency == "建议":
        prio.add("urgency", "紧急程度：建议", 0, "urgency: suggestion")
    if label == "negative":
        points = 10 + 3 * intensity
        prio.add("sentiment", f"负面情绪，强度 {intensity}/5" if intensity else "负面情绪", points,
                 f"negative sentiment, intensity {intensity}/5" if intensity else "negative sentiment")
    if record.customer_type == "high_value":
        prio.add("customer", "高价值客户（优先）", 20, "high-value customer")
    elif record.customer_type == "returning":
        prio.add("customer", "老客户", 5, "returning customer")
    if similar_recent >= 2:
        points = 15 if similar_recent >= 20 else (10 if similar_recent >= 5 else 5)
        prio.add(
            "frequency",
            f"24 小时内同类反馈 {similar_recent} 条（影响面）",
            points,
            f"{similar_recent} similar items in 24 hours",
        )
    prio.score = min(100, prio.score)
    if hard:
        prio.level, prio.score = "urgent", 100
    elif urgency == "紧急" or prio.score >= 70:
        prio.level = "urgent"
    elif label == "negative" or prio.score >= 40:
        prio.level = "high"
    elif urgency == "建议" or label == "positive":
        prio.level = "low"
    if not prio.reasons:
        prio.reasons.append({"code": "default", "label": "无特别信号", "label_en": "no special signal", "points": 0})
    return prio


def raise_level(level: str | None) -> str:
    """One level more urgent (a dissatisfied customer's reopened item)."""
    pos = LEVEL_ORDER.index(level) if level in LEVEL_ORDER else 1
    return LEVEL_ORDER[min(pos + 1, len(LEVEL_ORDER) - 1)]
