"""UI language: zh-CN by default, English on request (`?lang=en`, remembered in the session).

The catalogue is keyed by the zh-CN text itself, so templates read naturally and a missing English
entry falls back to Chinese instead of showing a key.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

LANGUAGES = {"zh-CN": "中文", "en": "English"}
DEFAULT = "zh-CN"

EN: dict[str, str] = {
    # layout
    "客户反馈闭环": "Customer feedback loop",
    "收件箱": "Inbox",
    "导入": "Import",
    "触点与二维码": "Touchpoints & QR",
    "退出登录": "Log out",
    "语言": "Language",
    "工作台": "Workspace",
    "管理": "Admin",
    "模板与知识库": "Templates & knowledge",
    "分派规则与 SLA": "Routing & SLA",
    "用户与角色": "Users & roles",
    "API 令牌": "API tokens",
    "审计日志": "Audit log",
    "修改密码": "Change password",
    "账号": "Account",
    # roles
    "客服": "Agent",
    "客服主管": "Supervisor",
    "产品经理": "Product manager",
    "客户成功经理": "Customer success",
    "分析师/管理层": "Analyst / executive",
    "管理员": "Administrator",
    # login
    "登录": "Log in",
    "用户名": "Username",
    "密码": "Password",
    "请输入用户名和密码": "Enter your username and password",
    "登录 FeedbackLoop": "Log in to FeedbackLoop",
    "客户反馈的收集、分析与闭环处理": "Collect, analyse and close the loop on customer feedback",
    "您已退出登录": "You have been logged out",
    "收集 · 清洗 · 分析 · 分派 · 回复 · 回访": "Collect · clean · analyse · route · reply · follow up",
    # inbox
    "全部反馈": "All feedback",
    "条": "items",
    "共": "Total",
    "编号": "ID",
    "时间": "Time",
    "渠道": "Channel",
    "客户": "Customer",
    "联系方式": "Contact",
    "客户类型": "Customer type",
    "问题类型": "Problem type",
    "情感": "Sentiment",
    "紧急度": "Urgency",
    "状态": "Status",
    "内容": "Content",
    "标记": "Flags",
    "重复": "Duplicate",
    "内容模糊": "Vague",
    "搜索反馈内容…": "Search feedback text…",
    "搜索": "Search",
    "筛选": "Filter",
    "清除筛选": "Clear filters",
    "全部渠道": "All channels",
    "全部问题类型": "All problem types",
    "全部状态": "All statuses",
    "全部客户类型": "All customer types",
    "全部情感": "All sentiments",
    "全部紧急度": "All urgencies",
    "日期": "Date",
    "起始日期": "From",
    "截止日期": "To",
    "上一页": "Previous",
    "下一页": "Next",
    "第 {page} / {pages} 页": "Page {page} of {pages}",
    "没有符合条件的反馈": "No feedback matches these filters",
    "试试减少筛选条件或换个关键词。": "Try fewer filters or another search term.",
    "日期格式应为 YYYY-MM-DD": "Dates must be YYYY-MM-DD",
    # detail
    "反馈详情": "Feedback detail",
    "返回收件箱": "Back to inbox",
    "客户信息": "Customer",
    "反馈信息": "Feedback",
    "称呼": "Name",
    "行业/部门": "Industry / department",
    "地区": "Region",
    "反馈时间": "Received",
    "发生时间": "Occurred",
    "触点": "Touchpoint",
    "外部编号": "External ID",
    "产品/服务": "Product / service",
    "版本": "Version",
    "模块": "Module",
    "评分": "Rating",
    "同意公开引用": "May be quoted publicly",
    "是": "Yes",
    "否": "No",
    "反馈内容": "Feedback",
    "期望的解决方案": "Expected solution",
    "与 {id} 重复": "Duplicate of {id}",
    "完全相同": "exact",
    "高度相似": "near",
    "重复反馈": "Duplicates",
    "以下反馈与本条重复": "These items duplicate this one",
    "内容过于笼统, 需要向客户追问细节": "Too vague: ask the customer for details",
    "分析": "Analysis",
    "尚未分析": "Not analysed yet",
    "情感得分": "Score",
    "强度": "Intensity",
    "情绪": "Emotions",
    "判断依据": "Why",
    "方面情感": "Aspects",
    "紧急原因": "Urgency reasons",
    "更正分析": "Correct the analysis",
    "已保存更正, 重新训练时会用到。": "Correction saved; the next retraining learns from it.",
    "方面": "Aspect",
    "删除": "Remove",
    "补充方面": "Add aspect",
    "如: 停车": "e.g. parking",
    "其情感": "its sentiment",
    "保存更正": "Save correction",
    "关键词": "Keywords",
    "模型版本": "Model version",
    "创建时间": "Created",
    "未填写": "—",
    # values
    "负面": "Negative",
    "中性": "Neutral",
    "正面": "Positive",
    "紧急": "Urgent",
    "一般": "Normal",
    "建议": "Suggestion",
    "新客户": "New",
    "老客户": "Returning",
    "高价值客户": "High value",
    "产品功能": "Product function",
    "服务质量": "Service quality",
    "价格": "Price",
    "物流": "Logistics",
    "界面/交互": "UI / interaction",
    "其他": "Other",
    "新建": "New",
    "已分诊": "Triaged",
    "已分配": "Assigned",
    "处理中": "In progress",
    "等待客户": "Waiting on customer",
    "已解决": "Resolved",
    "已关闭": "Closed",
    "已重开": "Reopened",
    "已合并(重复)": "Merged (duplicate)",
    "垃圾信息": "Spam",
    "网页表单": "Web form",
    "二维码": "QR code",
    "邮件": "Email",
    "文件导入": "File import",
    "天猫": "Tmall",
    "京东": "JD",
    "美团": "Meituan",
    "大众点评": "Dianping",
    "问卷": "Survey",
    "在线客服": "Live chat",
    "电话": "Phone",
    "门店": "Store",
    "商品页": "Product page",
    # touchpoints
    "新建触点": "New touchpoint",
    "名称": "Name",
    "类型": "Kind",
    "链接标识 (可选)": "Slug (optional)",
    "留空则自动生成": "Generated if left empty",
    "创建": "Create",
    "公开链接": "Public link",
    "反馈数": "Feedback",
    "打印二维码": "Print QR",
    "下载 SVG": "Download SVG",
    "还没有触点。创建一个门店或商品页, 即可获得专属反馈链接和二维码。": "No touchpoints yet. Create a store or product page to get its feedback link and QR code.",
    "触点已创建": "Touchpoint created",
    "扫码反馈": "Scan to give feedback",
    "您的意见让我们做得更好": "Your feedback helps us improve",
    "打印": "Print",
    # import
    "导入反馈": "Import feedback",
    "上传 CSV 或 XLSX 文件 (UTF-8、UTF-8 BOM、GBK/GB18030 均可自动识别)。": "Upload a CSV or XLSX file (UTF-8, UTF-8 with BOM and GBK/GB18030 are detected).",
    "文件": "File",
    "来源渠道": "Source channel",
    "自动识别": "Detect automatically",
    "开始导入": "Start import",
    "正在上传…": "Uploading…",
    "正在处理…": "Processing…",
    "导入完成": "Import finished",
    "总行数": "Rows",
    "新增": "Created",
    "已存在": "Already stored",
    "被拒绝": "Rejected",
    "文件编码": "Encoding",
    "列映射": "Column mapping",
    "行号": "Line",
    "原因": "Reason",
    "所有行都已导入, 没有被拒绝的行。": "Every row was imported; none were rejected.",
    "导入失败": "Import failed",
    "请选择要导入的文件": "Choose a file to import",
    # public form
    "意见反馈": "Feedback",
    "提交反馈": "Send feedback",
    "请告诉我们您遇到的问题或建议": "Tell us what happened or what we could do better",
    "请选择": "Choose",
    "整体评分": "Overall rating",
    "您希望如何称呼": "How should we address you",
    "手机号或邮箱": "Phone or email",
    "仅用于回复您的反馈, 不会公开。": "Used only to reply to you; never published.",
    "您期望我们怎么解决?": "How would you like us to resolve it?",
    "同意公开引用我的反馈": "You may quote my feedback publicly",
    "感谢您的反馈": "Thank you for your feedback",
    "您的反馈编号": "Your feedback number",
    "我们会尽快处理。如留下了联系方式, 处理进展会通知您。": "We will look into it soon. If you left contact details, we will keep you posted.",
    "再提交一条": "Send another",
    "请填写反馈内容": "Please describe your feedback",
    "反馈内容最多 10,000 字": "Feedback may have at most 10,000 characters",
    "请填写有效的手机号或邮箱": "Enter a valid phone number or email",
    "请从列表中选择问题类型": "Choose a problem type from the list",
    "评分应为 1–5 星": "Rating must be 1–5 stars",
    "内容过长": "Too long",
    "请检查以下标红的内容": "Please check the fields marked in red",
    "必填": "Required",
    "选填": "Optional",
    "星": "stars",
    # errors
    "页面不存在": "Page not found",
    "您访问的页面不存在或已被移除。": "The page you asked for does not exist or was removed.",
    "该反馈链接无效或已停用。请确认二维码或链接是否正确, 也可以直接通过下面的通用表单提交反馈。": "This feedback link is invalid or no longer active. Check the QR code or link, or use the general form below.",
    "前往通用反馈表单": "Open the general feedback form",
    "请求无效": "Invalid request",
    "请求参数有误, 请检查链接后重试。": "The request parameters are invalid; check the link and try again.",
    "页面已过期或请求来源无效 (CSRF 校验失败), 请刷新页面后重试。": "The page expired or the request did not come from this site (CSRF check failed). Reload the page and try again.",
    "无权访问": "Access denied",
    "出错了": "Something went wrong",
    "返回首页": "Back to start",
}


def resolve_lang(request: Request) -> str:
    """The UI language: `?lang=` (remembered in the session), else the session's, else zh-CN."""
    asked = request.query_params.get("lang")
    has_session = "session" in request.scope
    if asked in LANGUAGES:
        if has_session:
            request.session["lang"] = asked
        return asked
    stored = request.session.get("lang") if has_session else None
    return stored if stored in LANGUAGES else DEFAULT


def translator(lang: str) -> Callable[..., str]:
    """A `_()` for templates: zh-CN text in, the text in `lang` out; `{name}` placeholders filled from kwargs."""

    def _(text: str, **kwargs: object) -> str:
        out = EN.get(text, text) if lang == "en" else text
        return out.format(**kwargs) if kwargs else out

    return _


def localize_message(message: str, lang: str) -> str:
    """Pick one side of a product error message written as "中文 / English"."""
    zh, sep, en = message.partition(" / ")
    if not sep:
        return message
    return en[:1].upper() + en[1:] if lang == "en" else zh
