"""The KPIs where people read them: GET /api/v1/kpis (SPEC §11), targets, `feedbackloop kpi`, the report."""

from __future__ import annotations

import json

from click.testing import CliRunner

from feedbackloop.cli import main

SPEC_KEYS = {"csat", "nps", "ces", "response_rate", "first_response_minutes_median", "first_response_minutes_p90",
             "resolution_minutes_median", "resolution_minutes_p90", "handling_rate", "sla_compliance", "fcr",
             "repeat_rate", "complaint_rate", "positive_rate"}  # fmt: skip


def test_the_api_answers_every_spec_key_with_value_n_and_target(client, month, admin_headers):
    r = client.get("/api/v1/kpis?from=2024-04-01&to=2024-04-30", headers=admin_headers)
    assert r.status_code == 200, r.text
    data = r.json()["kpis"]
    assert SPEC_KEYS <= set(data) and "ces_share" in data
    assert data["nps"]["value"] == 40.0 and data["nps"]["n"] == 5 and data["nps"]["low_n"] is True
    assert data["repeat_rate"]["target"] == 15.0 and data["csat"]["target"] is None
    tmall = client.get("/api/v1/kpis?from=2024-04-01&to=2024-04-30&channel=tmall", headers=admin_headers).json()
    assert tmall["kpis"]["csat"]["value"] == 50.0 and tmall["filters"] == {"channel": "tmall"}
    typo = client.get("/api/v1/kpis?channel=nope&customer_type=vip", headers=admin_headers)  # not a quiet month
    assert typo.status_code == 422 and typo.json()["error"]["details"]["fields"] == ["channel", "customer_type"]
    assert "tmall" in typo.json()["error"]["message"] and "high_value" in typo.json()["error"]["message"]


def test_a_supervisor_sets_a_target_and_the_api_says_whether_it_is_met(client, month, admin_headers, make_user):
    from auth_helpers import token_for

    r = client.put("/api/v1/kpis/targets/nps", json={"target": 30, "direction": "higher"}, headers=admin_headers)
    assert r.status_code == 200 and r.json() == {"key": "nps", "target": 30.0, "direction": "higher"}
    nps = client.get("/api/v1/kpis?from=2024-04-01&to=2024-04-30", headers=admin_headers).json()["kpis"]["nps"]
    assert (nps["target"], nps["met"], nps["previous"], nps["change"]) == (30.0, True, None, None)
    agent = token_for(client, *make_user("agent"))
    assert client.put("/api/v1/kpis/targets/nps", json={"target": 10}, headers=agent).status_code == 403
    assert client.put("/api/v1/kpis/targets/nps", json={"target": 101}, headers=admin_headers).status_code == 422
    assert client.put("/api/v1/kpis/targets/nope", json={"target": 1}, headers=admin_headers).status_code == 404
    assert client.get("/api/v1/kpis?from=2024-04-30&to=2024-04-01", headers=admin_headers).status_code == 422


def test_the_kpi_page_shows_tiles_with_target_and_trend(client, month, make_user, db):
    from auth_helpers import sign_in

    name, _ = make_user("supervisor")
    sign_in(client, db, name)
    page = client.get("/kpis?from=2024-04-01&to=2024-04-30")
    assert page.status_code == 200
    assert 'data-testid="kpi-nps"' in page.text and 'data-value="40.0"' in page.text
    assert "+40.0" in page.text and "7 小时" in page.text  # resolution median 420 business minutes
    assert "样本少于 30" in page.text
    typo = client.get("/kpis?from=2024-04-01&to=2024-04-30&problem_type=快递")
    assert typo.status_code == 422 and "无法识别的筛选值：problem_type" in typo.text and "物流" in typo.text


