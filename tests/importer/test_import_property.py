"""Property: any row contents written by csv.writer come back exactly once, or are reported."""

from __future__ import annotations

import csv
import io
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedbackloop.feedback.importer import import_file
from feedbackloop.feedback.schemas import MAX_CONTENT

# Any Unicode except surrogates (not encodable), with commas, quotes and line breaks made likely.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from([",", '"', "\n", "\r", " ", "好", "，"]),
    ),
    max_size=60,
)


def _valid(content: str) -> bool:
    stripped = content.strip()
    return bool(stripped) and "\x00" not in content and len(stripped) <= MAX_CONTENT


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contents=st.lists(TEXT, min_size=1, max_size=12), nicknames=st.lists(TEXT, min_size=12, max_size=12))
def test_every_valid_row_lands_exactly_once(db, tmp_path, stored, contents, nicknames):
    batch = uuid.uuid4().hex[:8]
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(["编号", "评论内容", "昵称"])
    for n, content in enumerate(contents):
        writer.writerow([f"{batch}-{n}", content, nicknames[n]])
    path = tmp_path / f"{batch}.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")

    report = import_file(db, path)

    valid = {f"{batch}-{n}": c.strip() for n, c in enumerate(contents) if _valid(c)}
    landed = {f.external_id: f.content for f in stored() if f.external_id.startswith(batch)}
    # A nickname can itself be invalid (NUL, too long) and reject an otherwise valid row: never silently.
    rejected_lines = {r.line for r in report.rejected}
    assert report.created + len(report.rejected) == report.total_rows == len(contents)
    assert set(landed) <= set(valid)
    assert {k: valid[k] for k in landed} == landed
    assert len(landed) + len(rejected_lines) == len(contents)
