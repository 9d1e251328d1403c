"""Backup and restore of the whole database and the attachment files, portable between SQLite and PostgreSQL.

A backup is a zip: `manifest.json` (format, version, row count per table), `tables/<name>.jsonl` (one JSON
object per row, every table of the models) and `attachments/<file>`. Values that JSON cannot carry are
tagged: datetimes `{"$dt": iso}`, dates `{"$date": iso}`, decimals `{"$dec": str}`, bytes `{"$b64": str}`.
In JSON columns `null` is SQL NULL and `{"$jsonnull": true}` the JSON value null (both read back as None, but
`analysis IS NULL` is how unanalysed items are found). Restore needs an empty, migrated database.
"""

from __future__ import annotations

import base64
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Integer, Table, func, null, select, text
from sqlalchemy.engine import Connection, Engine

from feedbackloop import __version__
from feedbackloop.attachments.services import storage_dir
from feedbackloop.errors import Conflict, ValidationFailed
from feedbackloop.models import Base

FORMAT = "feedbackloop-backup/1"
BATCH = 1000
JSON_NULL = "$jsonnull"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        key, raw = next(iter(value.items()))
        if key == "$dt":
            return datetime.fromisoformat(raw)
        if key == "$date":
            return date.fromisoformat(raw)
        if key == "$dec":
            return Decimal(raw)
        if key == "$b64":
            return base64.b64decode(raw)
    return value


def _json_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if isinstance(c.type, JSON)]


def _decode_json(value: Any) -> Any:
    """A JSON column's value for insert: None must be null(), the JSON type writes None as JSON 'null'."""
    if value is None:
        return null()
    if value == {JSON_NULL: True}:
        return JSON.NULL
    return value  # JSON-native already; never tagged, so a stored {"$dt": ...} object stays an object


def _backup_lines(conn: Connection, table: Table) -> list[str]:
    """One JSON line per row; JSON columns are read with their `IS NULL`: None cannot tell the two nulls apart."""
    names = [c.name for c in table.columns]
    json_names = _json_columns(table)
    is_null = [table.c[n].is_(None) for n in json_names]
    stmt = select(*table.columns, *is_null).order_by(*table.primary_key.columns)
    lines = []
    for row in conn.execute(stmt):
        data = {k: _encode(v) for k, v in zip(names, row[: len(names)], strict=True)}
        for name, is_sql_null in zip(json_names, row[len(names) :], strict=True):
            if data[name] is None and not is_sql_null:
                data[name] = {JSON_NULL: True}
        lines.append(json.dumps(data, ensure_ascii=False))
    return lines


def backup(engine: Engine, out: Path) -> dict[str, Any]:
    """Write every table and every attachment file to the zip `out`; returns the manifest."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf, engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            lines = _backup_lines(conn, table)
            zf.writestr(f"tables/{table.name}.jsonl", "\n".join(lines) + ("\n" if lines else ""))
            counts[table.name] = len(lines)
        files = sorted(p for p in storage_dir().iterdir() if p.is_file())
        for path in files:
            zf.write(path, f"attachments/{path.name}")
        manifest = {"format": FORMAT, "version": __version__, "tables": counts, "attachments": len(files)}
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


def _read_manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except KeyError as exc:
        raise ValidationFailed("不是 FeedbackLoop 备份文件（缺少 manifest.json） / not a FeedbackLoop backup") from exc
    if manifest.get("format") != FORMAT:
        raise ValidationFailed(f"不支持的备份格式 {manifest.get('format')!r} / unsupported backup format")
    return manifest


def _ensure_empty(conn: Connection) -> None:
    # The admin that first start creates is the one row tolerated: restore replaces it.
    for table in Base.metadata.sorted_tables:
        count = conn.scalar(select(func.count()).select_from(table)) or 0
        if table.name == "users" and count <= 1 or table.name in ("audit_log", "audit_head") or count == 0:
            continue
        raise Conflict(
            f"目标数据库不是空的（表 {table.name} 有 {count} 行），请恢复到新建的空数据库 / target database is not empty"
        )


def restore(engine: Engine, src: Path) -> dict[str, Any]:
    """Load a backup into an empty migrated database and put the attachment files back; returns the manifest."""
    with zipfile.ZipFile(src) as zf:
        manifest = _read_manifest(zf)
        with engine.begin() as conn:
            _ensure_empty(conn)
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
            for table in Base.metadata.sorted_tables:
                _load_table(conn, table, zf)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn)
        target = storage_dir()
        for name in zf.namelist():
            if name.startswith("attachments/") and not name.endswith("/"):
                base = Path(name).name
                if base and base == name.removeprefix("attachments/"):  # no paths hidden in member names
                    (target / base).write_bytes(zf.read(name))
    return manifest


def _decode_row(data: dict[str, Any], columns: set[str], json_names: set[str]) -> dict[str, Any]:
    return {k: _decode_json(v) if k in json_names else _decode(v) for k, v in data.items() if k in columns}


def _load_table(conn: Connection, table: Any, zf: zipfile.ZipFile) -> None:
    try:
        raw = zf.read(f"tables/{table.name}.jsonl").decode()
    except KeyError:
        return  # a table added after the backup was made starts empty
    columns = set(table.columns.keys())
    json_names = set(_json_columns(table))
    rows = [_decode_row(json.loads(line), columns, json_names) for line in raw.splitlines() if line]
    # Rows pointing at rows of the same table (duplicate_of) go in without the link first, then get it back.
    self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    deferred = [(r, {c: r[c] for c in self_refs if r.get(c) is not None}) for r in rows] if self_refs else []
    for start in range(0, len(rows), BATCH):
        chunk = [{**r, **{c: None for c in self_refs}} for r in rows[start : start + BATCH]]
        conn.execute(table.insert(), chunk)
    pk = list(table.primary_key.columns)
    # Pin columns with an onupdate default (updated_at) so that re-linking does not change them.
    pinned = [c.name for c in table.columns if c.onupdate is not None and c.name in columns]
    for row, links in deferred:
        if links:
            values = {**links, **{c: row.get(c) for c in pinned}}
            conn.execute(table.update().where(*(c == row[c.name] for c in pk)).values(**values))


def _reset_sequences(conn: Connection) -> None:
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
            seq = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name})
            if seq:
                conn.execute(
                    text(f"SELECT setval(:s, COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"),
                    {"s": seq},
                )
