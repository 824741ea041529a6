"""Request logging that never writes signatures, tokens, codes or personal data into the log."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

from bot.privacy import mask_text

access_log = logging.getLogger("tornado.access")

# Query parameters whose values are secrets or personal data.
SCRUBBED = re.compile(
    r"((?:^|[?&])(?:signature|msg_signature|echostr|nonce|openid|access_token|token|code|secret|js_code|id_number|phone)=)[^&]*",
    re.IGNORECASE,
)


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def scrub(uri: str) -> str:
    """The URI for a log line: secret parameters hidden, then path and query decoded and masked like stored
    text (a desk search `q=530602…` or `q=１３９…` shows as 5306**********0429), control characters escaped."""
    hidden = SCRUBBED.sub(r"\1[hidden]", uri) if "?" in uri else uri
    if "%" not in hidden and "+" not in hidden and not any(c.isdigit() for c in hidden):
        return hidden
    decoded = unquote_plus(hidden, errors="replace")
    return CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", mask_text(decoded))


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
