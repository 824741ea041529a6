"""/console/: the staff web console (pages, actions, the live-queue WebSocket and its own static assets)."""

from tornado import web

from handlers.console import auth, bookings, chats, items, live, manage, projects, report
from handlers.console.base import STATIC

default_handlers = [
    *auth.default_handlers,
    *chats.default_handlers,
    *manage.default_handlers,
    *live.default_handlers,
    *bookings.default_handlers,
    *items.default_handlers,
    *report.default_handlers,
    *projects.default_handlers,
    (r"/console/static/(.*)", web.StaticFileHandler, {"path": str(STATIC)}),
]
