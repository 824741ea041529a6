"""What a resident waiting for staff sees, through the real simulator (`python -m bot.simulate`, a subprocess
posting signed callbacks and reading customer-service messages from the sandbox's outbox): the bot keeps
answering service questions, acknowledges other messages with the queue place and an honest wait, and
says which agent took the chat; out of hours, when staff return and 96128. The session, exactly as the
simulator printed it, is shown as a phone chat and saved as screenshots at 390 and 1280 px."""

from __future__ import annotations

import asyncio
import html
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.console_utils import ARTIFACTS, LAPTOP, PASSWORD, PHONE, ClosedToday, new_page, open_all_day
from tests.utils import AES_KEY, APPID, TOKEN

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"&lt;a href=&quot;([^&]+)&quot;&gt;(.*?)&lt;/a&gt;")


class Simulator:
    """`python -m bot.simulate` in a subprocess: type lines, read what it prints."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc
        self.output = ""
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, server, wechat_api, openid: str, cwd: Path) -> Simulator:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "WECHAT_TOKEN": TOKEN, "WECHAT_APPID": APPID}
        env |= {"WECHAT_AES_KEY": AES_KEY, "PYTHONUNBUFFERED": "1"}
        args = ["-m", "bot.simulate", "--url", server.url, "--openid", openid, "--outbox", wechat_api.url + "/outbox"]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *args, cwd=cwd, env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        sim = cls(proc)
        await sim.wait_for("Type a message")
        return sim

    async def _read(self) -> None:
        while chunk := await self.proc.stdout.read(4096):
            self.output += chunk.decode()

    async def wait_for(self, text: str, after: int = 0, timeout: float = 15.0) -> str:
        for _ in range(int(timeout / 0.05)):
            if text in self.output[after:]:
                return self.output[after:]
            await asyncio.sleep(0.05)
        raise AssertionError(f"the simulator did not print {text!r}; it printed:\n{self.output[after:]}")

    async def say(self, line: str) -> str:
        """Type a line; returns what the simulator printed in answer (up to its next prompt)."""
        start = len(self.output)
        self.proc.stdin.write((line + "\n").encode())
        await self.proc.stdin.drain()
        printed = await self.wait_for("\n> ", after=start)
        reply = printed.rsplit("\n> ", 1)[0].removeprefix("> ").strip()
        if reply == "(success: no immediate reply)":  # answered after WeChat's 5 s, by customer-service message
            printed = await self.wait_for("[客服消息] ", after=start)
            reply = re.search(r"\[客服消息\] (.+?)\n> ", printed, re.S)[1].strip()
        return reply

    async def quit(self) -> None:
        self.proc.stdin.write(b"/quit\n")
        await self.proc.stdin.drain()
        await asyncio.wait_for(self.proc.wait(), 10)
        await self.reader


def bubbles(session: list[tuple[str, str]]) -> str:
    """The session as a phone chat: what the resident typed on the right, what the account sent on the left."""
    rows = []
    for who, text in session:
        label = "客服消息（稍后送达）" if who == "later" else ""
        side = "me" if who == "me" else "them"
        tag = f'<span class="label">{label}</span>' if label else ""
        shown = LINK.sub(r'<a href="\1">\2</a>', html.escape(text))  # WeChat shows <a href> in a text as a link
        rows.append(f'<div class="row {side}"><div class="bubble">{tag}{shown}</div></div>')
    return "\n".join(rows)


PAGE = """<!doctype html><meta charset="utf-8"><title>居民看到的对话</title>
<style>
body {{ margin: 0; font-family: "Noto Sans CJK SC", sans-serif; background: #ededed; }}
header {{ background: #f7f7f7; border-bottom: 1px solid #d9d9d9; padding: 12px; text-align: center; font-weight: 600; }}
header small {{ display: block; font-weight: 400; color: #888; font-size: 12px; margin-top: 2px; }}
main {{ max-width: 760px; margin: 0 auto; padding: 12px; }}
.row {{ display: flex; margin: 10px 0; }}
.row.me {{ justify-content: flex-end; }}
.bubble {{ max-width: 78%; padding: 9px 12px; border-radius: 6px; white-space: pre-wrap; line-height: 1.5; font-size: 15px; }}
.me .bubble {{ background: #95ec69; }}
.them .bubble {{ background: #fff; }}
a {{ color: #576b95; text-decoration: none; }}
.label {{ display: block; font-size: 12px; color: #888; margin-bottom: 2px; }}
.note {{ text-align: center; color: #999; font-size: 12px; margin: 14px 0; }}
</style>
<header>为民服务 <small>{title}</small></header>
<main>{body}</main>"""


async def show(browser, session: list[tuple[str, str]], title: str, name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.html"
    path.write_text(PAGE.format(title=html.escape(title), body=bubbles(session)), encoding="utf-8")
    page = await new_page(browser, PHONE)
    await page.goto(path.as_uri())
    ARTIFACTS.mkdir(exist_ok=True)
    for label, size in (("phone", PHONE), ("laptop", LAPTOP)):
        await page.set_viewport_size(size)
        await page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)


async def test_a_waiting_resident_is_answered_kept_informed_and_told_who_took_the_chat(
    server, services, browser, wechat_api, tmp_path
):
    open_all_day(services)
    now = datetime.now(UTC)  # today's chats were answered after 2, 4 and 6 minutes: the wait is estimated from them
    await services.store.escalations.insert_many(
        [
            {"openid": f"o_old{i}", "status": "closed", "created_at": now, "first_response_at": now, "first_response_seconds": s}
            for i, s in enumerate((120, 240, 360))
        ]
    )
    await services.console.accounts.create("a1023", "agent", PASSWORD, must_change=False, created_by="t", name="王丽")
    sim = await Simulator.start(server, wechat_api, "o_grandma", tmp_path)
    session: list[tuple[str, str]] = []

    async def say(line: str) -> str:
        reply = await sim.say(line)
        session.extend([("me", line), ("them", reply)])
        return reply

    queued = await say("转人工")
    assert "排在第 1 位" in queued and "工作人员" in queued
    answer = await say("高龄津贴在哪里办")
    assert answer.startswith("【小助手】") and "高龄津贴" in answer  # the bot keeps answering, marked as the bot
    ack = await say("怎么还没人理我")
    assert "排在第 1 位" in ack and "大约还要 4 分钟" in ack, ack  # place in the queue and an honest wait

    # An agent takes the chat in the console: the resident is told who, by surname and staff number.
    chat = await services.store.escalations.find_one({"openid": "o_grandma"})
    start = len(sim.output)
    await services.console.desk.claim(chat["_id"], "a1023")
    printed = await sim.wait_for("已接待您", after=start)
    [notice] = re.findall(r"\[客服消息\] (.+)", printed)
    assert "王老师（工号 a1023）" in notice
    session.append(("later", notice))
    await sim.quit()
    await show(browser, session, "python -m bot.simulate · 等待人工时", "resident-waiting-sim", tmp_path)


async def test_out_of_hours_a_waiting_resident_learns_when_staff_return_and_what_the_bot_can_do(
    server, services, browser, wechat_api, tmp_path
):
    services.console.desk.hours = ClosedToday()
    sim = await Simulator.start(server, wechat_api, "o_late", tmp_path)
    session: list[tuple[str, str]] = []
    for line in ("转人工", "还有人吗"):
        session.extend([("me", line), ("them", await sim.say(line))])
    queued, ack = session[1][1], session[3][1]
    assert "明天（12月3日 周四）9:00" in queued and "96128" in queued
    assert "9:00" in ack and "96128" in ack
    answer = await sim.say("残疾人证怎么办")
    session.extend([("me", "残疾人证怎么办"), ("them", answer)])
    assert answer.startswith("【小助手】") and "残疾人证" in answer
    await sim.quit()
    await show(browser, session, "python -m bot.simulate · 下班时间", "resident-waiting-after-hours-sim", tmp_path)


async def test_a_villager_books_a_home_visit_with_a_landline_and_a_township_typed_as_it_is_said(
    server, services, browser, wechat_api, tmp_path
):
    """Items 6 and 7 as the resident meets them: the form takes a landline, and a township not on the first
    list (北闸镇, which has no online centre of its own) typed in words goes to its county's centre."""
    from tests.utils import home_visit_script

    script = home_visit_script(township="北闸镇")
    script[3] = "0870-2212345"  # the family's landline, no mobile
    sim = await Simulator.start(server, wechat_api, "o_beizha_sim", tmp_path)
    session: list[tuple[str, str]] = []
    for line in script:
        session.extend([("me", line), ("them", await sim.say(line))])
    replies = {session[i][1]: session[i + 1][1] for i in range(0, len(session), 2)}
    assert "请输入11位手机号码" not in replies["0870-2212345"]
    assert "请直接写乡镇名" in replies[script[4]] and "其他" in replies[script[4]]
    assert "希望哪天办理" in replies["北闸镇"]
    summary = replies[script[-1]]
    assert "昭阳区政务服务中心（北闸镇）" in summary and "0870-***2345" in summary
    done = await sim.say("1")
    session.extend([("me", "1"), ("them", done)])
    assert "预约成功" in done
    await sim.quit()
    booking = await services.store.bookings.find_one({"booked_by": "o_beizha_sim"})
    assert booking["station"] == "ZYQ-000"
    await show(browser, session, "python -m bot.simulate · 预约上门（座机、乡镇）", "resident-home-visit-sim", tmp_path)


async def test_a_daughter_gives_details_ahead_asks_a_question_mid_form_and_the_booking_goes_on(
    server, services, browser, wechat_api, tmp_path
):
    """Issue 18's booking turns as the resident meets them in the simulator: an address and phone given before
    the form asks, a question that pauses the form, and a day given after it that takes the form up again."""
    from tests.utils import make_id, next_workday_text

    day = next_workday_text()
    script = [
        "我妈的养老认证怎么做",
        "她眼睛看不见 没办法刷脸 能上门吗",
        "地址是会仪镇大坪村3组12号 电话打我 13887004512",
        "等一下 上门要收费吗",
        f"那就约{day}上午",
        "杨秀英",
        make_id("19400315"),
    ]
    sim = await Simulator.start(server, wechat_api, "o_ahead_sim", tmp_path)
    session: list[tuple[str, str]] = []
    for line in script:
        session.extend([("me", line), ("them", await sim.say(line))])
    replies = [session[i][1] for i in range(1, len(session), 2)]
    # "我妈的养老认证" said for whom: the form does not ask 给谁办 or the relation.
    assert "养老保险待遇领取资格认证" in replies[0] and "（为您的母亲办）" in replies[1] and "给谁办" not in replies[1]
    assert "上门服务已记下电话、地址。" in replies[2], replies[2]  # the address names its township too
    assert "收费" in replies[3] and "回复“继续预约”可以接着填" in replies[3]
    assert f"已记下希望日期{day}" in replies[4] and "请输入办事人的姓名" in replies[4]
    asked = "\n".join(replies)
    for question in ("联系电话", "上门地址", "哪个乡镇", "希望哪天办理"):
        assert question not in asked, question
    summary = replies[-1]
    assert "请核对预约信息" in summary and "138****4512" in summary and "会仪镇大坪村**" in summary
    done = await sim.say("1")
    session.extend([("me", "1"), ("them", done)])
    assert "预约成功" in done
    await sim.quit()
    await show(browser, session, "python -m bot.simulate · 先说地址电话、中途提问", "resident-details-ahead-sim", tmp_path)
