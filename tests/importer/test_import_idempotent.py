"""Re-importing adds nothing twice; an interrupted import resumes by simply running it again."""

from __future__ import annotations

import pytest

from feedbackloop.feedback import services
from feedbackloop.feedback.importer import import_file


def _rows(n: int) -> list[list[str]]:
    return [["评论内容", "昵称", "评论时间"]] + [
        [f"第 {i} 条评论, 内容各不相同", f"用户{i % 7}", "2024-03-01"] for i in range(n)
    ]


def test_reimport_adds_nothing(db, write_csv, count):
    path = write_csv(_rows(25))
    first = import_file(db, path)
    again = import_file(db, path)
    assert (first.created, first.existing) == (25, 0)
    assert (again.created, again.existing) == (0, 25)
    assert count() == 25


def test_reexport_in_another_encoding_and_date_format_is_recognised(db, write_csv, count):
    import_file(db, write_csv([["内容", "昵称", "时间"], ["房间有异味", "小王", "2024-03-01 00:00:00"]]))
    other = write_csv(
        [["评论内容", "用户名", "日期"], ["房间有异味", "小王", "2024/3/1"]], "gbk", "again.csv"
    )
    assert import_file(db, other).existing == 1 and count() == 1


def test_external_ids_are_per_channel(db, write_csv, count):
    rows = [["订单号", "内容", "平台"], ["A1", "天猫的评价", "天猫"], ["A1", "京东的评价", "京东"]]
    assert import_file(db, write_csv(rows)).created == 2
    assert import_file(db, write_csv(rows)).existing == 2 and count() == 2


def test_the_same_row_twice_in_one_file_is_counted_once(db, write_csv, count):
    rows = [["内容", "昵称"], ["重复的行", "小王"], ["重复的行", "小王"], ["别的行", "小王"]]
    report = import_file(db, write_csv(rows))
    assert (report.created, report.existing, report.total_rows) == (2, 1, 3) and count() == 2


def test_interrupted_import_resumes_without_duplicates(db, write_csv, count):
    path = write_csv(_rows(35))
    seen: list[int] = []

    def interrupt_after_first_chunk(done: int, total: int | None) -> None:
        seen.append(done)
        raise KeyboardInterrupt  # what Ctrl-C does in the middle of a run

    with pytest.raises(KeyboardInterrupt):
        import_file(db, path, chunk_size=10, progress=interrupt_after_first_chunk)
    assert count() == 10  # the committed first chunk survives
    report = import_file(db, path, chunk_size=10)
    assert (report.created, report.existing, report.total_rows) == (25, 10, 35)
    assert count() == 35


def test_partial_run_then_full_run(db, write_csv, count):
    path = write_csv(_rows(30))
    assert import_file(db, path, chunk_size=10, max_rows=10).created == 10
    report = import_file(db, path, chunk_size=10)
    assert (report.created, report.existing) == (20, 10) and count() == 30


def test_ingest_hooks_fire_per_committed_chunk(db, write_csv):
    calls: list[int] = []
    services.after_ingest_hooks.append(lambda ids: calls.append(len(ids)))
    try:
        import_file(db, write_csv(_rows(25)), chunk_size=10)
    finally:
        services.after_ingest_hooks.pop()
    assert calls == [10, 10, 5]
