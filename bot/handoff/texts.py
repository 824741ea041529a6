"""What residents read about the hand-off to staff (Chinese, short, concrete)."""

import re

from bot import ratings

EXIT_HINT = "回复“退出人工”可回到智能助手。"


def queued(position: int, wait_minutes: int | None) -> str:
    ahead = f"您前面还有 {position - 1} 位，" if position > 1 else "您排在第 1 位，"
    wait = f"预计约 {wait_minutes} 分钟有人回复。" if wait_minutes else "工作人员会尽快回复。"
    return f"已为您转接人工服务。{ahead}{wait}\n工作人员会在这里直接回复您，请留意消息。{EXIT_HINT}"


ASSISTANT = "【小助手】"
MEANWHILE = "等待期间，办事问题可以直接问我，比如“高龄津贴在哪里办”，我马上回答；也可以回复“预约代办”。"
# A message within a few minutes of the last full acknowledgement: a short receipt, never silence.
RECEIVED = "【小助手】收到，已转给工作人员，请稍候。"
STILL_QUEUED = "（您仍在排队，工作人员接待后会在这里回复您。）"
# Compound surnames, so that "欧阳明" is 欧阳老师 and not 欧老师.
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "皇甫", "令狐", "东方", "慕容", "夏侯", "尉迟", "公孙", "司徒", "长孙")
CJK = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def closed_hours(back: str, hours: str, phone: str) -> str:
    return (
        f"已为您转接人工服务。现在是下班时间（人工服务时间：{hours}），您的消息已留给工作人员。"
        f"工作人员{back} 起在线，会在这里回复您。\n{MEANWHILE}急事请拨 {phone}。\n{EXIT_HINT}"
    )


def assistant_answer(answer: str) -> str:
    """The bot answering a service question while the resident waits for staff: marked as the bot's."""
    return f"{ASSISTANT}{answer}\n{STILL_QUEUED}"


def waiting_note(position: int, waited_minutes: int, wait_minutes: int | None) -> str:
    """The acknowledgement of a message sent while waiting (working hours): where they stand, honestly."""
    ahead = f"您前面还有 {position - 1} 位" if position > 1 else "您排在第 1 位"
    waited = f"，已等了 {waited_minutes} 分钟" if waited_minutes >= 1 else ""
    if wait_minutes:
        wait = f"按最近的情况，大约还要 {wait_minutes} 分钟。"
    else:
        wait = "最近没有可参考的接待时间，暂时说不准还要多久，工作人员空出来会马上回复。"
    return f"{ASSISTANT}您的消息已转给工作人员，您仍在人工排队中：{ahead}{waited}；{wait}\n{MEANWHILE}{EXIT_HINT}"


def waiting_closed_note(back: str, phone: str) -> str:
    """The acknowledgement of a message sent while waiting out of hours."""
    return (
        f"{ASSISTANT}您的消息已留给工作人员。现在是下班时间，工作人员{back} 起在线，会在这里回复您。"
        f"\n{MEANWHILE}急事请拨 {phone}。"
    )


def agent_label(username: str, name: str = "") -> str:
    """How residents read who took their chat: the surname and the 工号, never the full name."""
    name = (name or "").strip()
    if CJK.match(name):
        surname = name[:2] if name.startswith(COMPOUND_SURNAMES) and len(name) > 2 else name[0]
        return f"{surname}老师（工号 {username}）"
    return f"工号 {username} 的工作人员"


def claimed(label: str) -> str:
    return f"{label}已接待您的咨询，请直接在这里说您的问题。{EXIT_HINT}"


def already(position: int | None) -> str:
    if position:
        return f"您已在人工排队中，前面还有 {position - 1} 位，请稍候。{EXIT_HINT}"
    return f"工作人员正在为您服务，直接发消息就可以。{EXIT_HINT}"


def unclaimed(phone: str) -> str:
    return f"抱歉，工作人员都在忙，暂时还没能接您的消息。您仍在排队，有人空出来会马上回复您；着急的话请拨 {phone}。{EXIT_HINT}"


CHAT_REPLY_NOTICE = "工作人员已回复您在“为民服务助手”的咨询。请打开公众号发任意一条消息，回复就会送到。"
CHAT_REPLY_NOTICE_SHORT = "工作人员已回复，请在公众号发消息查看"

LEFT = "已退出人工服务。有问题随时问我，也可以再回复“人工”找工作人员。"
OFFER = "抱歉，我还是没听懂。要不要转给工作人员？回复 1 转人工，或换个说法再问我。"
NO_THANKS = "好的。请换个说法再问我，比如“身份证丢了怎么补”。"


def rate_request() -> str:
    return "本次人工服务已结束，感谢您的耐心。请为本次服务打分，回复数字：\n" + ratings.menu()


def rated(score: int) -> str:
    if ratings.is_complaint(score):
        return "很抱歉这次没让您满意。已转给工作人员回访，会尽快联系您。"
    return "谢谢您的评价！有问题随时问我。"


def rating_level(text: str) -> int | None:
    """ "非常满意" -> 5 ... "非常不满意" -> 1, for a reply that is just one of the five level names."""
    words = text.strip().strip("。.!！~～ ")
    return {name: score for score, name in ratings.LEVELS.items()}.get(words)
