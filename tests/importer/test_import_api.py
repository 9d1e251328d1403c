"""POST /api/v1/imports through the TestClient."""

from __future__ import annotations

import json

import pytest

GOOD = "评论内容,星级,平台\n很好,5,天猫\n评分写错,六星,天猫\n一般,3,京东\n".encode("gb18030")


def _login(client, username: str, password: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_upload_imports_and_reports(client, admin_headers, stored):
    r = client.post(
        "/api/v1/imports",
        files={"file": ("导出.csv", GOOD, "text/csv")},
        data={"channel": "jd"},
        headers=admin_headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["total_rows"], body["created"], body["existing"]) == (3, 2, 0)
    assert body["encoding"] == "gbk" and body["mapping"]["星级"] == "rating"
    assert (
        body["rejected"]
        == [{"line": 3, "reason": body["rejected"][0]["reason"], "raw": "评分写错,六星,天猫"}]
        and "六星" in body["rejected"][0]["reason"]
    )
    assert sorted(f.channel for f in stored()) == ["jd", "tmall"]
    again = client.post("/api/v1/imports", files={"file": ("导出.csv", GOOD)}, headers=admin_headers).json()
    assert (again["created"], again["existing"]) == (0, 2)


def test_upload_with_json_mapping(client, admin_headers, stored):
    data = "正文,分\n物流太慢,2\n".encode()
    mapping = json.dumps({"正文": "content", "分": "rating"}, ensure_ascii=False)
    r = client.post(
        "/api/v1/imports", files={"file": ("x.csv", data)}, data={"mapping": mapping}, headers=admin_headers
    )
    assert r.status_code == 200, r.text
    assert stored()[0].rating == 2


def test_bad_file_is_422_with_advice(client, admin_headers, count):
    r = client.post("/api/v1/imports", files={"file": ("x.csv", b"%PDF-1.5 ...")}, headers=admin_headers)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "import_failed"
    assert "请另存为 UTF-8 或 GBK 编码的 CSV，或 XLSX" in r.json()["error"]["message"]
    assert count() == 0


def test_bad_mapping_json_is_422(client, admin_headers):
    r = client.post(
        "/api/v1/imports",
        files={"file": ("x.csv", GOOD)},
        data={"mapping": "{not json"},
        headers=admin_headers,
    )
    assert r.status_code == 422 and "JSON" in r.json()["error"]["message"]


def test_upload_needs_login(client, count):
    r = client.post("/api/v1/imports", files={"file": ("x.csv", GOOD)})
    assert r.status_code == 401 and count() == 0


@pytest.mark.parametrize(
    ("role", "status"), [("agent", 200), ("csm", 200), ("analyst", 403), ("product_manager", 403)]
)
def test_roles_that_may_import(client, make_user, role, status):
    headers = _login(client, *make_user(role))
    r = client.post("/api/v1/imports", files={"file": ("x.csv", GOOD)}, headers=headers)
    assert r.status_code == status


def test_upload_over_the_size_limit_is_413(client, admin_headers, monkeypatch, count):
    from feedbackloop.config import get_settings

    monkeypatch.setattr(get_settings(), "max_upload_bytes", 1024)
    big = "内容\n".encode() + ("很长的评论内容\n" * 200).encode()
    r = client.post("/api/v1/imports", files={"file": ("big.csv", big)}, headers=admin_headers)
    assert r.status_code == 413 and count() == 0


def test_background_import_reports_progress_and_result(client, admin_headers, stored):
    r = client.post(
        "/api/v1/imports", files={"file": ("x.csv", GOOD)}, data={"background": "true"}, headers=admin_headers
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    # Tests run the queue in immediate mode, so the job has finished by now.
    status = client.get(f"/api/v1/imports/{job_id}", headers=admin_headers).json()
    assert status["status"] == "done" and status["processed"] == status["total"] == 3
    assert status["result"]["created"] == 2 and status["result"]["rejected"][0]["line"] == 3
    assert len(stored()) == 2


def test_background_import_of_a_bad_file_fails_with_advice(client, admin_headers):
    r = client.post(
        "/api/v1/imports",
        files={"file": ("x.csv", b"%PDF-1.5")},
        data={"background": "true"},
        headers=admin_headers,
    )
    status = client.get(f"/api/v1/imports/{r.json()['job_id']}", headers=admin_headers).json()
    assert status["status"] == "failed" and "请另存为" in status["error"]["message"]


def test_large_upload_goes_to_the_background(client, admin_headers, count, monkeypatch):
    from feedbackloop.feedback import import_jobs

    monkeypatch.setattr(import_jobs, "BACKGROUND_BYTES", 2000)
    data = ("评论内容,星级\n" + "".join(f"第 {n} 条评论: 物流很快，包装完好,5\n" for n in range(60))).encode()
    small = client.post("/api/v1/imports", files={"file": ("small.csv", data[:1000])}, headers=admin_headers)
    assert small.status_code == 200
    r = client.post("/api/v1/imports", files={"file": ("big.csv", data)}, headers=admin_headers)
    assert r.status_code == 202
    status = client.get(f"/api/v1/imports/{r.json()['job_id']}", headers=admin_headers).json()
    assert status["status"] == "done", status
    assert count() == 60


def test_unknown_job_is_404(client, admin_headers):
    assert client.get("/api/v1/imports/nope", headers=admin_headers).status_code == 404
