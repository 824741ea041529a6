"""Client addresses behind a reverse proxy: forwarding headers believed only from BOT_TRUSTED_PROXIES.

Tornado's `xheaders=True` believes X-Real-IP from anyone, so a client could pick the address every
per-address throttle and the audit log see. Here the peer's own address stands unless the peer is a
trusted proxy; then X-Real-IP (which the proxy overwrites) is used, else the right-most X-Forwarded-For
entry that is not itself a trusted proxy, and X-Forwarded-Proto sets the scheme (Secure cookies).
The request is rewritten before any handler runs, so throttles, audit rows and logs agree.
"""

from __future__ import annotations

import ipaddress

from tornado import web


def _address(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


class TrustedProxies:
    def __init__(self, networks: tuple[str, ...] | list[str]):
        self.networks = [ipaddress.ip_network(n, strict=False) for n in networks]

    def trusted(self, address) -> bool:
        return address is not None and any(address in net for net in self.networks)

    def apply(self, request) -> None:
        if not self.networks or not self.trusted(_address(request.remote_ip or "")):
            return
        client = _address(request.headers.get("X-Real-IP", ""))
        if client is None:
            hops = [_address(h) for h in request.headers.get("X-Forwarded-For", "").split(",")]
            client = next((h for h in reversed(hops) if h is not None and not self.trusted(h)), None)
        if client is not None:
            request.remote_ip = str(client)
        proto = request.headers.get("X-Forwarded-Proto", "").strip().lower()
        if proto in ("http", "https"):
            request.protocol = proto


class Application(web.Application):
    """tornado.web.Application that settles the client address of each request before routing it."""

    def __init__(self, handlers=None, *, trusted_proxies=(), **settings):
        super().__init__(handlers, **settings)
        self.proxies = TrustedProxies(trusted_proxies)

    def find_handler(self, request, **kwargs):
        self.proxies.apply(request)
        return super().find_handler(request, **kwargs)
