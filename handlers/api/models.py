"""The mini-program API's request and response models (pydantic v2). Handlers validate every body and
serialise every response through these, and /api/v1/openapi.json is generated from them: the document
cannot drift from what the handlers accept and return.

Times: `…_at` fields are instants in ISO 8601 with China time's offset (`2026-12-03T14:05:09.123+08:00`,
milliseconds); `…_date` fields are calendar days in China (`YYYY-MM-DD`), as a resident reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from bot.bookings.fields import RELATIONS
from bot.bookings.service import KIND_LABELS, STATUS_LABELS
from bot.conversation.nlu import INTENTS
from knowledge_base.catalog import (
    CASE_TYPES,
    ITEM_TYPES,
    LEVELS,
    LIMIT_UNITS,
    MATERIAL_FORMS,
    MATERIAL_SOURCES,
    REVIEW_STATUSES,
    SCOPES,
)

CHINA = timezone(timedelta(hours=8))


def china_time(at: datetime) -> str:
    """An instant as China time with milliseconds (MongoDB keeps milliseconds; stored times are UTC)."""
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at.astimezone(CHINA).isoformat(timespec="milliseconds")


Instant = Annotated[
    datetime,
    PlainSerializer(china_time, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-12-03T14:05:09.123+08:00"]}),
]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Stored(BaseModel):
    """A response read from stored data that may carry more fields than the API shows: those are dropped."""

    model_config = ConfigDict(extra="ignore")


# ---- enums (from the domain's own lists, so the document follows them) ----

BookingKind = Literal[tuple(KIND_LABELS)]
BookingStatus = Literal[tuple(STATUS_LABELS)]
BookingChannel = Literal["chat", "miniprogram"]
Role = Literal["resident", "proxy"]
TemplateKind = Literal["booking_status", "visit_reminder", "rating_request"]
ErrorCode = Literal[
    # 400
    "bad_request",
    "invalid_json",
    "invalid_field",
    "unknown_field",
    "invalid_query",
    "multipart_invalid",
    "body_missing",
    "code_invalid",
    "content_rejected",
    "booking_invalid",
    "idempotency_key_required",
    "invite_invalid",
    "phone_unsupported",
    "file_missing",
    "file_empty",
    "file_corrupt",
    "material_missing",
    # 401
    "token_missing",
    "token_invalid",
    "token_expired",
    "token_revoked",
    "refresh_invalid",
    # 403
    "forbidden",
    "proxy_only",
    "user_blocked",
    # 404
    "not_found",
    "no_such_endpoint",
    "item_not_found",
    "station_not_found",
    # 405
    "method_not_allowed",
    # 409
    "already_proxy",
    "booking_closed",
    "booking_limit",
    "idempotency_conflict",
    "status_conflict",
    "too_many_files",
    # 413, 415
    "body_too_large",
    "file_too_large",
    "file_type",
    # 429
    "rate_limited",
    "wechat_rate_limited",
    "upload_quota",
    # 5xx
    "error",
    "file_damaged",
    "wechat_unavailable",
]

# Formats of booking fields, checked here and again (with the chat's messages) by bot/bookings.
ITEM_CODE = r"^[A-Z]{2,4}-[0-9]{3}$"
ID_NUMBER = r"^[0-9]{17}[0-9Xx]$"
MOBILE = r"^1[0-9]{10}$"
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
STATION_CODE = r"^[A-Za-z0-9_-]{1,40}$"
TEMPLATE_ID = r"^[A-Za-z0-9_-]{1,128}$"
TemplateId = Annotated[str, Field(pattern=TEMPLATE_ID)]
# 本人 (the resident themselves) or, when a proxy books, 居民 (a villager); else the family relation.
Relation = Literal["本人", "居民", *RELATIONS]


# ---- errors ----


class ErrorBody(Model):
    status: int = Field(ge=400, le=599)
    code: ErrorCode = Field(description="stable machine code for the program to act on")
    message: str = Field(description="for the resident's screen, plain Chinese")
    field: str | None = Field(description="the form field (or query parameter, header) to highlight, when there is one")
    request_id: str


class ErrorResponse(Model):
    error: ErrorBody


# ---- accounts ----


class LoginRequest(Model):
    code: str = Field(
        min_length=1, max_length=128, description="wx.login() code; in the dev sandbox `dev:<name>` is always the same user"
    )


class RefreshRequest(Model):
    refresh_token: str = Field(min_length=1, max_length=256)


class PhoneRequest(Model):
    code: str = Field(
        min_length=1,
        max_length=128,
        description="the getPhoneNumber button's one-time code; in the dev sandbox `dev-phone:<11 digits>`",
    )


class ProxyRequest(Model):
    invite_code: str = Field(min_length=4, max_length=20, description="the station's invitation, e.g. YQ7K3M9P2X")


class ProfileUpdate(Model):
    nickname: str | None = Field(None, min_length=1, max_length=30, description='from <input type="nickname">')
    avatar_url: str | None = Field(
        None,
        max_length=500,
        pattern=r"^https://[^\s]+$",
        description="an https URL. chooseAvatar's wxfile:// path exists only on that phone: upload the file with "
        "POST /api/v1/me/avatar instead",
    )


class Profile(Model):
    role: Role
    station: str | None = Field(description="a proxy's station code")
    link: Literal["unionid", "phone", "none"] = Field(
        description="how chat and mini-program bookings are joined: by WeChat unionid, by verified phone, or not yet"
    )
    phone: str | None = Field(description="masked, e.g. 137****5678")
    nickname: str | None
    avatar_url: str | None


class Tokens(Model):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="seconds the access token stays valid")
    refresh_token: str
    refresh_expires_in: int = Field(description="seconds")
    user: Profile | None = Field(None, description="with login; null on refresh")


class SubscriptionRequest(Model):
    accepted: list[TemplateId] = Field(
        min_length=1,
        max_length=3,
        description="template ids the user accepted in wx.requestSubscribeMessage (res[id] == 'accept')",
    )


class Subscriptions(Model):
    recorded: list[str] = Field(description="the accepted ids this server sends; others are ignored")


# ---- catalog ----


class ItemCard(Model):
    code: str
    name: str
    department: str
    theme: str
    audience: str = Field(description="个人, 法人 or 个人/法人")
    summary: str
    proxy: bool = Field(description="may be booked as 代办")
    home_visit: bool = Field(description="may be booked as 上门")


class Facets(Model):
    themes: list[str]
    departments: list[str]
    audiences: list[str]


class CatalogPage(Model):
    items: list[ItemCard]
    page: int
    limit: int
    total: int
    has_more: bool
    facets: Facets


class GuideMaterial(Model):
    """One material of a guide (申请材料), with when it is needed."""

    name: str
    form: Literal[tuple(sorted(MATERIAL_FORMS))]
    count: int = Field(ge=1)
    required: bool | Literal["conditional"] = Field(
        description='true: always needed; "conditional": only when `condition` holds; false: optional'
    )
    condition: str | None = Field(None, description="when a conditional material is needed, e.g. 他人代办时提供")
    need: str = Field(description="what to show the resident: 必须提供, the condition, or 非必须，有就带上")
    source: Literal[tuple(sorted(MATERIAL_SOURCES))]
    note: str | None = None


LimitUnit = Literal[tuple(sorted(LIMIT_UNITS))]


class SpecialStep(Model):
    name: str
    days: int = Field(ge=0)
    unit: LimitUnit
    note: str | None = None


class Question(Model):
    q: str
    a: str


class Review(Model):
    status: Literal[tuple(sorted(REVIEW_STATUSES))]
    reviewer: str | None = None
    date: str | None = Field(None, description="YYYY-MM-DD")
    note: str | None = None


class ItemDetail(Stored):
    """A service item's whole guide (办事指南), every field typed."""

    code: str
    name: str
    item_type: Literal[tuple(sorted(ITEM_TYPES))]
    department: str
    theme: str
    audience: str = Field(description="个人, 法人 or 个人/法人")
    level: Literal[tuple(sorted(LEVELS))]
    proxy: bool
    home_visit: bool
    summary: str
    basis: list[str] = Field(description="设定依据")
    implementing_body: str
    handling_agency: str
    conditions: list[str] = Field(description="受理条件")
    materials: list[GuideMaterial] = Field(description="申请材料")
    process: list[str] = Field(description="办理流程")
    case_type: Literal[tuple(sorted(CASE_TYPES))]
    legal_limit_days: int
    legal_limit_unit: LimitUnit
    promised_limit_days: int
    promised_limit_unit: LimitUnit
    special_steps: list[SpecialStep]
    fee: str
    fee_basis: list[str]
    location: str
    hours: str
    phone: str
    complaint_phone: str
    online: bool
    online_how: str
    visits: int = Field(ge=0, le=2, description="到现场次数")
    result: str
    delivery: list[str]
    progress_query: list[str]
    scope: Literal[tuple(sorted(SCOPES))]
    refusal_cases: list[str]
    remedy: list[str]
    faq: list[Question]
    review: Review
    sample: bool = Field(description="sample content for demonstration, to be replaced by the official catalogue")
    version: int = Field(description="the item's version in the knowledge base")
    updated_at: Instant | None = Field(description="when the item was last edited; null for the seed version")
    guide_url: str = Field(description="the same guide as a web page")


