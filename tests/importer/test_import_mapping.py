"""Column mapping: Chinese and English headers automatically, explicit mappings override."""

from __future__ import annotations

import pytest

from feedbackloop.errors import ImportFailed
from feedbackloop.feedback.importer import import_file, parse_mapping_json, parse_mapping_option


def test_common_headers_map_automatically(db, write_csv, stored):
    header = [
        "反馈内容",
        "打分",
        "客户名称",
        "创建时间",
        "联系方式",
        "订单号",
        "商品名称",
        "城市",
        "问题类型",
        "期望解决方案",
        "标签",
    ]
    row = [
        "空调不制冷",
        "1",
        "陈先生",
        "2024-06-01",
        "13900001111",
        "SO-1",
        "空调",
        "杭州",
        "产品功能",
        "上门维修",
        "x",
    ]
    report = import_file(db, write_csv([header, row]))
    assert report.mapping == {
        "反馈内容": "content", "打分": "rating", "客户名称": "customer_name", "创建时间": "received_at",
        "联系方式": "contact", "订单号": "external_id", "商品名称": "product", "城市": "region",
        "问题类型": "problem_type", "期望解决方案": "expected_solution",
    }  # fmt: skip
    assert report.ignored_columns == ["标签"]
    record = stored()[0]
    assert (record.external_id, record.product, record.region, record.problem_type) == (
        "SO-1",
        "空调",
        "杭州",
        "产品功能",
    )
    assert record.expected_solution == "上门维修" and record.contact == "13900001111"


def test_explicit_mapping_overrides_automatic(db, write_csv, stored):
    rows = [["评论", "备注", "星级"], ["自动映射的列", "真正的评论内容", "4"]]
    report = import_file(db, write_csv(rows), mapping={"备注": "content"})
    assert report.mapping["备注"] == "content" and "评论" in report.ignored_columns
    assert stored()[0].content == "真正的评论内容"


def test_explicit_mapping_to_ignore_drops_a_column(db, write_csv, stored):
    report = import_file(db, write_csv([["内容", "星级"], ["好", "很多"]]), mapping={"星级": "ignore"})
    assert report.created == 1 and stored()[0].rating is None


def test_mapping_to_an_unknown_field_or_column_fails(db, write_csv):
    path = write_csv([["内容"], ["好"]])
    with pytest.raises(ImportFailed, match="不是可导入的字段"):
        import_file(db, path, mapping={"内容": "body"})
    with pytest.raises(ImportFailed, match="不在文件中"):
        import_file(db, path, mapping={"正文": "content"})


def test_cli_style_and_json_mapping_options():
    assert parse_mapping_option(["评论=content", "星级 = rating"]) == {"评论": "content", "星级": "rating"}
    assert parse_mapping_json('{"评论内容": "content"}') == {"评论内容": "content"}
    with pytest.raises(ImportFailed):
        parse_mapping_option(["评论"])
    with pytest.raises(Exception, match="JSON"):
        parse_mapping_json("[1, 2]")
