"""Themes over many analysed items: readable labels, counts, trend, examples, emerging-issue signal.

A pure function over (text, timestamp, analysis) triples; no database. Themes are keyed by
aspect + polarity ("送餐速度慢"), by risk category ("食品安全问题") and by the problem type of
negative items ("物流问题"), so an emerging issue shows up at whichever grain it jumps.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .lexicon import BUILTIN_ASPECTS
from .result import Analysis

_ASPECT_LABELS = {a.name: a for a in BUILTIN_ASPECTS}
TREND_EPSILON = 0.02  # share change below two points reads as flat


@dataclass(frozen=True, slots=True)
class Theme:
    """One theme in the current period compared with the previous one and with its history."""

    key: str
    kind: str  # "aspect" | "risk" | "problem_type"
    label: str
    count: int
    share: float
    previous_count: int
    previous_share: float
    trend: str  # "up" | "down" | "flat" | "new"
    change: float  # share − previous share
    emerging: bool
    examples: list[str] = field(default_factory=list)
    history: list[float] = field(default_factory=list)  # shares of earlier periods, oldest first

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _as_dict(analysis: Analysis | Mapping[str, Any]) -> Mapping[str, Any]:
    return analysis.to_dict() if isinstance(analysis, Analysis) else analysis


def _as_time(value: dt.datetime | dt.date | str | float | int) -> dt.datetime:
    if isinstance(value, dt.datetime):
        ts = value
    elif isinstance(value, dt.date):
        ts = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float):
        ts = dt.datetime.fromtimestamp(value, dt.UTC)
    else:
        ts = dt.datetime.fromisoformat(str(value))
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)


def theme_label(key: str) -> str:
    """The readable name of a theme key: 送餐速度慢 (aspect:送餐速度:negative), 食品安全问题, 物流问题."""
    kind, _, rest = key.partition(":")
    if kind == "aspect":
        name, _, polarity = rest.rpartition(":")
        d = _ASPECT_LABELS.get(name)
        return d.label(polarity) if d else f"{name}{'差' if polarity == 'negative' else '好'}"
    if kind in ("risk", "problem_type") and rest:
        return f"{rest}问题"
    return key


def theme_keys(text: str, analysis: Analysis | Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(key, kind, label, example) for every theme one item belongs to."""
    a = _as_dict(analysis)
    found: list[tuple[str, str, str]] = []  # (key, kind, example)
    for asp in a.get("aspects", []):
        polarity = asp.get("sentiment")
        if polarity in ("negative", "positive"):
            found.append((f"aspect:{asp['aspect']}:{polarity}", "aspect", asp.get("evidence") or text))
    for reason in a.get("urgency_reasons", []):
        category = reason.split(":", 1)[0].strip()
        if a.get("urgency") == "紧急" and category:
            found.append((f"risk:{category}", "risk", text))
    if a.get("sentiment", {}).get("label") == "negative":
        found.append((f"problem_type:{a.get('problem_type') or '其他'}", "problem_type", text))
    first: dict[str, tuple[str, str, str, str]] = {}  # key → its first occurrence, in order
    for key, kind, example in found:
        first.setdefault(key, (key, kind, theme_label(key), example))
    return list(first.values())


def themes(items: Iterable[tuple[str, Any, Analysis | Mapping[str, Any]]], *, now: Any = None,
           period: dt.timedelta = dt.timedelta(days=7), history_periods: int = 4, min_count: int = 2,
           top: int = 20, emerging_factor: float = 2.0, min_jump: float = 0.05, max_examples: int = 3
           ) -> list[Theme]:
    """Themes of the latest period (ending at `now`, default the newest item), biggest first.

    trend compares the share of items with the previous period; `emerging` is set when the share
    is at least `emerging_factor` × its average over the `history_periods` earlier periods, at
    least `min_jump` above that average and above its mean + 2σ, with at least `min_count` items.
    """
    rows = [(text, _as_time(ts), analysis) for text, ts, analysis in items]
    if not rows:
        return []
    end = _as_time(now) if now is not None else max(ts for _, ts, _ in rows)
    n_periods = history_periods + 1
    totals = [0] * n_periods  # index 0 = current period, 1 = previous, …
    counts: dict[str, list[int]] = {}
    meta: dict[str, tuple[str, str]] = {}
    examples: dict[str, list[str]] = {}
    for text, ts, analysis in rows:
        age = end - ts
        if age < dt.timedelta(0):
            continue
        k = int(age // period)
        if k >= n_periods:
            continue
        totals[k] += 1
        for key, kind, label, example in theme_keys(text, analysis):
            counts.setdefault(key, [0] * n_periods)[k] += 1
            meta[key] = (kind, label)
            if k == 0 and len(examples.setdefault(key, [])) < max_examples and example not in examples[key]:
                examples[key].append(example)
    shares = {key: [c / t if t else 0.0 for c, t in zip(cs, totals, strict=True)] for key, cs in counts.items()}
    result = []
    for key, cs in counts.items():
        if cs[0] < min_count:
            continue
        share, prev_share = shares[key][0], shares[key][1]
        history = shares[key][1:]
        change = share - prev_share
        trend = trend_of(cs[1], change)
        result.append(Theme(key, meta[key][0], meta[key][1], cs[0], round(share, 4), cs[1], round(prev_share, 4),
                            trend, round(change, 4), _is_emerging(share, history, emerging_factor, min_jump),
                            examples.get(key, []), [round(h, 4) for h in reversed(history)]))
    result.sort(key=lambda t: (-t.count, t.key))
    return result[:top]


def trend_of(previous_count: int, change: float) -> str:
    """new (none before), up, down or flat (a share change under TREND_EPSILON)."""
    if previous_count == 0:
        return "new"
    return "up" if change > TREND_EPSILON else "down" if change < -TREND_EPSILON else "flat"


def _is_emerging(share: float, history: list[float], factor: float, min_jump: float) -> bool:
    """Share jumps against the theme's own history (mean of earlier periods)."""
    mean = statistics.fmean(history) if history else 0.0
    spread = statistics.pstdev(history) if len(history) > 1 else 0.0
    return share - mean >= min_jump and share >= factor * mean and share > mean + 2 * spread


find_themes = themes
