"""Generated malformed input against the callback and the admin API, through the real server: never a 5xx.

Inputs come from Hypothesis with a fixed seed (derandomize) and a fixed count, so a run is repeatable and
bounded; they are generated first and then sent, because the server fixture lives in the event loop.
"""

from __future__ import annotations

import itertools
import json
import time

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from tornado.httpclient import AsyncHTTPClient

from bot.simulate import sign
from tests.test_bookings import ADMIN
from tests.utils import TOKEN

CALLBACKS = 1500
ADMIN_REQUESTS = 800
_nonces = itertools.count(10**9)


def generate(strategy, count: int) -> list:
    found = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value):
        found.append(value)

    collect()
    return found


text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
odd_number = st.one_of(st.integers(min_value=-(2**80), max_value=2**80).map(str), text, st.just("1e309"), st.just("nan"))
field_value = st.one_of(text, odd_number, st.sampled_from(["<b>x</b>", "]]>", "<![CDATA[x]]>", "&amp;", "&#0;", "<a/>"]))
msg_type = st.sampled_from(["text", "voice", "location", "event", "image", "link", "", "unknown", "<x/>"])
FIELDS = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "Recognition",
    "Event",
    "EventKey",
    "Location_X",
    "Location_Y",
    "Label",
]


@st.composite
def callback_xml(draw) -> bytes:
    fields = {
        "ToUserName": "gh_fuzz",
        "FromUserName": f"o_fuzz_{draw(st.integers(0, 40))}",
        "CreateTime": str(int(time.time())),
        "MsgType": draw(msg_type),
        "Content": "你好",
        "MsgId": str(draw(st.integers(1, 2**40))),
    }
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
        fields[name] = draw(field_value)
    wrap = draw(st.booleans())
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" if wrap else f"<{k}>{v}</{k}>" for k, v in fields.items())
    xml = f"<xml>{inner}</xml>".encode()
    cut = draw(st.one_of(st.none(), st.integers(0, len(xml))))  # truncated or garbage-appended bodies
    if cut is not None:
        xml = xml[:cut] + draw(st.binary(max_size=20))
    return xml


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)
admin_request = st.tuples(
    st.sampled_from(["GET", "POST"]),
    st.sampled_from(
        [
            "bookings",
            "bookings?limit={}",
            "bookings?cursor={}",
            "bookings?status={}",
            "bookings?number={}",
            "bookings/SM2026120200{}",
            "bookings/DB202612020001/{}",
            "bookings/SM202612020001/reject",
            "invites",
            "{}",
        ]
    ),
    text.map(lambda t: t.replace("/", "").replace("?", "").replace("#", "")[:20]),
    st.one_of(json_value.map(json.dumps), st.binary(max_size=80), st.just("[" * 3000)),
)


async def test_generated_callbacks_never_get_a_5xx(server):
    client = AsyncHTTPClient()
    statuses = {}
    for body in generate(callback_xml(), CALLBACKS):
        ts, nonce = str(int(time.time())), str(next(_nonces))
        url = f"{server.url}/wechat?signature={sign(TOKEN, ts, nonce)}&timestamp={ts}&nonce={nonce}"
        r = await client.fetch(url, method="POST", body=body, raise_error=False, request_timeout=10)
        assert r.code < 500, (body, r.code, r.body[:200])
        statuses[r.code] = statuses.get(r.code, 0) + 1
    assert statuses.get(200, 0) > 50 and statuses.get(400, 0) > 50  # both paths were exercised
    assert (await client.fetch(f"{server.url}/healthz", raise_error=False)).code == 200


async def test_generated_admin_requests_never_get_a_5xx(server):
    from urllib.parse import quote

    client = AsyncHTTPClient()
    for method, path, part, body in generate(admin_request, ADMIN_REQUESTS):
        url = f"{server.url}/api/v1/admin/{path.format(quote(part))}"
        r = await client.fetch(
            url, method=method, body=body if method == "POST" else None, headers=ADMIN, raise_error=False, request_timeout=10
        )
        assert r.code < 500, (method, url, body, r.code, r.body[:200])
        assert r.headers["Content-Type"].startswith("application/json") or r.code == 404
    assert (await client.fetch(f"{server.url}/healthz", raise_error=False)).code == 200
