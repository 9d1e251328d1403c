"""The executives' KPI tiles and the survey-score trend on the dashboard come from insight.kpis: the same values,
targets and answer counts as GET /api/v1/kpis for the same range."""

from __future__ import annotations

from auth_helpers import token_for

from feedbackloop.insight.dashboard import EXEC_KPIS

Q = "from=2024-04-01&to=2024-04-30"


def test_kpi_tiles_match_the_kpi_api_with_their_targets(client, month):
    headers = token_for(client)
    tiles = client.get(f"/api/v1/dashboard/kpis?{Q}", headers=headers).json()["tiles"]
    kpis = client.get(f"/api/v1/kpis?{Q}", headers=headers).json()["kpis"]
    assert [t["key"] for t in tiles] == EXEC_KPIS
    for tile in tiles:
        k = kpis[tile["key"]]
        assert (tile["value"], tile["n"], tile["target"], tile["met"]) == (k["value"], k["n"], k["target"], k["met"])
    csat = next(t for t in tiles if t["key"] == "csat")
    assert csat["value"] is not None and csat["shown"].endswith("%")


def test_the_weekly_survey_scores_add_up_to_the_month(client, month):
    headers = token_for(client)
    weeks = client.get(f"/api/v1/dashboard/surveys?{Q}", headers=headers).json()["weeks"]
    kpis = client.get(f"/api/v1/kpis?{Q}", headers=headers).json()["kpis"]
    assert weeks[0]["from"] == "2024-04-01" and weeks[-1]["to"] == "2024-04-30"
    for key in ("csat", "nps", "ces"):
        assert sum(w[key]["n"] for w in weeks) == kpis[key]["n"]
    assert any(w["csat"]["value"] is not None for w in weeks)
