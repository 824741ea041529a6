"""What residents read about the hand-off to staff (Chinese, short, concrete)."""

from bot import ratings

EXIT_HINT = "回复“退出人工”可回到智能助手。"


def queued(position: int, wait_minutes: int | None) -> str:
    ahead = f"您前面还有 {position - 1} 位，" if position > 1 else "您排在第 1 位，"
    wait = f"预计约 {wait_minutes} 分钟有人回复。" if wait_minutes else "工作人员会尽快回复。"
    return f"已为您转接人工服务。{ahead}{wait}\n工作人员会在这里直接回复您，请留意消息。{EXIT_HINT}"


def closed_hours(back: str, hours: str, phone: str) -> str:
    return (
        f"已为您转接人工服务。现在是下班时间（人工服务时间：{hours}），您的消息已留给工作人员，"
        f"{back}上班后会在这里回复您。急事请拨 {phone}。\n{EXIT_HINT}"
    )


def already(position: int | None) -> str:
    if position:
        return f"您已在人工排队中，前面还有 {position - 1} 位，请稍候。{EXIT_HINT}"
    return f"工作人员正在为您服务，直接发消息就可以。{EXIT_HINT}"


def unclaimed(phone: str) -> str:
    return f"抱歉，工作人员都在忙，暂时还没能接您的消息。您仍在排队，有人空出来会马上回复您；着急的话请拨 {phone}。{EXIT_HINT}"


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
