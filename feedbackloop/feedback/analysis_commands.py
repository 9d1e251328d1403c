"""CLI commands of the analysis: analyze, evaluate, train, reanalyze (SPEC §11)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.progress import TaskID

from feedbackloop.cli_support import handle_errors, progress_bar, table
from feedbackloop.errors import ValidationFailed


def _read_column(path: Path, *columns: str) -> tuple[list[dict[str, str]], list[str]]:
    """Rows of a CSV (UTF-8/GBK, detected as on import) or XLSX file, checking that the named columns exist."""
    from feedbackloop.feedback.import_files import cell_text, open_source

    with open_source(path) as source:
        header = source.headers
        missing = [c for c in columns if c not in header]
        if missing:
            raise ValidationFailed(
                f"文件中没有列 {', '.join(missing)}；现有列：{', '.join(header)} / missing column(s)"
            )
        rows = [
            {h: cell_text(v) or "" for h, v in zip(header, record.cells, strict=False)}
            for record in source.rows
            if record.cells is not None
        ]
    return rows, header


@click.command("analyze")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--text-column", required=True, help="含文本的列 / column holding the text")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@handle_errors
def analyze_cmd(file: Path, text_column: str, output: Path) -> None:
    """Analyse every text of a CSV and write the results as extra columns."""
    from feedbackloop.analysis import analyze_many
    from feedbackloop.lib.spreadsheet import DictCsvWriter, open_for_excel

    rows, header = _read_column(file, text_column)
    extra = ["sentiment", "score", "intensity", "problem_type", "urgency", "aspects", "keywords", "model_version"]
    with progress_bar() as bar, open_for_excel(output) as out:
        task = bar.add_task("分析 / analysing", total=len(rows))
        writer = DictCsvWriter(out, fieldnames=header + [c for c in extra if c not in header])
        writer.writeheader()
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            for row, a in zip(chunk, analyze_many([r[text_column] or "" for r in chunk]), strict=True):
                d = a.to_dict()
                row.update(
                    sentiment=d["sentiment"]["label"], score=d["sentiment"]["score"],
                    intensity=d["sentiment"]["intensity"], problem_type=d["problem_type"], urgency=d["urgency"],
                    aspects=";".join(f"{x['aspect']}:{x['sentiment']}" for x in d["aspects"]),
                    keywords=" ".join(d["keywords"]), model_version=d["model_version"],
                )
                writer.writerow(row)
            bar.advance(task, len(chunk))
    click.echo(f"已写入 {len(rows)} 行 → {output} / wrote {len(rows)} rows")


@click.command("evaluate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--text-column", default=None, help="文本列（CSV 情感评估） / text column of a sentiment CSV")
@click.option("--label-column", default=None, help="0/1 标签列（1 = 正面） / 0/1 labels, 1 = positive")
@click.option("--model", "version", default=None, help="模型版本（默认当前） / model version, default current")
@click.option("--deep", is_flag=True, help="快速 + 深度模型 / fast and deep tier (labelled sets)")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")
@handle_errors
def evaluate_cmd(file: Path, text_column: str | None, label_column: str | None, version: str | None, deep: bool,
                 as_json: bool) -> None:
    """Accuracy of the analysis on a labelled file.

    With --text-column/--label-column: binary sentiment (accuracy, macro-F1, confusion matrix).
    Otherwise FILE is a set labelled by the guide (JSONL or CSV with text, sentiment, problem_type,
    urgency, aspects): every field is measured; only aggregate figures are printed.
    """
    from feedbackloop.analysis import AnalysisError, evaluate, load_model

    if not label_column:
        from feedbackloop.analysis.evaluation import evaluate_file

        try:
            stats = evaluate_file(file, deep=deep)
        except AnalysisError as exc:
            raise ValidationFailed(f"无法评估：{exc} / cannot evaluate") from exc
        if as_json:
            click.echo(json.dumps(stats, ensure_ascii=False))
            return
        for line in table([[key, value] for key, value in stats.items()], indent=""):
            click.echo(line)
        return
    if not text_column:
        raise ValidationFailed("请同时给出 --text-column / --text-column is needed with --label-column")
    rows, _ = _read_column(file, text_column, label_column)
    try:
        model = load_model(version) if version else None
        result = evaluate([r[text_column] or "" for r in rows], [r[label_column] for r in rows], model=model)
    except AnalysisError as exc:
        raise ValidationFailed(f"无法评估：{exc} / cannot evaluate") from exc
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    cm = result["confusion_matrix"]
    summary = [["模型 / model", result["model_version"]], ["样本 / texts", result["n"]],
               ["准确率 / accuracy", f"{result['accuracy']:.4f}"], ["macro-F1", f"{result['macro_f1']:.4f}"]]  # fmt: skip
    for line in table(summary, indent="", gap=" "):
        click.echo(line)
    click.echo("混淆矩阵 / confusion matrix (行=真实 rows=true, 列=预测 cols=predicted)")
    for line in table([["", "负面neg", "正面pos"], ["负面neg", *cm[0]], ["正面pos", *cm[1]]], "<>>"):
        click.echo(line)


@click.command("train")
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), help="语料目录 (默认 ../shared/data)")
@click.option("--no-corrections", is_flag=True, help="不使用客服的更正 / ignore stored corrections")
@click.option("--no-current", is_flag=True, help="只写出新模型，不切换 / write the model without switching to it")
@click.option("--limit", type=int, default=None, help="只用随机抽取的 N 条训练 / train on a sample")
@click.option("--only", type=click.Choice(["all", "sentiment", "triage", "deep"]), default="all", show_default=True,
              help="只训练情感模型或问题类型/紧急程度模型 / train only one of the models")
@click.option("--labelled", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="标注数据 JSONL（默认随包的训练集） / labelled JSONL for problem type and urgency")
@handle_errors
def train_cmd(data: Path | None, no_corrections: bool, no_current: bool, limit: int | None, only: str,
              labelled: Path | None) -> None:
    """Retrain the sentiment model and the problem-type / urgency heads, plus agents' corrections."""
    from feedbackloop.analysis import AnalysisError, train
    from feedbackloop.analysis.model import current_model_version
    from feedbackloop.analysis.triage_training import train_triage

    extra: list[tuple[str, int]] = []
    triage_extra: list[tuple[str, str, object]] = []
    if not no_corrections:
        extra, triage_extra = _stored_corrections()
    bar = progress_bar()
    tasks: dict[str, TaskID] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    sentiment_version = None
    try:
        if only in ("all", "sentiment"):
            with bar:
                result = train(data=data, extra=extra, make_current=not no_current, progress=progress, limit=limit)
            state = "已设为当前模型 / now current" if result.current else "未切换 / not current"
            click.echo(f"情感模型 {result.version} ({state}): {result.n_examples} 条训练文本, 其中 {len(extra)} 条更正"
                       f" → {result.path}")
            sentiment_version = result.version
        if only in ("all", "triage"):
            model = train_triage(data=labelled, corrections=triage_extra, make_current=not no_current,
                                 sentiment_version=sentiment_version or current_model_version())
            th = model.meta["thresholds"]
            click.echo(f"问题类型/紧急程度模型 {model.version}: {model.meta['n_examples']} 条标注文本, "
                       f"其中 {model.meta['corrections']} 条更正; 紧急阈值 {th['urgent']:.2f}"
                       f" (训练集交叉验证召回 {th['oof_recall']:.3f})")
        if only in ("all", "deep"):
            from feedbackloop.analysis.deep_training import train_deep
            from feedbackloop.analysis.encoder import unavailable_reason

            reason = unavailable_reason()
            if reason and only == "all":
                click.echo(f"跳过深度模型: {reason}")
            else:
                deep = train_deep(data=labelled, extra=extra, make_current=not no_current)
                click.echo(f"深度模型 {deep.version}: {deep.meta['n_labelled']} 条样例, "
                           f"{deep.meta['n_sentiment']} 条情感文本; 紧急阈值 {deep.meta['thresholds']['urgent']:.2f}")
    except AnalysisError as exc:
        raise ValidationFailed(f"训练失败：{exc} / training failed") from exc


