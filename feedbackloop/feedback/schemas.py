"""API schemas of the feedback record: create, update and the public (masked) view."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from feedbackloop.feedback.models import CHANNELS, CUSTOMER_TYPES, PROBLEM_TYPES

if TYPE_CHECKING:  # mypy cannot build a Literal from a runtime tuple: to it these are plain strings
    ChannelCode = str
    ProblemType = str
    CustomerType = str
else:  # closed sets as Literal types, so that validation and the OpenAPI document list the allowed values
    ChannelCode = Literal[tuple(CHANNELS)]
    ProblemType = Literal[tuple(PROBLEM_TYPES)]
    CustomerType = Literal[tuple(CUSTOMER_TYPES)]
MAX_CONTENT = 10_000
MAX_SHORT = 200
# Received times the product can compute with: ids, China-time days and SLA deadlines all derive from them,
# and near the calendar's ends (year 1, year 9999) that arithmetic leaves the range of datetime.
EARLIEST_RECEIVED = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_RECEIVED = datetime(2100, 1, 1, tzinfo=UTC)


def representable(value: datetime) -> datetime:
    """A moment that has a UTC form (0001-01-01T00:00+14:00 has none: it is before year 1 in UTC)."""
    if value.tzinfo is None:
        return value
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            "时间换算为 UTC 后超出公元 1–9999 年，请检查日期与时区 / the time is outside years 1–9999 once converted to UTC"
        ) from None
    return value


def plausible_received_at(value: datetime) -> datetime:
    """A received time between 1970 and 2099: anything else is a typo or a placeholder date."""
    moment = representable(value)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if not EARLIEST_RECEIVED <= moment < LATEST_RECEIVED:
        raise ValueError(
            "反馈时间须在 1970-01-01 与 2099-12-31 之间 / received_at must be between 1970-01-01 and 2099-12-31"
        )
    return value


Moment = Annotated[datetime, AfterValidator(representable)]
ReceivedAt = Annotated[datetime, AfterValidator(plausible_received_at)]


class _TextInput(BaseModel):
    """Validation shared by every way a customer's text comes in."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_anywhere(cls, v: Any) -> Any:
        if isinstance(v, str) and "\x00" in v:
            raise ValueError("文本含有空字符（NUL），请去掉后重试 / text contains a NUL character")
        return v

    @field_validator("problem_type", check_fields=False)
    @classmethod
    def _known_problem_type(cls, v: str | None) -> str | None:
        if v is not None and v not in PROBLEM_TYPES:
            raise ValueError(f"未知问题类型 '{v}', 可用: {', '.join(PROBLEM_TYPES)}")
        return v


class FeedbackCreate(_TextInput):
    """One feedback item as a channel submits it."""

    content: str = Field(min_length=1, max_length=MAX_CONTENT, description="反馈内容, 1–10,000 字")
    channel: str = Field(default="api", description="渠道代码: " + ", ".join(CHANNELS))
    external_id: str | None = Field(default=None, max_length=MAX_SHORT)
    touchpoint: str | None = Field(default=None, max_length=100)
    customer_name: str | None = Field(default=None, max_length=100)
    contact: str | None = Field(default=None, max_length=MAX_SHORT)
    customer_type: str | None = Field(default=None, description="new | returning | high_value")
    customer_years: float | None = Field(default=None, ge=0, le=200)
    customer_spend_6m: float | None = Field(default=None, ge=0, le=1e12)
    industry: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    received_at: ReceivedAt | None = None
    occurred: str | None = Field(default=None, max_length=MAX_SHORT)
    problem_type: str | None = None
    problem_type_other: str | None = Field(default=None, max_length=MAX_SHORT)
    product: str | None = Field(default=None, max_length=MAX_SHORT)
    product_version: str | None = Field(default=None, max_length=50)
    module: str | None = Field(default=None, max_length=100)
    expected_solution: str | None = Field(default=None, max_length=MAX_CONTENT)
    rating: int | None = Field(default=None, ge=0, le=10)
    consent_public: bool = False

    @field_validator("external_id")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        # An export with an empty id column means "no id", not one shared id "".
        return v or None

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, v: str) -> str:
        if v not in CHANNELS:
            raise ValueError(f"未知渠道 '{v}'，可用：{', '.join(CHANNELS)} / unknown channel")
        return v

    @field_validator("customer_type")
    @classmethod
    def _known_customer_type(cls, v: str | None) -> str | None:
        if v is not None and v not in CUSTOMER_TYPES:
            raise ValueError(f"未知客户类型 '{v}', 可用: {', '.join(CUSTOMER_TYPES)}")
        return v


class PublicFeedbackCreate(_TextInput):
    """What the public web form (no login) may submit."""

    content: str = Field(min_length=1, max_length=MAX_CONTENT)
    touchpoint: str | None = Field(default=None, max_length=100)
    customer_name: str | None = Field(default=None, max_length=100)
    contact: str | None = Field(default=None, max_length=MAX_SHORT)
    problem_type: str | None = None
    product: str | None = Field(default=None, max_length=MAX_SHORT)
    expected_solution: str | None = Field(default=None, max_length=MAX_CONTENT)
    rating: int | None = Field(default=None, ge=1, le=5)
    consent_public: bool = False


class FeedbackBatch(BaseModel):
    items: list[FeedbackCreate] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _one_text_per_external_id(self) -> FeedbackBatch:
        """Two items with one (channel, external_id) are one item sent twice — unless their texts differ,
        which would silently lose one of them: refuse the batch and name both positions."""
        first: dict[tuple[str, str], int] = {}
        for n, item in enumerate(self.items):
            if not item.external_id:
                continue
            key = (item.channel, item.external_id)
            if key not in first:
                first[key] = n
            elif self.items[first[key]].content != item.content:
                raise ValueError(
                    f"items[{first[key]}] 与 items[{n}] 的渠道和 external_id（{item.external_id}）相同，但内容不同。"
                    f"请给每条反馈各自的 external_id，整批未保存 / items[{first[key]}] and items[{n}] share channel "
                    f"and external_id {item.external_id!r} but differ in content; give each its own external_id. "
                    "Nothing was stored"
                )
        return self


class FeedbackPublic(BaseModel):
    """The record as the API shows it: contact masked."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    external_id: str | None
    channel: str
    touchpoint: str | None
    customer_name: str | None
    contact_masked: str
    customer_type: str
    industry: str | None
    region: str | None
    received_at: datetime
    occurred: str | None
    problem_type: str | None
    product: str | None
    product_version: str | None
    module: str | None
    content: str
    expected_solution: str | None
    rating: int | None
    consent_public: bool
    status: str
    duplicate_of: str | None
    duplicate_kind: str | None
    is_vague: bool
    sentiment: str | None
    urgency: str | None
    analysis: dict[str, Any] | None
    created_at: datetime
    owner_id: int | None = None
    team_id: int | None = None
    priority: str | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    tags: list[str] | None = None


class BatchResult(BaseModel):
    created: list[str]
    existing: list[str]


class FeedbackPage(BaseModel):
    items: list[FeedbackPublic]
    total: int
    page: int
    per_page: int