class SearchHit(Model):
    code: str
    name: str
    score: float
    summary: str


class SearchResult(Model):
    query: str
    intent: Literal[INTENTS]
    confident: bool = Field(description="false: show `did_you_mean` rather than one answer")
    terms: list[str] = Field(description="the words of the query to highlight")
    results: list[SearchHit]
    did_you_mean: list[SearchHit]
    message: str | None = Field(description="what to show when there is no answer")


# ---- stations ----


class Station(Stored):
    code: str
    name: str
    level: Literal[tuple(sorted(LEVELS))]
    county: str | None = Field(None, description="the county-level division; absent for the city centre")
    parent: str | None = Field(None, description="code of the centre one level up")
    address: str
    phone: str
    hours: str
    lat: float | None = None
    lng: float | None = None
    proxies: list[str] | None = Field(None, description="a village station's proxies (代办员)")
    windows: int | None = Field(None, description="service windows (a centre)")
    departments: int | None = Field(None, description="departments present (a centre)")


class NearbyStation(Station):
    distance_km: float


class NearbyStations(Model):
    stations: list[NearbyStation]


# ---- bookings ----


class BookingCreate(Model):
    kind: BookingKind
    item_code: str = Field(pattern=ITEM_CODE, description="an item whose `proxy` (or `home_visit`) is true")
    name: str = Field(min_length=1, max_length=30, description="the person the service is for (办事人)")
    id_number: str = Field(pattern=ID_NUMBER, description="their 18-digit resident ID number (checksum checked)")
    phone: str = Field(pattern=MOBILE, description="a mainland mobile number to reach them")
    preferred_date: str = Field(
        pattern=DAY,
        description="YYYY-MM-DD, a working day from the form's earliest_date on",
        json_schema_extra={"format": "date"},
    )
    station: str | None = Field(
        None, pattern=STATION_CODE, description="a township station of the form; a proxy books for their own"
    )
    relation: Relation | None = Field(
        None, description="one of the form's `relations` (a resident: 本人 or family; a proxy: 居民 or family); default 本人/居民"
    )
    address: str | None = Field(None, max_length=100, description="home visits: where to come")
    qualification: str | None = Field(None, max_length=20, description="home visits below the age rule: a qualification key")
    subscribe_templates: list[TemplateId] | None = Field(
        None, max_length=3, description="template ids the user accepted in wx.requestSubscribeMessage"
    )


