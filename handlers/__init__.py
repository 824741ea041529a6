"""HTTP layer: each module ends with `default_handlers`; they are joined here, the API 404 last."""

from handlers import admin, base, h5, wechat

default_handlers = [*base.default_handlers, *wechat.default_handlers, *h5.default_handlers, *admin.default_handlers]
default_handlers.append((r"/api/.*", base.NotFoundAPIHandler))
