"""HTTP layer: each module ends with `default_handlers`; they are joined here, the API 404 last."""

from handlers import admin, api, base, console, h5, notifications, projects_admin, staff_admin, wechat

default_handlers = [
    *base.default_handlers,
    *wechat.default_handlers,
    *h5.default_handlers,
    *notifications.default_handlers,
    *admin.default_handlers,
    *projects_admin.default_handlers,
]
default_handlers += api.default_handlers
default_handlers += [*staff_admin.default_handlers, *console.default_handlers]
default_handlers.append((r"/api/.*", base.NotFoundAPIHandler))
