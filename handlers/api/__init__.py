"""/api/v1/: the mini-program's JSON API (README "Mini-program API"). Each route is written once, as an
OpenAPI path template; the Tornado pattern and the OpenAPI document are both made from it."""

from __future__ import annotations

import re

from tornado import web

from handlers.api import accounts, bookings, catalog, materials
from handlers.api.base import ApiNotFound
from handlers.api.openapi import STATIC, DocsHandler, OpenAPIHandler, build_document

API_VERSION = "1.0.0"
PARAMS = {
    "code": r"[A-Z]{2,4}-\d{3}",
    "station": r"[A-Za-z0-9_-]{1,40}",
    "number": bookings.NUMBER_PATTERN,
    "file_id": r"[A-Za-z0-9_-]{8,40}",
    "avatar": r"[A-Za-z0-9_-]{16,32}",
}

ROUTES = [
    ("/api/v1/login", accounts.LoginHandler),
    ("/api/v1/token/refresh", accounts.RefreshHandler),
    ("/api/v1/logout", accounts.LogoutHandler),
    ("/api/v1/me", accounts.MeHandler),
    ("/api/v1/me/phone", accounts.PhoneHandler),
    ("/api/v1/me/proxy", accounts.ProxyBindHandler),
    ("/api/v1/me/subscriptions", accounts.SubscriptionsHandler),
    ("/api/v1/me/avatar", accounts.AvatarUploadHandler),
    ("/api/v1/avatars/{avatar}", accounts.AvatarHandler),
    ("/api/v1/catalog", catalog.CatalogHandler),
    ("/api/v1/search", catalog.SearchHandler),
    ("/api/v1/items/{code}", catalog.ItemHandler),
    ("/api/v1/stations/nearby", catalog.NearbyStationsHandler),
    ("/api/v1/stations/{station}", catalog.StationHandler),
    ("/api/v1/booking-form", bookings.BookingFormHandler),
    ("/api/v1/bookings", bookings.BookingsHandler),
    ("/api/v1/bookings/{number}", bookings.BookingHandler),
    ("/api/v1/bookings/{number}/cancel", bookings.CancelHandler),
    ("/api/v1/bookings/{number}/rating", bookings.RatingHandler),
    ("/api/v1/bookings/{number}/materials", materials.MaterialsHandler),
    ("/api/v1/bookings/{number}/materials/{file_id}", materials.MaterialHandler),
]


def _params(template: str) -> dict:
    return {name: PARAMS[name] for name in re.findall(r"{(\w+)}", template)}


def _pattern(template: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: f"({PARAMS[m.group(1)]})", template) + "$"


DOCUMENT = build_document([(t, h, _params(t)) for t, h in ROUTES], API_VERSION)

default_handlers = [
    (r"/api/v1/openapi.json", OpenAPIHandler, {"document": DOCUMENT}),
    (r"/api/v1/docs/?", DocsHandler),
    (r"/api/v1/docs/(.+)", web.StaticFileHandler, {"path": str(STATIC)}),
    *[(_pattern(t), h) for t, h in ROUTES],
    (r"/api/v1/(?!admin/).*", ApiNotFound),
]
