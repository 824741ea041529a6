"""Test helpers: constants shared by fixtures and tests, what one test run builds once (the item index,
cheap password hashes), and a WeChat user bound to the test server."""

from __future__ import annotations

import copy
import itertools
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher

from bot.conversation.built_indexes import BuiltIndexes
from bot.simulate import WeChatUser

TOKEN = "test-token"
APPID = "wx1234567890abcdef"
# 43 characters, like a real EncodingAESKey.
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


# The item files parsed once and the index over them built once per test process (read-only; a test
# that edits items gets its own build, and the last few item sets are kept).
BUILT = BuiltIndexes(keep=4)
# How long a test waits for `python -m bot` to listen. It listens once its understanding is built (bot/__main__.py,
# from the model cache): 60-90 s beside the other test worker on a 2-core machine, which these tests must not measure.
SERVER_START_SECONDS = 240
# Real argon2id at its smallest cost: the production parameters cost ~0.4 s of CPU per hash and verify.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_DB_NUMBERS = itertools.count(1)


def shared_lexicon():
    """jieba's dictionary takes most of a second to load: one per test process (it is read-only)."""
    return BUILT.lexicon


def catalog_items() -> list[dict]:
    """The valid items of knowledge_base/data/items, a copy the caller may change."""
    return copy.deepcopy(BUILT.item_files()[0])


def catalog_understander():
    """The Understander over the item files, built once per test process."""
    return BUILT.understander(catalog_items())


def db_name() -> str:
    """A database name no other test of this run uses, even on a shared MongoDB under pytest-xdist."""
    return f"govbot_test_{os.environ.get('PYTEST_XDIST_WORKER', 'gw')}_{next(_DB_NUMBERS)}"


def free_port() -> int:
    """A TCP port nobody listens on right now (for a server the test cannot hand a socket to)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def build_test_services(config, store=None):
    """The production services on `store` (a fresh embedded store by default), with this run's shared
    index and test password hashes."""
    from bot.app import build_services
    from bot.store import Store

    store = store or Store.connect(config.mongodb_uri, config.mongodb_db)
    return await build_services(config, store=store, built=BUILT, password_hasher=TEST_HASHER)


class FakeClock:
    """A clock that moves only when the test moves it, for anything that takes `clock=` (a callable
    returning an aware datetime): tests wait on it instead of sleeping, at no cost and without races.
    It starts at the real time (mongomock applies TTL indexes against the real clock)."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0, **delta) -> datetime:
        self.now += timedelta(seconds=seconds, **delta)
        return self.now


@dataclass
class Server:
    http_server: object
    url: str
    app: object


def user(server: Server, openid: str = "o_resident_1", safe: bool = False) -> WeChatUser:
    return WeChatUser(server.url, openid, TOKEN, APPID, AES_KEY, safe=safe)


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(birth: str = "19480312", area: str = "530602", seq: str = "123") -> str:
    """A valid 18-digit ID number (GB 11643 check digit) for the given birth date."""
    body = area + birth + seq
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS)) % 11]


def home_visit_script(birth: str = "19480312", township: str | None = None) -> list[str]:
    """A daughter books a home visit for her bedridden mother, one message per form step. The address names
    its township (大山包镇), so the form does not ask for it; given `township`, the address leaves it out and
    `township` answers the township question (a name, or a number from its list)."""
    address = "大山包镇大山包村5组12号" if township is None else "新村5组12号"
    return [
        "我妈瘫痪在床，身份证过期了能上门办吗",  # for whom (母亲) is understood: no 给谁办 / TA是您的
        "张桂芬",
        make_id(birth),
        "13812345678",
        address,
        *([township] if township is not None else []),
        next_workday_text(),
    ]


def next_workday_text() -> str:
    """A bookable date as a resident would type it: the next working day after tomorrow."""
    from datetime import timedelta

    from bot.bookings.service import today_in_china
    from bot.bookings.workdays import WorkCalendar

    cal = WorkCalendar()
    day = cal.next_workday(today_in_china() + timedelta(days=1))
    return f"{day.month}月{day.day}日"
