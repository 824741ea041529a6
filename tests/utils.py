"""Test helpers: constants shared by fixtures and tests, and a WeChat user bound to the test server."""

from __future__ import annotations

from dataclasses import dataclass

from bot.simulate import WeChatUser

TOKEN = "test-token"
APPID = "wx1234567890abcdef"
# 43 characters, like a real EncodingAESKey.
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


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


def home_visit_script(birth: str = "19480312") -> list[str]:
    """A daughter books a home visit for her bedridden mother, one message per form step."""
    return [
        "我妈瘫痪在床，身份证过期了能上门办吗",  # for whom (母亲) is understood: no 给谁办 / TA是您的
        "张桂芬",
        make_id(birth),
        "13812345678",
        "大山包镇大山包村5组12号",
        "3",
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
