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
    assert "请另存为 UTF-8 或 GBK 编码的 CSV, 或 XLSX" in r.json()["error"]["message"]
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