def _stored_corrections() -> tuple[list[tuple[str, int]], list[tuple[str, str, object]]]:
    from feedbackloop.bootstrap import prepare_database
    from feedbackloop.config import get_settings
    from feedbackloop.db import session_scope
    from feedbackloop.feedback.analyzing import sentiment_corrections, triage_corrections

    prepare_database(get_settings())
    with session_scope() as session:
        return sentiment_corrections(session), triage_corrections(session)


@click.command("reanalyze")
@click.option("--background", is_flag=True, help="交给后台任务队列 / enqueue on the task queue")
@click.option("--deep", is_flag=True, help="同时运行深度模型（较慢） / run the deep tier too (slow)")
@handle_errors
def reanalyze_cmd(background: bool, deep: bool) -> None:
    """Re-run the analysis over every stored item with the current model (corrections are kept)."""
    from feedbackloop.bootstrap import prepare_database
    from feedbackloop.config import get_settings
    from feedbackloop.db import session_scope
    from feedbackloop.feedback import analyzing

    prepare_database(get_settings())
    if background:
        from feedbackloop.feedback.tasks import reanalyze_job

        reanalyze_job(deep)
        click.echo("已加入后台队列 / enqueued; the worker re-analyses in chunks")
        return
    with progress_bar() as bar, session_scope() as session:
        task = bar.add_task("重新分析 / re-analysing", total=None)
        done = analyzing.reanalyze_all(session, lambda d, t: bar.update(task, completed=d, total=t), deep=deep)
    click.echo(f"已重新分析 {done} 条 / re-analysed {done} items")


COMMANDS = [analyze_cmd, evaluate_cmd, train_cmd, reanalyze_cmd]
