"""The import page: upload a CSV/XLSX to POST /api/v1/imports and show the per-row report."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from feedbackloop.feedback.models import CHANNELS
from feedbackloop.web.i18n import resolve_lang, translator
from feedbackloop.web.pages.common import PageRoute, WriterPage, render

router = APIRouter(route_class=PageRoute)
# Channels a file export usually comes from; `import` is the generic default.
# Record fields a column can map to, as the report names them → the UI name.
FIELD_LABELS = {
    "content": "反馈内容",
    "customer_name": "称呼",
    "contact": "联系方式",
    "customer_type": "客户类型",
    "industry": "行业/部门",
    "region": "地区",
    "received_at": "反馈时间",
    "occurred": "发生时间",
    "channel": "渠道",
    "external_id": "外部编号",
    "problem_type": "问题类型",
    "product": "产品/服务",
    "product_version": "版本",
    "module": "模块",
    "expected_solution": "期望的解决方案",
    "rating": "评分",
    "touchpoint": "触点",
}
IMPORT_CHANNELS = ("import", "tmall", "jd", "meituan", "dianping", "crm", "survey", "chat", "phone", "email")


@router.get("/import")
def import_page(request: Request, user: WriterPage) -> Response:
    """The upload form; the upload and progress run in static/import.js against the imports API."""
    channels = {code: CHANNELS[code] for code in IMPORT_CHANNELS if code in CHANNELS}
    labels = {field: translator(resolve_lang(request))(label) for field, label in FIELD_LABELS.items()}
    return render(request, "import.html", {"channels": channels, "field_labels": labels}, user=user)
