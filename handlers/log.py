"""Request logging that never writes signatures, tokens, codes or personal data into the log."""

from __future__ import annotations

import logging
import re

access_log = logging.getLogger("tornado.access")

# Query parameters whose values are secrets or personal data.
SCRUBBED = re.compile(
    r"((?:^|[?&])(?:signature|msg_signature|echostr|nonce|openid|access_token|token|code|secret|js_code|id_number|phone)=)[^&]*",
    re.IGNORECASE,
)


def scrub(uri: str) -> str:
    return SCRUBBED.sub(r"\1[hidden]", uri) if "?" in uri else uri


def log_request(handler) -> None:
    """Tornado `log_function`: level by status, scrubbed URI, request id."""
    status = handler.get_status()
    if status < 400:
        level = logging.DEBUG if handler.request.uri.startswith("/healthz") else logging.INFO
    elif status < 500:
        level = logging.WARNING
    else:
        level = logging.ERROR
    if not access_log.isEnabledFor(level):
        return  # nothing to format: the hot path pays for a line only when one is written
    request_id = getattr(handler, "request_id", "-") if hasattr(handler, "settings") else "-"
    rejection = getattr(handler, "rejection", None)
    access_log.log(
        level,
        "%d %s %s %.1fms [request %s]%s",
        status,
        handler.request.method,
        scrub(handler.request.uri),
        1000.0 * handler.request.request_time(),
        request_id,
        f" rejected: {rejection}" if rejection else "",
    )
