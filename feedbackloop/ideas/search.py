"""Chinese search over ideas through a token index (idea_tokens), not a substring scan.

Titles and descriptions are segmented with jieba (precise and search mode, so that 夜间模式 is found by
夜间 and by 模式); a query matches the ideas that hold every one of its words. A query word no idea holds
is looked up by its search-mode parts (夜间模式 → 夜间, 模式), so a longer query still finds them.

On PostgreSQL the ideas are found through a GIN index over the tokens as a tsvector (`search_tokens`, one
lexeme per token, no parsing: `ix_idea_ideas_search`, migration 0008b), one bitmap scan for the whole query;
on SQLite through the token table's primary key, one `IN` per word."""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from feedbackloop.analysis.text import normalize
from feedbackloop.ideas.models import Idea, IdeaToken

_lock = threading.Lock()
_ready = False
# Words that say nothing about what an idea is about; a query made only of these finds everything.
STOP = frozenset(
    "的 了 是 在 和 与 及 也 都 就 太 很 吗 呢 吧 啊 呀 哦 把 被 让 给 对 又 还 再 更 最 能 会 要 想 希望 可以 "
    "一个 一下 我 我们 你 你们 他 她 它 这 那 这个 那个 有 没有 不 请 能否 是否 建议 增加 一些".split()
)
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
MAX_TOKEN = 40


def _jieba() -> Any:
    global _ready
    with warnings.catch_warnings():
        # jieba 0.42's source has "\." escapes: compiling it without a cached .pyc warns (SyntaxWarning).
        warnings.simplefilter("ignore", SyntaxWarning)
        import jieba

    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _ready = True
    return jieba


def _keep(token: str) -> bool:
    return (bool(token) and len(token) <= MAX_TOKEN and token not in STOP and bool(_WORD.match(token))
            and not any(c.isspace() for c in token))  # fmt: skip  (search_tokens separates tokens by spaces)


# The indexed expression of ix_idea_ideas_search, spelled exactly as the migration creates it (PostgreSQL
# uses an expression index only for the identical expression).
SEARCH_VECTOR = "array_to_tsvector(string_to_array(idea_ideas.search_tokens, ' '))"


def token_text(tokens: Iterable[str]) -> str:
    """The value of `Idea.search_tokens`: the tokens, sorted, separated by single spaces."""
    return " ".join(sorted(tokens))


def index_tokens(text: str) -> set[str]:
    """The tokens an idea is found by: jieba's precise and search-mode words of the normalised text."""
    norm = normalize(text)
    jieba = _jieba()
    words = set(jieba.lcut(norm)) | set(jieba.lcut_for_search(norm))
    return {w.strip() for w in words if _keep(w.strip())}


def query_words(query: str) -> list[str]:
    """The words of a search query (precise mode), in order, without stop words and duplicates."""
    jieba = _jieba()
    return list(dict.fromkeys(w.strip() for w in jieba.lcut(normalize(query)) if _keep(w.strip())))


def reindex(session: Session, idea: Idea) -> None:
    """Replace the idea's rows in the index (in the caller's transaction)."""
    session.flush()
    session.execute(delete(IdeaToken).where(IdeaToken.idea_id == idea.id))
    tokens = index_tokens(f"{idea.title}\n{idea.description}")
    idea.search_tokens = token_text(tokens)
    if tokens:
        session.execute(insert(IdeaToken), [{"token": t, "idea_id": idea.id} for t in sorted(tokens)])


def _indexed(session: Session, tokens: set[str]) -> set[str]:
    """Which of the tokens the index holds: one round trip, one index probe per token."""
    if not tokens:
        return set()
    probes = [select(literal(t)).where(exists().where(IdeaToken.token == t)) for t in sorted(tokens)]
    return set(session.scalars(union_all(*probes)))


def match_clauses(session: Session, query: str) -> list[ColumnElement[bool]]:
    """One `Idea.id IN (…)` clause per query word: the word itself if the index holds it, else its
    search-mode parts (夜间模式 → 夜间, 模式); an empty list when the query has no words."""
    words = query_words(query)
    parts = {w: [p for p in _jieba().lcut_for_search(w) if p != w and _keep(p)] for w in words}
    known = _indexed(session, set(words) | {p for ps in parts.values() for p in ps})
    alternatives = [[word] if word in known else [p for p in parts[word] if p in known] or [word] for word in words]
    if alternatives and session.get_bind().dialect.name == "postgresql":
        return [_tsquery_clause(alternatives)]
    return [Idea.id.in_(select(IdeaToken.idea_id).where(IdeaToken.token.in_(options))) for options in alternatives]


def _lexeme(token: str) -> str:
    """A token as a quoted tsquery lexeme, taken literally (quotes doubled, backslashes escaped)."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery(alternatives: list[list[str]]) -> str:
    """Every word (any of its alternatives) as tsquery text: `('夜间' | '模式') & '刺眼'`."""
    return " & ".join("(" + " | ".join(_lexeme(t) for t in options) + ")" for options in alternatives)


def _tsquery_clause(alternatives: list[list[str]]) -> ColumnElement[bool]:
    clause = text(f"{SEARCH_VECTOR} @@ CAST(:idea_tsquery AS tsquery)")
    return clause.bindparams(bindparam("idea_tsquery", tsquery(alternatives)))  # type: ignore[return-value]


def overlap(session: Session, tokens: Iterable[str], candidates: int = 50) -> list[tuple[int, int]]:
    """(idea id, shared token count) of the ideas sharing most tokens with `tokens`, most first."""
    toks = sorted(set(tokens))
    if not toks:
        return []
    shared = func.count().label("shared")
    stmt = (
        select(IdeaToken.idea_id, shared)
        .where(IdeaToken.token.in_(toks))
        .group_by(IdeaToken.idea_id)
        .order_by(shared.desc(), IdeaToken.idea_id.desc())
        .limit(candidates)
    )
    return [(int(i), int(n)) for i, n in session.execute(stmt)]