def test_the_cli_prints_the_kpis_and_their_json(month):
    runner = CliRunner()
    text = runner.invoke(main, ["kpi", "--from", "2024-04-01", "--to", "2024-04-30"])
    assert text.exit_code == 0, text.output
    assert "净推荐值 NPS" in text.output and "+40.0" in text.output and "n=5" in text.output
    out = runner.invoke(main, ["kpi", "--from", "2024-04-01", "--to", "2024-04-30", "--json", "--channel", "tmall"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["kpis"]["csat"]["value"] == 50.0
    bad = runner.invoke(main, ["kpi", "--from", "2024-04-30", "--to", "2024-04-01"])
    assert bad.exit_code == 1 and "早于" in bad.output
    typo = runner.invoke(main, ["kpi", "--channel", "taobao"])
    assert typo.exit_code == 1 and "无法识别的筛选值：channel" in typo.output and "tmall" in typo.output


def _column_at(line: str, marker: str) -> int:
    """The terminal column (display cells, a Chinese character counts 2) where `marker` starts in `line`."""
    from rich.cells import cell_len

    return cell_len(line[: line.index(marker)])


def test_the_cli_kpi_table_lines_up_by_display_width(month):
    """Chinese KPI names are two cells per character in a terminal: the columns after them still line up."""
    out = CliRunner().invoke(main, ["kpi", "--from", "2024-04-01", "--to", "2024-04-30"])
    assert out.exit_code == 0, out.output
    rows = [line for line in out.output.splitlines()[1:] if "n=" in line]
    assert len(rows) > 10 and any("净推荐值" in r for r in rows)
    assert len({_column_at(r, " n=") for r in rows}) == 1, "\n".join(rows)
    targets = [r for r in rows if "目标" in r]
    assert targets and len({_column_at(r, "目标") for r in targets}) == 1, "\n".join(targets)
    report = CliRunner().invoke(main, ["report", "--from", "2024-04-01", "--to", "2024-04-30"]).output
    channels = report.split("渠道占比 / channels:\n")[1].split("\n\n")[0].splitlines()
    assert len(channels) >= 2 and len({_column_at(r, "(上期") for r in channels}) == 1, channels


def test_the_report_shows_what_was_handled_and_how_fast(month):
    runner = CliRunner()
    out = runner.invoke(main, ["report", "--from", "2024-04-01", "--to", "2024-04-30"])
    assert out.exit_code == 0, out.output
    assert "已处理 5 条" in out.output
    assert "解决时长（中位数，工作分钟）" in out.output and "7 小时" in out.output
    html = runner.invoke(main, ["report", "--from", "2024-04-01", "--to", "2024-04-30", "--format", "html"])
    assert 'data-testid="report-kpis"' in html.output and "处理率" in html.output


def test_a_calendar_change_recomputes_every_business_duration_in_place(client, month, admin_headers, db):
    """Business minutes depend on the calendar: saving it recomputes every item's durations in the background
    (kpi_facts.rebuild, in place), and the KPIs then equal a computation from scratch."""
    from sqlalchemy import delete

    from feedbackloop.insight import kpi_facts
    from feedbackloop.insight.kpi_models import KpiHandoff, KpiItemTimes

    url = "/api/v1/kpis?from=2024-04-01&to=2024-04-30"
    keys = ("resolution_minutes_median", "first_response_minutes_p90", "resolution_calendar_minutes_median")
    before = {k: client.get(url, headers=admin_headers).json()["kpis"][k]["value"] for k in keys}
    r = client.put("/api/v1/business-calendar", headers=admin_headers, json={"day_start": "10:00"})
    assert r.status_code == 200, r.text
    after = client.get(url, headers=admin_headers).json()["kpis"]
    assert after["resolution_minutes_median"]["value"] != before["resolution_minutes_median"]
    assert after["resolution_calendar_minutes_median"]["value"] == before["resolution_calendar_minutes_median"]
    db.rollback()
    db.execute(delete(KpiHandoff))
    db.execute(delete(KpiItemTimes))
    db.commit()
    kpi_facts.refresh(db)
    assert client.get(url, headers=admin_headers).json()["kpis"] == after
