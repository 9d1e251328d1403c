"""Backup and restore round-trip every table and the attachment files, into an empty database."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, null, select, update
from sqlalchemy.engine import make_url

from feedbackloop.db import get_engine, make_engine, reset_caches
from feedbackloop.feedback.models import Feedback
from feedbackloop.migrations import migrate
from feedbackloop.models import Base
from feedbackloop.ops.backup import backup, restore

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _empty_database(tmp_path: Path) -> str:
    current = os.environ["FEEDBACKLOOP_DATABASE_URL"]
    if not current.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    import psycopg

    url = make_url(current)
    name = f"{url.database}_restore_{uuid.uuid4().hex[:8]}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def _dump(engine) -> dict[str, list[dict]]:
    with engine.connect() as conn:
        return {
            t.name: [dict(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns)).mappings()]
            for t in Base.metadata.sorted_tables
        }


def _null_counts(engine) -> dict[str, int]:
    """`column IS NULL` per column of every table: JSON 'null' reads back as None too, SQL tells them apart."""
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for t in Base.metadata.sorted_tables:
            for c in t.columns:
                nulls = select(func.count()).select_from(t).where(c.is_(None))
                counts[f"{t.name}.{c.name}"] = conn.scalar(nulls)
    return counts


def _populate(client, admin_headers, db):
    client.post("/api/v1/users", json={"username": "pm1", "password": "password-123", "role": "product_manager"},
                headers=admin_headers)
    client.post("/api/v1/teams", json={"name": "物流组", "description": "负责配送"}, headers=admin_headers)
    client.post("/api/v1/tokens", json={"name": "crm", "scopes": ["feedback:write"]}, headers=admin_headers)
    first = client.post("/api/v1/feedback", json={"content": "配送太慢了, 等了三天", "contact": "13812345678",
                                                  "consent_public": True, "rating": 2}, headers=admin_headers).json()
    client.post("/api/v1/feedback", json={"content": "配送太慢了, 等了三天"}, headers=admin_headers)  # duplicate_of
    client.post("/api/v1/feedback", json={"content": "<script>alert(1)</script> 😀 é"}, headers=admin_headers)
    # An item not analysed yet: SQL NULL in its JSON columns (null(); a plain None would write JSON 'null').
    unanalysed = client.post("/api/v1/feedback", json={"content": "发票还没开"}, headers=admin_headers).json()
    db.execute(update(Feedback).where(Feedback.id == first["id"]).values(analysis={"sentiment": {"score": 0.12}}))
    unanalyse = update(Feedback).where(Feedback.id == unanalysed["id"])
    db.execute(unanalyse.values(analysis=null(), priority_reasons=null()))
    db.commit()
    up = client.post(f"/api/v1/feedback/{first['id']}/attachments", files={"file": ("照片.png", PNG, "image/png")},
                     headers=admin_headers)
    assert up.status_code == 201, up.text


def test_backup_restores_every_row_and_file_into_an_empty_database(client, admin_headers, db, tmp_path, monkeypatch):
    _populate(client, admin_headers, db)
    source = get_engine()
    before, nulls_before = _dump(source), _null_counts(source)
    assert any(r["duplicate_of"] for r in before["feedback"])
    assert nulls_before["feedback.analysis"] >= 1 and nulls_before["feedback.priority_reasons"] >= 1
    archive = tmp_path / "backup.zip"
    backup(source, archive)

    from feedbackloop.config import get_settings

    files_before = {p.name: p.read_bytes() for p in (get_settings().var_dir / "attachments").iterdir()}
    target_url = _empty_database(tmp_path)
    target_var = tmp_path / "var2"
    monkeypatch.setenv("FEEDBACKLOOP_VAR_DIR", str(target_var))
    get_settings.cache_clear()
    migrate(target_url)
    target = make_engine(target_url)
    try:
        manifest = restore(target, archive)
        after, nulls_after = _dump(target), _null_counts(target)
    finally:
        target.dispose()
        monkeypatch.undo()
        get_settings.cache_clear()
    assert manifest["tables"]["feedback"] == 4
    for table in Base.metadata.sorted_tables:
        assert after[table.name] == before[table.name], table.name
    assert nulls_after == nulls_before
    assert {p.name: p.read_bytes() for p in (target_var / "attachments").iterdir()} == files_before


def test_restore_refuses_a_database_with_data(client, admin_headers, db, tmp_path):
    _populate(client, admin_headers, db)
    archive = tmp_path / "b.zip"
    backup(get_engine(), archive)
    runner = CliRunner()
    from feedbackloop.cli import main

    r = runner.invoke(main, ["restore", str(archive)])
    assert r.exit_code == 1 and "不是空的" in r.output


def test_cli_backup_then_restore_keeps_the_audit_chain_valid(client, admin_headers, db, tmp_path, monkeypatch):
    from feedbackloop.audit import verify
    from feedbackloop.cli import main
    from feedbackloop.config import get_settings

    _populate(client, admin_headers, db)
    archive = tmp_path / "cli.zip"
    runner = CliRunner()
    made = runner.invoke(main, ["backup", str(archive)])
    assert made.exit_code == 0, made.output
    target_url = _empty_database(tmp_path)
    original_url = os.environ["FEEDBACKLOOP_DATABASE_URL"]
    monkeypatch.setenv("FEEDBACKLOOP_DATABASE_URL", target_url)
    monkeypatch.setenv("FEEDBACKLOOP_VAR_DIR", str(tmp_path / "var3"))
    reset_caches()
    try:
        done = runner.invoke(main, ["restore", str(archive)])
        assert done.exit_code == 0, done.output
        from feedbackloop.db import get_sessionmaker

        with get_sessionmaker()() as s:
            result = verify(s)
            count = len(s.scalars(select(Feedback)).all())
    finally:
        monkeypatch.setenv("FEEDBACKLOOP_DATABASE_URL", original_url)
        monkeypatch.undo()
        reset_caches()
        get_settings()
    assert result.ok and result.checked > 5 and count == 4


def _switch_database(url: str, var_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("FEEDBACKLOOP_DATABASE_URL", url)
    monkeypatch.setenv("FEEDBACKLOOP_VAR_DIR", str(var_dir))
    reset_caches()


def test_report_runs_on_a_restored_database_with_unanalysed_items(client, admin_headers, db, tmp_path,
                                                                  monkeypatch):
    from feedbackloop.cli import main

    _populate(client, admin_headers, db)
    archive = tmp_path / "report.zip"
    runner = CliRunner()
    assert runner.invoke(main, ["backup", str(archive)]).exit_code == 0
    original_url = os.environ["FEEDBACKLOOP_DATABASE_URL"]
    _switch_database(_empty_database(tmp_path), tmp_path / "var4", monkeypatch)
    try:
        done = runner.invoke(main, ["restore", str(archive)])
        assert done.exit_code == 0, done.output
        reported = runner.invoke(main, ["report", "--format", "json"])
    finally:
        monkeypatch.setenv("FEEDBACKLOOP_DATABASE_URL", original_url)
        monkeypatch.undo()
        reset_caches()
    assert reported.exit_code == 0, reported.output
    assert json.loads(reported.output)["total"] == 4
