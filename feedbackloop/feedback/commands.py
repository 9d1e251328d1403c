"""`feedbackloop import FILE`: a thin CLI over feedback.importer with a progress bar and a summary."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from feedbackloop.cli_support import handle_errors, progress_bar
from feedbackloop.feedback.importer import ImportReport
from feedbackloop.lib.spreadsheet import CsvWriter, open_for_excel


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--channel",
    default="import",
    show_default=True,
    help="默认渠道（文件中的 渠道/平台 列优先） / default channel",
)
@click.option(
    "--map", "mappings", multiple=True, metavar="列名=字段", help="指定列映射, 可重复, 如 --map 评论=content"
)
@click.option(
    "--errors-csv",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="把被拒绝的行写入此 CSV / write rejected rows to this CSV",
)
@handle_errors
def import_(file: Path, channel: str, mappings: tuple[str, ...], errors_csv: Path | None) -> None:
    """导入 CSV / XLSX 评论或 CRM 导出文件 (UTF-8, GBK, GB18030 自动识别; 可重复导入, 不会重复入库)."""
    from feedbackloop.bootstrap import prepare_database
    from feedbackloop.config import get_settings
    from feedbackloop.db import session_scope
    from feedbackloop.feedback.importer import import_file, parse_mapping_option

    mapping = parse_mapping_option(mappings)
    prepare_database(get_settings())
    console = Console(stderr=True)
    with progress_bar(console, rows=True) as bar, session_scope() as session:
        task = bar.add_task("导入 / importing", total=None)
        report = import_file(
            session,
            file,
            channel=channel,
            mapping=mapping,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    _print_summary(report)
    if report.created:
        click.echo(
            f"新增的 {report.created} 条已交给后台分析与分派 (由 feedbackloop serve 或 worker 处理)"
            " / queued for analysis and routing"
        )
    if errors_csv is not None:
        _write_errors(report, errors_csv)
        click.echo(f"被拒绝的行已写入 / rejected rows written to {errors_csv}")


def _print_summary(report: ImportReport) -> None:
    # File headers and rows are user data: no rich markup, no wrapping inside them.
    console = Console(soft_wrap=True, highlight=False)
    encoding = f", 编码 {report.encoding}" if report.encoding else ""
    console.print(
        f"文件格式 {report.file_format}{encoding}; 列映射: "
        + ", ".join(f"{h}→{f}" for h, f in report.mapping.items()),
        markup=False,
    )
    if report.ignored_columns:
        console.print("忽略的列 / ignored columns: " + ", ".join(report.ignored_columns), markup=False)
    table = Table(title="导入结果 / import summary")
    table.add_column("项目 / item")
    table.add_column("行数 / rows", justify="right")
    table.add_row("读取 / read", str(report.total_rows))
    table.add_row("新增 / created", str(report.created))
    table.add_row("已存在 / already present", str(report.existing))
    table.add_row("拒绝 / rejected", str(len(report.rejected)))
    console.print(table)
    for row in report.rejected:
        console.print(row.reason, markup=False)


def _write_errors(report: ImportReport, path: Path) -> None:
    # The raw rows are the customer's text, opened in Excel: a cell like "=HYPERLINK(…)" must stay text.
    with open_for_excel(path) as fh:
        writer = CsvWriter(fh)
        writer.writerow(["line", "reason", "raw"])
        for row in report.rejected:
            writer.writerow([row.line, row.reason, row.raw])
