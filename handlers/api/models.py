"""The mini-program API's request and response models (pydantic v2). Handlers validate every body and
serialise every response through these, and /api/v1/openapi.json is generated from them: the document
cannot drift from what the handlers accept and return."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    """A response that may grow fields (a guide's structured content)."""

    model_config = ConfigDict(extra="allow")


# ---- errors ----


class ErrorBody(Model):
    status: int
    code: str = Field(description="stable machine code, e.g. token_expired, invalid_field, rate_limited")
    message: str = Field(description="for the resident, in Chinese")
    field: str | None = Field(None, description="the offending field, when there is one")
    request_id: str


class ErrorResponse(Model):
    error: ErrorBody


# ---- accounts ----


class LoginRequest(Model):
    code: str = Field(min_length=1, max_length=128, description="wx.login() code")


class RefreshRequest(Model):
    refresh_token: str = Field(min_length=1, max_length=256)


class PhoneRequest(Model):
    code: str = Field(min_length=1, max_length=128, description="the getPhoneNumber button's one-time code")


class ProxyRequest(Model):
    invite_code: str = Field(min_length=4, max_length=20, description="the station's invitation, e.g. YQ7K3M9P2X")


class ProfileUpdate(Model):
    nickname: str | None = Field(None, max_length=30)
    avatar_url: str | None = Field(None, max_length=500, pattern=r"^https://")


class Profile(Model):
    role: Literal["resident", "proxy"]
    station: str | None
    link: Literal["unionid", "phone", "none"] = Field(
        description="how chat and mini-program bookings are joined: by WeChat unionid, by verified phone, or not yet"
    )
    phone: str | None = Field(description="masked")
    nickname: str | None
    avatar_url: str | None


class Tokens(Model):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    user: Profile | None = None


# ---- catalog ----


class ItemCard(Model):
    code: str
    name: str
    department: str
    theme: str
    audience: str
    summary: str
    proxy: bool
    home_visit: bool


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


class GuideMaterial(Open):
    """One material of a guide (申请材料), with when it is needed."""

    name: str
    form: str
    count: int
    required: bool | Literal["conditional"] = Field(
        description='true: always needed; "conditional": only when `condition` holds; false: optional'
    )
    condition: str | None = Field(None, description="when a conditional material is needed, e.g. 他人代办时提供")
    need: str = Field(description="what to show the resident: 必须提供, the condition, or 非必须，有就带上")
    note: str | None = None


class ItemDetail(Open):
    code: str
    name: str
    department: str
    materials: list[GuideMaterial] = Field(default_factory=list)
    version: int = Field(description="the item's version in the knowledge base")
    updated_at: datetime | None
    guide_url: str


class SearchHit(Model):
    code: str
    name: str
    score: float
    summary: str


class SearchResult(Model):
    query: str
    intent: str
    confident: bool = Field(description="false: show `did_you_mean` rather than one answer")
    terms: list[str] = Field(description="the words of the query to highlight")
    results: list[SearchHit]
    did_you_mean: list[SearchHit]
    message: str | None = Field(description="what the bot would say when it has no answer")


# ---- stations ----


class Station(Open):
    code: str
    name: str
    level: str
    address: str
    phone: str
    hours: str
    lat: float | None = None
    lng: float | None = None


class NearbyStation(Station):
    distance_km: float


class NearbyStations(Model):
    stations: list[NearbyStation]


# ---- bookings ----


class BookingCreate(Model):
    kind: Literal["proxy", "home_visit"]
    item_code: str = Field(max_length=20)
    name: str = Field(max_length=30)
    id_number: str = Field(max_length=30)
    phone: str = Field(max_length=20)
    preferred_date: str = Field(max_length=10, description="YYYY-MM-DD, a working day")
    station: str | None = Field(None, max_length=40, description="township station; a proxy books for their own")
    relation: str | None = Field(None, max_length=10)
    address: str | None = Field(None, max_length=100, description="home visits")
    qualification: str | None = Field(None, max_length=20, description="home visits below the age rule")
    subscribe_templates: list[str] = Field(
        default_factory=list, max_length=3, description="template ids the user accepted in wx.requestSubscribeMessage"
    )


class CancelRequest(Model):
    reason: str | None = Field(None, max_length=200)


class RatingRequest(Model):
    score: int = Field(ge=1, le=5, description="好差评: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    comment: str | None = Field(None, max_length=300)


class HistoryEntry(Model):
    status: str
    at: datetime
    reason: str | None


class Person(Model):
    name: str
    relation: str
    id: str
    phone: str


class ItemRef(Model):
    code: str
    name: str


class Material(Model):
    id: str
    material: str
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime


class Booking(Model):
    number: str
    kind: str
    item: ItemRef
    status: str
    status_label: str
    beneficiary: Person
    station: str
    station_name: str
    preferred_date: str
    due_date: str
    on_time: bool | None
    rating: int | None
    history: list[HistoryEntry]
    can_cancel: bool
    can_rate: bool
    materials: list[Material] = Field(default_factory=list)
    required_materials: list[str] = Field(
        default_factory=list,
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


class BookingForm(Model):
    kind: str
    kind_label: str
    item: ItemRef
    offered: bool
    refusal: str | None
    needs_address: bool
    needs_station: bool
    relations: list[str]
    home_visit_min_age: int | None
    qualifications: list[Qualification]
    stations: list[StationChoice]
    earliest_date: str
    max_days_ahead: int
    subscribe_templates: list[str] = Field(description="template ids to ask for with wx.requestSubscribeMessage")


class MaterialList(Model):
    materials: list[Material]