class CancelRequest(Model):
    reason: str | None = Field(None, max_length=200, description="why; may be empty")


class RatingRequest(Model):
    score: int = Field(ge=1, le=5, description="好差评: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    comment: str | None = Field(None, max_length=300)


class HistoryEntry(Model):
    status: BookingStatus
    at: Instant
    reason: str | None


class Person(Model):
    name: str = Field(description="masked")
    relation: str
    id: str = Field(description="masked ID number")
    phone: str = Field(description="masked")


class ItemRef(Model):
    code: str
    name: str


class Material(Model):
    id: str
    material: str = Field(description="which required material this is")
    filename: str
    content_type: Literal["image/jpeg", "image/png", "application/pdf"]
    size: int
    uploaded_at: Instant


class Booking(Model):
    number: str
    kind: BookingKind
    channel: BookingChannel = Field(description="where it was booked")
    item: ItemRef
    status: BookingStatus
    status_label: str = Field(description="the status in Chinese, for the screen")
    beneficiary: Person
    station: str
    station_name: str
    preferred_date: date = Field(description="China date")
    due_date: date = Field(description="China date by which the item's promised time limit ends")
    on_time: bool | None = Field(description="completed within the due date; null while open")
    rating: int | None = Field(ge=1, le=5)
    history: list[HistoryEntry]
    can_cancel: bool
    can_rate: bool
    materials: list[Material] = Field(description="in lists: always empty (GET the booking for them)")
    required_materials: list[str] = Field(
        description="the item's materials to bring: always needed ones, and conditional ones with their condition in brackets",
    )


class BookingPage(Model):
    bookings: list[Booking]
    next_cursor: str | None


class Qualification(Model):
    key: str
    label: str


class StationChoice(Model):
    code: str
    name: str
    county: str


class SubscribeTemplate(Model):
    id: str = Field(description="pass to wx.requestSubscribeMessage tmplIds")
    kind: TemplateKind
    title: str = Field(description="what the user is agreeing to hear, for the screen")


class BookingForm(Model):
    kind: BookingKind
    kind_label: str
    item: ItemRef
    offered: bool
    refusal: str | None = Field(description="why this item cannot be booked this way")
    needs_address: bool
    needs_station: bool
    relations: list[str]
    home_visit_min_age: int | None
    qualifications: list[Qualification]
    stations: list[StationChoice]
    earliest_date: date = Field(description="China date")
    max_days_ahead: int
    subscribe_templates: list[str] = Field(
        description="template ids to ask for with wx.requestSubscribeMessage (at most 3): the booking's status, and "
        "for home visits the visit reminder"
    )
    templates: list[SubscribeTemplate] = Field(description="the same ids with what each one is for")


class MaterialList(Model):
    materials: list[Material]
