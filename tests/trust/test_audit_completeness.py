"""Every stored item has its creation entry, written in the transaction that stores it; `audit verify` (CLI,
API, admin page) reports items that have none."""

from __future__ import annotations

import csv
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, event, func, select
from trust_helpers import ADMIN_PASSWORD, write_concurrently

from feedbackloop import audit
from feedbackloop.audit.models import AuditEntry
from feedbackloop.cli import main
from feedbackloop.feedback import services
from feedbackloop.feedback.importer import import_file
from feedbackloop.feedback.models import Feedback
from feedbackloop.feedback.schemas import FeedbackCreate


class ProcessKilled(BaseException):
    """Stands in for a kill -9 right after a chunk committed: nothing after the commit runs."""


def _creation_entries(session, ids) -> int:  # type: ignore[no-untyped-def]
    where = [AuditEntry.action == "feedback.create", AuditEntry.entity_id.in_(ids)]
    return session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0


def _killed(_ids: list[str]) -> None:
    raise ProcessKilled


@pytest.fixture
def killed_after_commit():  # type: ignore[no-untyped-def]
    """The process dies as the first after-ingest hook would run."""
    services.after_ingest_hooks.insert(0, _killed)
    yield
    services.after_ingest_hooks.remove(_killed)


def test_an_import_killed_after_a_chunk_committed_leaves_no_item_unaudited(db, tmp_path, killed_after_commit):
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["评论内容", "昵称"]] + [[f"第 {i} 条评论, 各不相同", f"用户{i}"] for i in range(25)])
    with pytest.raises(ProcessKilled):
        import_file(db, path, chunk_size=10)
    db.rollback()
    ids = list(db.scalars(select(Feedback.id)))
    assert len(ids) == 10  # the first chunk committed
    assert _creation_entries(db, ids) == 10
    assert audit.verify(db).ok


def test_the_creation_entry_commits_with_the_item(db):
    seen: list[tuple[int, int]] = []

    def count_before_commit(session) -> None:  # type: ignore[no-untyped-def]
        ids = list(session.scalars(select(Feedback.id)))
        seen.append((len(ids), _creation_entries(session, ids)))

    event.listen(db, "before_commit", count_before_commit)
    try:
        services.ingest(db, [FeedbackCreate(content=f"物流太慢 {i}") for i in range(3)])
    finally:
        event.remove(db, "before_commit", count_before_commit)
    assert seen[0] == (3, 3)


def test_concurrent_ingests_form_one_chain_with_every_entry(db):
    def ingests(session, n: int) -> None:  # type: ignore[no-untyped-def]
        for i in range(8):
            services.ingest(session, [FeedbackCreate(content=f"并发写入 {n}-{i}-{k}") for k in range(5)])

    assert write_concurrently(4, ingests) == []
    db.rollback()
    ids = list(db.scalars(select(Feedback.id)))
    assert len(ids) == 4 * 8 * 5 and _creation_entries(db, ids) == len(ids)
    assert audit.verify(db).ok


def _store_without_audit(db, make_feedback) -> str:  # type: ignore[no-untyped-def]
    """A feedback row written straight into the table, as a path that forgets the audit would."""
    template = make_feedback(content="正常录入的反馈")
    table = Feedback.__table__
    row = dict(db.execute(select(table).where(table.c.id == template.id)).mappings().one())
    # status_token is unique: left out, its default makes a new one.
    row = {k: v for k, v in row.items() if v is not None and k != "status_token"}
    row |= {"id": template.id + "X", "content": "绕过审计"}
    db.execute(table.insert().values(**row))
    db.commit()
    return row["id"]


def test_verify_reports_an_item_stored_without_its_entry(db, make_feedback):
    fid = _store_without_audit(db, make_feedback)
    result = audit.verify(db)
    assert not result.ok and result.chain_ok  # the chain itself is untouched
    [missing] = result.unaudited
    assert (missing.entity, missing.count, missing.sample_ids) == ("feedback", 1, [fid])


def test_verify_reports_an_item_whose_creation_entry_was_deleted(db, make_feedback):
    item = make_feedback(content="后来被删掉审计的反馈")
    created = [AuditEntry.entity_id == item.id, AuditEntry.action == "feedback.create"]
    db.execute(delete(AuditEntry).where(*created))
    db.commit()
    result = audit.verify(db)
    assert not result.ok and not result.chain_ok
    assert [(u.entity, u.sample_ids) for u in result.unaudited] == [("feedback", [item.id])]


def test_cli_verify_fails_and_names_the_unaudited_items(db, make_feedback):
    fid = _store_without_audit(db, make_feedback)
    r = CliRunner().invoke(main, ["audit", "verify"])
    assert r.exit_code == 1 and "审计链完整" not in r.output
    assert "1 条反馈" in r.output and fid in r.output


def test_api_verify_reports_the_unaudited_items(client, admin_headers, db, make_feedback):
    fid = _store_without_audit(db, make_feedback)
    body = client.get("/api/v1/audit/verify", headers=admin_headers).json()
    assert body["ok"] is False and body["chain_ok"] is True and body["broken_seq"] is None
    assert body["unaudited"][0]["count"] == 1 and body["unaudited"][0]["sample_ids"] == [fid]


def test_admin_page_shows_the_unaudited_items(client, db, make_feedback):
    fid = _store_without_audit(db, make_feedback)
    login = client.get("/login")
    if login.status_code == 404:
        pytest.skip("the web UI's sign-in page is not there yet")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
    client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": csrf})
    page = client.get("/admin/audit", params={"verify": "1"}).text
    assert 'data-testid="unaudited"' in page and fid in page and 'data-testid="chain-ok"' not in page
