"""The booking conversation: starting a booking form, progress queries, cancellation, rating, proxy binding."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from bot import ratings
from bot.bookings.dateparse import month_day
from bot.bookings.form import BACK, CHOICE_STEPS, QUIT, VALUE_STEPS, BookingForm
from bot.bookings.invites import InviteError, InviteService
from bot.bookings.notices import BookingNotices, rating_choices
from bot.bookings.reminders import BookingReminders
from bot.bookings.service import CANCELLABLE, KIND_LABELS, STATUS_LABELS, Actor, BookingError, BookingService
from bot.bookings.stations import StationDirectory
from bot.bookings.volunteered import details_in
from bot.bookings.workdays import WorkCalendar
from bot.conversation import texts
from bot.conversation.nlu import BOOKING_NUMBER, normalize, rating_of
from bot.conversation.questions import AGREES, asks_or_ends_yes_no, clauses
from bot.handoff.queue import EscalationQueue
from bot.privacy import FieldCipher, mask_text

log = logging.getLogger(__name__)

INVITE = re.compile(r"^(?:绑定|代办员绑定|邀请码)?\s*(YQ[0-9A-Z]{6,10})$", re.IGNORECASE)
MAX_FORM_MEDIA = 5  # photos kept with one booking form
THANKED = re.compile(r"谢谢|感谢|多谢|辛苦")
# A complaint, also in residents' words ("排了一上午队…老火得很", "体验欠佳", "白跑一趟 心累"): passed to staff.
COMPLAINT = re.compile(
    r"投诉|不满意|差评|态度(差|不好)|太慢|迟到|没人管|老火|不舒服|生气|心累|寒心|失望|欠佳|很差|太差|不负责|放.{0,2}鸽子|"
    r"上点心|改进|改善|提速|意见(很|太|好)?大|推来推去|踢皮球|白跑|跑了.{0,3}(趟|回)|没人来|不见人|会谢"
)
PRAISE = re.compile(r"表扬|好得很|感谢|谢谢|点赞|暖心|细心|耐心|热情|给力|好人")

# A rating in words, on the five levels of bot/ratings.py; tried from the strongest wording down, so
# "非常不满意" is 1 before "不满意" is 2 and "满意" is 4. Plain "好的" is an acknowledgement, not a rating.
WORD_LEVELS: list[tuple[int, re.Pattern]] = [
    (
        1,
        re.compile(
            r"非常不满意|很不满意|特别不满意|太不满意|极不满意|太差|很差|非常差|特别差|极差|差劲|垃圾|一塌糊涂|零分|(?<![0-9])0分|一颗星都"
        ),
    ),
    (2, re.compile(r"不满意|不太满意|不咋(个)?样|不好|不行|差评|有点差|比较差|差$|^差|太慢|态度(差|不好)|敷衍")),
    (3, re.compile(r"基本满意|还算满意|比较满意|一般般?|还行|还可以|凑合|马马虎虎|过得去|中规中矩")),
    (
        5,
        re.compile(
            r"非常满意|十分满意|特别满意|太满意|超级满意|非常好|特别好|太好了|好得很|好极了|满分|(?<![0-9])10分|五星|"
            r"非常棒|太棒|超棒|板扎|没得说|没话说|👍👍|💯"
        ),
    ),
    (4, re.compile(r"满意|很好|挺好|蛮好|不错|好评|点赞|点个赞|棒|👍|可以的|辛苦了")),
]


def complains(text: str) -> bool:
    """Does the message complain, and not praise ("态度好得很 跑了好几趟 要表扬她": the trips were the proxy's)?"""
    return COMPLAINT.search(text) is not None and not PRAISE.search(text) and (words_rating(text) or 0) < 4


def words_rating(text: str) -> int | None:
    """The level a resident's words give (满意 -> 4, 非常好 -> 5, 不满意 -> 2 ...), or None."""
    t = normalize(text)
    for score, pattern in WORD_LEVELS:
        if pattern.search(t):
            return score
    return None


# Taking up a paused form: "继续预约", "接着约", "继续".
RESUME = re.compile(r"^(继续|接着)(预约|约|填|办)?(吧|嘛|哈)?$")


# A day offered as a short yes-no question ("明天上午可以不", "星期三得不得").
PROPOSES_DAY = re.compile(r"^.{0,10}?(可以|行|得不得|要得|方便)(不|吗|么|不嘛)?[?？。!！]*$")


def offers_day(text: str) -> bool:
    """Does a (normalised) message state rather than ask? "我妹妹下周三上午拿材料过去" and "明天上午可以不" offer a day;
    "明天能办吗" asks, and "明天还落不落雨", "明天有雨没", "天气预报说今天晚上还要下 是不是真的哦" ask about the weather."""
    # ... in any clause: "明天下雨不 我苞谷还在坝子头晒起的" asks first and explains after.
    parts = clauses(text) or [text]
    return PROPOSES_DAY.match(text) is not None or not any(asks_or_ends_yes_no(c) and not PROPOSES_DAY.match(c) for c in parts)


THANKS = re.compile(r"谢谢|多谢|感谢|谢了|谢啦")
# A message that speaks of cancelling a booking, not only "算了".
CANCEL_NAMED = re.compile(r"取消|撤销|退掉|不要了|不约了|不办了|预约|代办|上门")


class BookingDialog:
    """What residents and proxies say about bookings; the form itself is BookingForm."""

    def __init__(
        self, service: BookingService, stations: StationDirectory, escalations: EscalationQueue, users, invites, index_provider
    ):
        self.service = service
        self.stations = stations
        self.escalations = escalations
        self.users = users
        self.invites = invites
        self.form = BookingForm(service, stations, index_provider)

    # ---- who is talking ----

    async def actor(self, openid: str) -> Actor:
        user = await self.users.find_one({"openid": openid}, {"role": 1, "station": 1})
        if user and user.get("role") == "proxy":
            return Actor("proxy", openid, user.get("station"))
        return Actor("resident", openid)

    def active(self, turn) -> bool:
        return "form" in turn.state or bool(INVITE.match(normalize(turn.text)))

    # ---- a form paused by a question ("等一下 上门要收费吗") and taken up again ----

    def pause(self, turn) -> None:
        """Leave the open form unsent but kept: a later "继续预约", or details such as "那约下周二上午", take it up."""
        turn.remember(paused_form=turn.state.get("form"), form=None, choices=None)

    def resumes(self, turn) -> bool:
        if "paused_form" not in turn.state:
            return False
        text = normalize(turn.text)
        if RESUME.match(text):
            return True
        given = details_in(turn.text, self.service.today())
        return bool(given.phone or given.id_number or given.address or (given.day and offers_day(text)))

    async def resume(self, turn) -> str:
        form = turn.state["paused_form"]
        turn.remember(form=form, paused_form=None)
        if RESUME.match(normalize(turn.text)):
            return "好的，接着预约。\n" + await self.form.repeat_question(turn, await self.actor(turn.openid))
        return await self.continue_form(turn)

    async def start(self, turn, intent: str) -> str:
        kind = "home_visit" if intent == "book_home_visit" else "proxy"
        actor = await self.actor(turn.openid)
        station = None
        if actor.kind == "resident":  # a station whose QR code the resident scanned (bot/bookings/scan.py)
            user = await self.users.find_one({"openid": turn.openid}, {"scanned_station": 1})
            station = self.stations.get((user or {}).get("scanned_station") or "")
        return await self.form.start(turn, kind, actor, station=station["code"] if station else None)

    async def keep_media(self, turn, message) -> str | None:
        """A photo, video or file sent while a booking form is open: its media id is kept with the form (the
        file is fetched and stored with the booking when it is submitted) and the open question asked again.
        None when no form is open."""
        form = turn.state.get("form")
        if form is None:
            return None
        media_id = getattr(message, "media_id", None)
        kept = form.setdefault("media", [])
        if media_id and len(kept) < MAX_FORM_MEDIA and all(m["media_id"] != media_id for m in kept):
            kept.append({"media_id": media_id, "type": message.type, "name": (getattr(message, "title", "") or "")[:60]})
        turn.remember(form=form)
        what = {"image": "照片", "file": "文件"}.get(message.type, "视频")
        saved = f"收到{what}，提交预约后会作为材料附在预约里，工作人员办理时能看到。" if media_id else f"收到{what}。"
        return saved + "\n" + await self.form.repeat_question(turn, await self.actor(turn.openid))

    async def expects(self, turn) -> str:
        """What the open form waits for: "choice" (a numbered list), "name", "item" (which service), or "value"
        (a number, address or date); "question" when a step for a value gets a question that gives none."""
        text = normalize(turn.text)
        if BACK.match(text) or QUIT.match(text):
            return "value"  # "上一步", "取消": the form's own commands, at any step
        step = self.form.step(turn.state["form"], await self.actor(turn.openid))
        says_place = self.form.places.names_a_place(turn.text)
        if step == "station" and says_place:
            return "value"  # the township typed instead of picked ("北闸镇") is the answer
        today = self.service.today()
        given = details_in(turn.text, today)
        if given.day is not None and given.day <= today and THANKS.search(text):
            given.day = None  # "好了，谢谢你们，今天问清楚了": the day the question was answered, no day for staff
        if given.phone or given.id_number or given.address or (offers_day(text) and (says_place or given.day)):
            return "value"  # "地址威信县旧城镇大河村三组 明天上午他都在家" answers the form ahead of its questions
        if step == "confirm" and AGREES.match(text):
            return "value"  # "好的", "要得": yes to the summary, not thanks
        if step in CHOICE_STEPS:
            return "choice"
        if step in VALUE_STEPS and asks_or_ends_yes_no(text):
            return "question"  # "她交了十几年农村养老保险的，那些钱还退得到不" at "身份证号码": no number, a question
        return step if step in ("name", "item") else "value"

    async def continue_form(self, turn) -> str:
        invite = INVITE.match(normalize(turn.text))
        if invite and "form" not in turn.state:
            return await self.bind_proxy(turn, invite.group(1).upper())
        return await self.form.answer(turn, await self.actor(turn.openid))

    # ---- progress, cancel, rating ----

    async def list_open(self, turn, otherwise: Callable[[], str | None] | None = None) -> str:
        """Where the user's (or their station's) bookings stand. otherwise: the reply when there are none and no
        form is waiting, if it gives one ("好久批得下来" about the item under discussion), before "no bookings"."""
        actor = await self.actor(turn.openid)
        number = BOOKING_NUMBER.search(normalize(turn.text).upper())
        if number:
            try:
                bookings = [await self.service.get_for(actor, number.group(1))]
            except BookingError as exc:
                return exc.message
        else:
            bookings = await self.service.list_for(actor)
        if not bookings and turn.state.get("paused_form"):
            # "好久能来" asked in the middle of a form: nothing is booked until the form is sent.
            return "这个预约还没有提交，提交后工作人员会在您选的日期前联系您。"
        if not bookings:
            if otherwise is not None and (reply := otherwise()) is not None:
                return reply
            return "您目前没有办理中的预约。需要时说“预约代办”或“预约上门”。"
        head = "本站的预约：" if actor.kind == "proxy" else "您的预约："
        lines = [head]
        for i, b in enumerate(bookings, 1):
            lines.append(f"{i}. {b['number']} {b['item_name']}（{KIND_LABELS[b['kind']][:2]}）")
            lines.append(f"   {STATUS_LABELS[b['status']]}，预计{month_day(b['due_date'])}前办结")
        lines.append("回复“取消预约”可取消还没开始办理的预约。")
        return "\n".join(lines)

    async def start_cancel(self, turn) -> str:
        if "form" in turn.state:
            turn.remember(form=None)
            return "好的，已退出预约，信息没有提交。"
        actor = await self.actor(turn.openid)
        number = BOOKING_NUMBER.search(normalize(turn.text).upper())
        mine = [b for b in await self.service.list_for(actor, CANCELLABLE) if b["booked_by"] == actor.id]
        if number:
            mine = [b for b in mine if b["number"] == number.group(1)]
        if not mine and THANKED.search(turn.text):
            return texts.THANKS  # "那算了我自己克 谢谢": a goodbye, with nothing booked to cancel
        if not mine and not CANCEL_NAMED.search(turn.text):
            return texts.NEVER_MIND  # "那算了 我自己克": nothing to cancel, nor asked to
        if not mine:
            return "您没有可以取消的预约（已经开始办理的预约请联系工作人员）。"
        options = [b["number"] for b in mine[:5]]
        turn.remember(choices={"kind": "cancel", "options": options})
        if len(options) == 1:
            b = mine[0]
            turn.remember(choices={"kind": "cancel_confirm", "options": ["yes", "no"], "number": b["number"]})
            return f"确定取消预约 {b['number']}（{b['item_name']}）吗？\n1 确定取消\n2 不取消"
        lines = ["要取消哪个预约？请回复数字："]
        lines += [f"{i} {b['number']} {b['item_name']}" for i, b in enumerate(mine[:5], 1)]
        return "\n".join(lines)

    async def pick(self, turn, choices: dict, chosen) -> str:
        actor = await self.actor(turn.openid)
        kind = choices["kind"]
        if kind == "cancel":
            turn.remember(choices={"kind": "cancel_confirm", "options": ["yes", "no"], "number": chosen})
            return f"确定取消预约 {chosen} 吗？\n1 确定取消\n2 不取消"
        if kind == "cancel_confirm":
            turn.remember(choices=None)
            if chosen == "no":
                return "好的，预约保留。"
            try:
                await self.service.transition(choices["number"], "cancel", actor, reason="预约人取消")
            except BookingError as exc:
                return exc.message
            return f"已取消预约 {choices['number']}。"
        if kind == "rating":
            turn.remember(choices=None)
            return await self._record_rating(turn, actor, choices["number"], int(chosen), "")
        return texts.NUMBER_STALE

    async def rate(self, turn) -> str:
        actor = await self.actor(turn.openid)
        score = rating_of(turn.text)
        booking = await self.service.unrated_completed(actor)
        complaint = complains(turn.text)
        if booking is None:
            # A complaint with nothing booked reaches staff, and so does an account that neither praises nor rates
            # ("去卫生院办接种证 等了一上午😩 抱起娃娃手都酸了", "装的扶手是歪的 这样改造有啥用"): thanking a complaint is
            # worse than staff reading it.
            if complaint or not (PRAISE.search(turn.text) or (score or words_rating(turn.text) or 0) >= 3):
                await self.escalations.enqueue(turn.openid, "complaint", turn.text)
                return "很抱歉给您添麻烦了。已转给工作人员跟进，会尽快联系您；也可拨打 12345 反映。"
            return "谢谢您的评价！我们会继续努力。"
        if score is None:
            score = words_rating(turn.text) or (2 if complaint else None)
        if score is None:
            turn.remember(choices=rating_choices(booking["number"]))
            return f"请为预约 {booking['number']}（{booking['item_name']}）打分：回复1-5，5分最满意。"
        return await self._record_rating(turn, actor, booking["number"], score, turn.text)

    async def rate_pending(self, turn) -> str | None:
        """While a rating is asked for, "满意", "非常好 小王很耐心", "不满意 等了半天" are ratings: the level
        from the words, the words kept (masked) as the comment. None when the message is no rating."""
        choices = turn.state.get("choices") or {}
        if choices.get("kind") != "rating":
            return None
        score = rating_of(turn.text) or words_rating(turn.text)
        if score is None:
            return None
        turn.remember(choices=None)
        return await self._record_rating(turn, await self.actor(turn.openid), choices["number"], score, turn.text)

    async def _record_rating(self, turn, actor: Actor, number: str, score: int, comment: str) -> str:
        try:
            await self.service.rate(actor, number, score, comment)
        except BookingError as exc:
            return exc.message
        if ratings.is_complaint(score) or complains(comment or ""):
            await self.escalations.enqueue(turn.openid, "low_rating", mask_text(f"{number} {score}分 {comment}"))
            return f"已记下您的评价：{ratings.label(score)}。很抱歉这次没让您满意，已转给工作人员回访，会尽快联系您。"
        return f"谢谢您的评价（{ratings.label(score)}）！祝您生活愉快。"

    # ---- proxies ----

    async def bind_proxy(self, turn, code: str) -> str:
        try:
            invite = await self.invites.redeem(turn.openid, code)
        except InviteError as exc:
            return str(exc)
        return (
            f"绑定成功！您现在是{self.stations.name_of(invite['station'])}的代办员。\n"
            "说“预约代办”为村民预约，说“查进度”查看本站的预约。"
        )


async def build_booking_services(config, store, notifications, dialogs, escalations, index_provider):
    """Wire bookings, stations, their notices and reminders (called by bot/app.py)."""
    stations = StationDirectory(store.stations)
    await stations.seed_if_empty()
    cipher = FieldCipher(config.data_key)
    notices = BookingNotices(notifications, store, dialogs, cipher, config)
    service = BookingService(store, cipher, WorkCalendar(), stations, notices)
    await service.backfill_search_hashes()
    invites = InviteService(store.invites, store.users, store.limits, stations)
    dialog = BookingDialog(service, stations, escalations, store.users, invites, index_provider)
    return dialog, stations, service, invites, BookingReminders(service, notices)
