"""The conversation: decides the reply to each message through registries by type, event, menu key and intent."""

from __future__ import annotations

import asyncio
import logging
import pickle
import re
from dataclasses import dataclass, field

from bot.conversation import choices, followup, guide, texts
from bot.conversation.nlu import (
    ASKER_HELPS,
    BOOKED,
    CIRCUMSTANCES,
    GUIDE_FACTS,
    VISIT_COMING,
    Understander,
    Understanding,
    normalize,
    standard,
    visit_matters,
)
from bot.conversation.pinyin import looks_pinyin
from bot.conversation.questions import AGREEING, ASKS_EITHER, YES_NO_ENDING, asks
from bot.conversation.whom import relation_in
from bot.handoff import texts as handoff_texts

log = logging.getLogger(__name__)

# Fallback answers in a row before the bot offers a person.
FAILURES_BEFORE_OFFER = 2
ACCEPT_OFFER = re.compile(rf"^({AGREEING}|要|转|需要|麻烦了?)[的吧啊呀嘛哦!！。.]*$")
NUMBER = re.compile(r"^\s*([0-9]{1,2})\s*[.。号]?\s*$")
# A bare ID or mobile number outside a form: the answer to a form question whose form was lost
# (it expired, or the server restarted). Say so instead of "I cannot answer that".
FORM_ANSWER = re.compile(r"^\s*(?:(?:\+?86)?[\d\s\-]{11,22}[Xx]?|\d{1,2}月\d{1,2}[日号]?)\s*$")
# Asking for a person wins even in the middle of a booking form: the form is dropped, not submitted.
HUMAN_IN_FORM = re.compile(r"人工|真人|客服|找工作人员")
# Asking about the wait for staff, while waiting ("还要等多久", "要等好久才有人").
ABOUT_THE_WAIT = re.compile(r"^(还|我)?要等(多久|好久|多长时间|几分钟)|等.{0,4}(多久|好久)才|还要等|等了(好久|半天|这么久)")
# Items an answer names in full, quoted, that the next message may be about ("见“…”"): a few at most.
POINTED_MAX = 3
# Items discussed before the current one that a message may go back to by a word naming them.
EARLIER_MAX = 3
QUOTED = re.compile(r"[“《]([^”》]{2,40})[”》]")
# In a conversation about an item, a message naming nothing is out of scope only when the classifier is this sure.
CONTEXT_OOS = 0.75
CONTEXT_OOS_WITH_ASPECT = 0.9
# ... and is refused outright, rather than given the item's guide link and a person, only when it is this sure.
CONTEXT_OOS_OUTRIGHT = 0.95
# ... but when the asker opens another matter and names no service, leaning out of scope is enough for both.
CONTEXT_OOS_OTHER_MATTER = 0.5
# A message this short that asks for a part of a guide is a follow-up, never out of scope.
SHORT_FOLLOW_UP = 6
NEARBY = re.compile(r"(附近|最近|离我近|周边|旁边).{0,6}(服务站|服务中心|便民|办事|窗口|代办点|政务)")


def refused(u) -> bool:
    """Out of scope for sure (a rule, or the classifier fairly sure; very sure when the message asks for a part
    of a guide, "一个月好多钱嘛", or asks yes or no, "会不会罚款"): not a follow-up on the current item."""
    text = normalize(u.text)
    if any(p.search(text) for p in (CIRCUMSTANCES, ASKER_HELPS, followup.OTHER_WAY, followup.CANNOT)):
        # "他下不得床 克不了医院 咋个整", "用我的手机帮他刷得不得", "她用的是老年机，刷不了脸": about the item under discussion
        return False
    if u.aspect and len(looks_pinyin(text) or text) <= SHORT_FOLLOW_UP:  # syllables of "duo shao qian"
        return False  # "好多钱", "截止哪天", "微信能交吗": a part of the guide under discussion, whatever the model says
    needed = CONTEXT_OOS_WITH_ASPECT if u.aspect or ASKS_EITHER.search(text) else CONTEXT_OOS
    if opens_other_matter(u):
        needed = CONTEXT_OOS_OTHER_MATTER
    return u.intent == "out_of_scope" and u.guess == "out_of_scope" and u.sure >= needed


def opens_other_matter(u) -> bool:
    """ "顺便问下 成都回水富的大巴还有没得": the asker says a new matter comes, and names no service."""
    return not u.named and followup.ANOTHER_MATTER.match(normalize(u.text)) is not None


@dataclass
class Turn:
    """One message of one user, with the state loaded before and saved after it (only if it changed)."""

    openid: str
    text: str
    state: dict
    understanding: Understanding | None = None
    loaded: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A deep copy to compare with after the turn; pickle makes it several times faster than deepcopy.
        self.loaded = pickle.loads(pickle.dumps(self.state, pickle.HIGHEST_PROTOCOL))

    @property
    def changed(self) -> bool:
        return self.state != self.loaded

    def remember(self, **values) -> None:
        """Set keys of the state; None removes a key. The items discussed before the current one are kept in
        `earlier` (latest first), so "执照那个还是找你们代办吧" can go back to one (followup.earlier_named)."""
        before = self.state.get("item")
        if before and values.get("item", before) not in (before, None):
            earlier = [before, *(c for c in self.state.get("earlier", ()) if c not in (before, values["item"]))]
            self.state["earlier"] = earlier[:EARLIER_MAX]
        for key, value in values.items():
            if value is None:
                self.state.pop(key, None)
            else:
                self.state[key] = value


class Assistant:
    """Answers one WeChat message. Services are injected; nothing here knows about HTTP."""

    def __init__(
        self, *, understander, dialogs, escalations, base_url: str, bookings, stations, handoff=None, on_follow=None, commands=()
    ):
        self._understander = understander  # callable returning the current Understander (rebuilt on edits)
        self.dialogs = dialogs
        self.escalations = escalations
        self.base_url = base_url
        self.bookings = bookings  # bot.bookings.chat.BookingDialog
        self.stations = stations
        self.handoff = handoff  # bot.handoff.desk.HandoffDesk: chats with staff
        # Called with the openid of a new follower, off the reply path (the mini-program learns their unionid).
        self.on_follow = on_follow
        self._background: set[asyncio.Task] = set()
        self._pending_saves: dict[str, asyncio.Task] = {}
        self.by_type = {
            "text": self.on_text,
            "voice": self.on_voice,
            "location": self.on_location,
            "image": self.on_media,
            "video": self.on_media,
            "shortvideo": self.on_media,
            "link": self.on_unsupported,
            "file": self.on_media,
            "event": self.on_event,
        }
        self.by_event = {
            "subscribe": self.on_subscribe,
            "subscribe_scan": self.on_subscribe,
            "click": self.on_click,
        }
        self.by_menu = {
            "MENU_GUIDE": lambda t: texts.MENU_GUIDE,
            "MENU_HUMAN": self.intent_human_agent,
            "MENU_BOOK_PROXY": lambda t: self.intent_book(t, "book_proxy"),
            "MENU_BOOK_HOME": lambda t: self.intent_book(t, "book_home_visit"),
            "MENU_MY_BOOKINGS": self.intent_query_progress,
            "MENU_NEARBY": self.nearby_prompt,
        }
        # Text commands that are not service questions, tried before understanding the message.
        self.by_text = [*commands, (NEARBY, self.nearby_prompt), (FORM_ANSWER, self.form_lost)]  # commands: key projects
        self.by_intent = {
            "ask_item": self.intent_ask_item,
            "out_of_scope": self.intent_ask_item,
            "greeting": lambda t: texts.GREETING,
            "thanks": lambda t: texts.THANKS,
            "human_agent": self.intent_human_agent,
            "book_proxy": lambda t: self.intent_book(t, "book_proxy"),
            "book_home_visit": lambda t: self.intent_book(t, "book_home_visit"),
            "query_progress": self.intent_query_progress,
            "cancel_booking": self.intent_cancel_booking,
            "rate_service": self.intent_rate_service,
        }

    @property
    def understander(self) -> Understander:
        return self._understander()

    def guide_url(self, code: str) -> str:
        return f"{self.base_url}/guide/{code}"

    # ---- entry point ----

    async def answer(self, message) -> str | None:
        if self.handoff is not None:
            routed = await self.handoff.intercept(message, self.answer_while_waiting)
            if routed is not None:  # with staff: forwarded, the bot stays quiet ("") or confirms the exit
                return routed
        handler = self.by_type.get(message.type)
        if handler is None:
            return None  # unknown types get "success"
        return await handler(message)

    async def answer_while_waiting(self, openid: str, text: str) -> str | None:
        """A service question (or a number picking an aspect of the item just shown) asked while waiting for
        staff, or thanks: the bot's answer, which the desk marks as the assistant's. None for anything else."""
        state = await self.dialogs.get(openid)
        number = NUMBER.match(normalize(text))
        if number and (state.get("choices") or {}).get("kind") in ("items", "aspects"):
            return await self._with_turn(openid, text, lambda turn: self.pick(turn, int(number.group(1))))
        if ABOUT_THE_WAIT.search(normalize(text)):
            return None  # "还要等多久": the queue, not the time the item last shown takes
        u = self.understander.understand(text)
        if u.intent == "thanks":
            return texts.WELCOME_WHILE_WAITING  # "好的 麻烦了": courtesy answered; the message still reaches staff
        if u.intent != "ask_item":
            return None
        if u.result.confident:
            return await self._with_turn(openid, text, lambda turn: self.show_item(turn, u.result.best.code, u.aspect))

        def unsure(turn: Turn) -> str | None:
            # "残疾人证怎么办": the same "which one" list as outside the queue, not silence; nothing to offer -> None
            turn.understanding = u
            reply = self.intent_ask_item(turn)
            return None if reply in (texts.DONT_KNOW, texts.ASK_WHICH_ITEM) else reply

        return await self._with_turn(openid, text, unsure)

    async def on_event(self, message) -> str | None:
        handler = self.by_event.get((getattr(message, "event", "") or "").lower())
        return await handler(message) if handler else None

    async def on_subscribe(self, message) -> str:
        if self.on_follow is not None:
            task = asyncio.create_task(self.on_follow(message.source))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return texts.WELCOME

    async def on_click(self, message) -> str | None:
        action = self.by_menu.get(getattr(message, "key", "") or "")
        if action is None:
            log.warning("menu key %r has no handler", getattr(message, "key", ""))
            return texts.MENU_GUIDE
        return await self._with_turn(message.source, "", action)

    async def on_unsupported(self, message) -> str:
        return texts.UNSUPPORTED

    async def on_media(self, message) -> str:
        """A photo, video or file: mid-booking it is kept for the booking and the open question asked again."""

        async def media(turn: Turn) -> str:
            kept = await self.bookings.keep_media(turn, message)
            if kept is not None:
                return kept
            if message.type == "file":
                return texts.FILE_RECEIVED.format(name=(getattr(message, "title", "") or "").strip()[:40] or "文件")
            return texts.UNSUPPORTED

        return await self._with_turn(message.source, "", media)

    async def on_voice(self, message) -> str:
        text = (message.recognition or "").strip()
        if not text:
            return texts.VOICE_UNCLEAR
        return await self.converse(message.source, text)

    async def on_text(self, message) -> str:
        return await self.converse(message.source, message.content or "")

    async def on_location(self, message) -> str:
        try:
            lat, lng = float(message.location_x), float(message.location_y)
        except (TypeError, ValueError):
            return texts.LOCATION_UNCLEAR
        return await self.stations.nearest_text(lat, lng)

    async def form_lost(self, turn: Turn) -> str:
        return texts.FORM_LOST

    async def nearby_prompt(self, turn: Turn) -> str:
        lines = ["请点输入框旁的“+”，选“位置”把您的位置发给我，我帮您找最近的服务站。"]
        centre = self.stations.county_centre()
        if centre:
            lines.append(f"也可以到{centre['name']}：{centre['address']}，电话 {centre['phone']}。")
        return "\n".join(lines)

    # ---- conversation ----

    async def converse(self, openid: str, text: str) -> str:
        return await self._with_turn(openid, text, self._converse)

    async def _with_turn(self, openid: str, text: str, action) -> str:
        pending = self._pending_saves.get(openid)
        if pending is not None:
            await asyncio.shield(pending)  # the previous turn's state must be visible to this one
        turn = Turn(openid, text, await self.dialogs.get(openid))
        reply = action(turn)
        if asyncio.iscoroutine(reply):
            reply = await reply
        self.remember_pointed(turn, reply)
        if turn.changed:
            if self.dialogs.instant:  # process memory: no reason to defer
                await self._save(turn)
            else:
                self._save_later(turn)
        return reply

    def remember_pointed(self, turn: Turn, reply: str | None) -> None:
        """Other items the reply names in full within quotes, for the next message only: after 死亡户口注销's answer
        "…签发《居民死亡医学证明（推断）书》（见“…”）", "那个医生能来屋头开不" is about that item, not 家庭医生签约服务."""
        shown = turn.state.get("item")
        quoted = " ".join(QUOTED.findall(reply or ""))  # not the names of numbered choices, nor a card's 【title】
        pointed = [c for c in self.understander.index.named_in_full(quoted) if c != shown][:POINTED_MAX] if quoted else []
        if detour := turn.state.get("detour"):  # an item answered on the way (Assistant.intent_ask_item)
            pointed = [detour, *pointed][:POINTED_MAX]
        turn.remember(pointed=pointed or None, detour=None)

    async def _save(self, turn: Turn) -> None:
        try:
            if turn.state:
                await self.dialogs.set(turn.openid, turn.state)
            else:
                await self.dialogs.delete(turn.openid)
        except Exception:  # noqa: BLE001 - losing context is logged, never fatal
            log.exception("could not save dialog state")

    def _save_later(self, turn: Turn) -> None:
        # A store round trip: written after the reply leaves; the next turn of the same user waits for it.
        async def save():
            try:
                await self._save(turn)
            finally:
                self._pending_saves.pop(turn.openid, None)

        self._pending_saves[turn.openid] = asyncio.ensure_future(save())

    async def _converse(self, turn: Turn) -> str:
        reply = await self._reply(turn)
        self._note_whom(turn)
        return reply

    @staticmethod
    def _note_whom(turn: Turn) -> None:
        """Remember whom the item under discussion is for ("我妈的养老认证咋个弄"), so that a booking of it
        started later ("能上门吗") does not ask again."""
        item, relation = turn.state.get("item"), relation_in(turn.text)
        if relation and item and "form" not in turn.state:
            turn.remember(for_whom={"item": item, "relation": relation})
        elif (turn.state.get("for_whom") or {}).get("item") not in (None, item):
            turn.remember(for_whom=None)

    async def _reply(self, turn: Turn) -> str:
        if self.bookings.active(turn):
            if "form" in turn.state and HUMAN_IN_FORM.search(turn.text):
                turn.remember(form=None, choices=None)
                return await self.intent_human_agent(turn)
            expects = await self.bookings.expects(turn) if "form" in turn.state else "value"
            if expects in ("choice", "name", "item", "question"):
                u = self.understander.understand(turn.text)
                leaves = {
                    "choice": followup.leaves_form,
                    "question": followup.leaves_form,
                    "name": followup.leaves_name_step,
                    "item": followup.leaves_item_step,
                }[expects]
                if leaves(u, turn.state["form"]):
                    # "谢谢", "残疾证也能办不", "我家的牛不吃草" answer no form question: the form is paused, unsent
                    # ("继续预约" takes it up), and its item is the one under discussion ("要带啥" asks about it).
                    booked = (turn.state["form"].get("data") or {}).get("item")
                    self.bookings.pause(turn)
                    on_materials = self.understander.mentions_materials(u, booked)
                    if followup.names_better(u, booked, on_materials) or followup.asks_other(u, booked):
                        turn.remember(item=None)  # a new question, answered on its own
                    else:
                        turn.remember(item=booked or turn.state.get("item"))
                    turn.understanding = u
                    return await self._answer_understood(turn) + "\n" + texts.FORM_LEFT
            return await self.bookings.continue_form(turn)
        if self.bookings.resumes(turn):
            return await self.bookings.resume(turn)
        number = NUMBER.match(normalize(turn.text))
        if number and turn.state.get("choices"):
            return await self.pick(turn, int(number.group(1)))
        level = (
            handoff_texts.rating_level(turn.text) if (turn.state.get("choices") or {}).get("kind") == "handoff_rating" else None
        )
        if level:  # the rating asked after a chat with staff, given in words (满意) rather than a number
            return await self.pick(turn, level)
        if (turn.state.get("choices") or {}).get("kind") == "offer_human" and ACCEPT_OFFER.match(normalize(turn.text)):
            return await self.pick(turn, 1)
        if number:
            # A bare number with no list to answer picks nothing ("3" from a new user).
            return texts.NUMBER_STALE
        rated = await self.bookings.rate_pending(turn)
        if rated is not None:
            return rated
        for pattern, command in self.by_text:
            if pattern.search(turn.text):
                return await command(turn)
        turn.understanding = self.understander.understand(turn.text)
        return await self._answer_understood(turn)

    async def _answer_understood(self, turn: Turn) -> str:
        handler = self.by_intent[followup.intent_in_context(turn.understanding, turn.state.get("item"))]
        reply = handler(turn)
        reply = await reply if asyncio.iscoroutine(reply) else reply
        return self.count_misses(turn, reply)

    def count_misses(self, turn: Turn, reply: str) -> str:
        """After two answers in a row that did not understand the resident, offer a person."""
        if reply not in texts.FAILED_ANSWERS or self.handoff is None:
            turn.remember(misses=None)
            return reply
        misses = turn.state.get("misses", 0) + 1
        if misses < FAILURES_BEFORE_OFFER:
            turn.remember(misses=misses)
            return reply
        turn.remember(misses=None, choices={"kind": "offer_human", "options": ["yes"], "text": turn.text[:200]})
        return handoff_texts.OFFER

    async def pick(self, turn: Turn, number: int) -> str:
        choices = turn.state["choices"]
        options = choices["options"]
        if not 1 <= number <= len(options):
            return f"请回复 1 到 {len(options)} 之间的数字。"
        chosen = options[number - 1]
        if choices["kind"] == "handoff_rating":
            turn.remember(choices=None)
            return await self.handoff.rate(turn.openid, choices["escalation"], int(chosen))
        if choices["kind"] == "offer_human" or (choices["kind"] == "related" and chosen == "human"):
            turn.remember(choices=None)
            return await self.handoff.request(turn.openid, "not_understood", choices.get("text") or turn.text)
        if choices["kind"] in ("items", "related"):
            return self.show_item(turn, chosen)
        if choices["kind"] == "aspects":
            item = self.understander.index.item(choices["item"])
            if item is None:
                turn.remember(choices=None)
                return texts.NUMBER_STALE
            return guide.section(item, chosen, self.guide_url(item["code"]))
        return await self.bookings.pick(turn, choices, chosen)

    def show_item(self, turn: Turn, code: str, aspect: str | None = None) -> str:
        item = self.understander.index.item(code)
        if item is None:
            turn.remember(item=None, choices=None)
            return texts.NUMBER_STALE
        visit = turn.understanding is not None and visit_matters(turn.understanding.text)
        if aspect:
            turn.remember(item=code, choices=None)  # an offer made before ("回复 1 请工作人员回答") is answered by this
            lexicon = self.understander.index.lexicon
            if turn.text and (entry := followup.faq_entry(item, turn.text, lexicon, least=followup.STRONG_FAQ)):
                return guide.faq_answer(item, entry, self.guide_url(code))
            return guide.section(item, aspect, self.guide_url(code), visit=visit)
        turn.remember(item=code, choices={"kind": "aspects", "item": code, "options": [a for a, _ in guide.FOLLOW_UPS]})
        return guide.summary(item, self.guide_url(code), visit=visit)

    def intent_ask_item(self, turn: Turn) -> str:
        u = turn.understanding
        result, aspect = u.result, u.aspect
        current = turn.state.get("item")
        # While an item is under discussion, a message naming no other item is about it ("要登报不",
        # "我儿子能帮我办不"); one that names another item ("那低保呢") is a new question.
        current_item = self.understander.index.item(current) if current else None
        current_name = current_item["name"] if current_item else ""
        # ... but a word its FAQ speaks of does not hold a first choice that was only a guess: "家人们 野猪把奶奶家的洋芋地拱完了
        # 能赔不" after the choices for "tuixiu yao dai sha cailiao" is no question about 公积金's "家人能帮我代办吗".
        guessed = choices.only_guessed(turn.state)
        in_faq = current_item is not None and not guessed and followup.faq_concept(current_item, u.text)
        off_domain = self.outside(u, current)
        on_materials = self.understander.mentions_materials(u, current)
        # What the item's FAQ speaks of is no off-topic remark, whatever the model says ("我们手机用不太来，刷脸总是
        # 不成功" after 养老保险待遇领取资格认证), nor whether a document its guide asks for is needed ("要他儿子的银行卡不"
        # after 丧葬补助金申领); a neighbouring trade's word still is.
        asks_its_document = on_materials and u.aspect == "materials"
        on_current = not off_domain if u.outside is not None else (in_faq or asks_its_document or not refused(u))
        pointed = followup.pointed_to(turn.state, result)  # "那个证明村医能开不" after the answer that named it
        if pointed and on_current and followup.fits_better(result, pointed, current):
            return self.show_item(turn, pointed, aspect)  # ... even though it names nothing
        if on_current and (earlier := followup.earlier_named(u, turn.state, current, current_name)):
            return self.show_item(turn, earlier, aspect)  # "执照那个要好多钱" after 食品经营许可, 执照 asked first
        if on_current and (first := followup.prerequisite(u, current, on_materials)):
            # "那个死亡证明在哪点开" after 死亡户口注销: the certificate is answered, the errand stays under discussion
            # ("我爸能去办吗" is about it), and the certificate is pointed to ("那个医生能来屋头开不").
            reply = self.show_item(turn, first, aspect)
            turn.remember(item=current, choices=None, detour=first)
            return reply
        if followup.about_current(u, current, on_materials, current_name, in_faq) and on_current:
            reply = self.follow_up(turn, current, on_materials)
            if reply is not None:
                return reply
        if off_domain:
            return u.outside.refusal(texts.NOT_OURS)
        if on_current and (away := followup.care_away(u, current_name)):
            return self.show_item(turn, away, aspect)  # matched weakly, but the only service for care elsewhere
        if pointed and on_current:  # not "盐津到水富的车几点有没" after an answer that named 死亡医学证明
            return self.show_item(turn, pointed, aspect)
        kin_alike = choices.theme_kin_named_alike(self.understander.index, u, current_item)
        if result.confident and not kin_alike:
            return self.show_item(turn, result.best.code, aspect)
        if u.intent == "ask_item" and followup.named_best(u) and not kin_alike:  # "能先拿个临时的不": the service it names
            return self.show_item(turn, followup.named_best(u), aspect)
        options = choices.offered(self.understander.index, u, current, current_item)
        if options:
            # "Did you mean" only among candidates the message points at, never three unrelated items.
            # Until a number is picked, follow-ups ("要好多钱") are about the likeliest candidate, named in the answer.
            turn.remember(choices={"kind": "items", "options": options}, item=options[0])
            index = self.understander.index
            lines = [texts.CHOOSE_ITEM] + [f"{i} {index.item(c)['name']}" for i, c in enumerate(options, 1)]
            return "\n".join(lines + [texts.CHOOSE_NONE])
        foreign = u.rule == "out_of_scope"  # "今天天气怎么样": a rule's refusal
        norm = normalize(u.text)
        # A yes-no question ending in 不 ("我用奶奶的手机可以交不") asks as much as one with "吗"; not "罚不罚" or "管不管",
        # which off-topic questions take as often.
        asked = u.aspect is not None or asks(norm) or any(p.search(norm) for p in (ASKS_EITHER, YES_NO_ENDING, followup.CANNOT))
        # "这几天咳得凶 吃点哪样药" while 工伤认定 is discussed is plainly no question about it: refused, not answered with
        # the guide's link as if it were.
        # ... and so is an unnamed question the asker opens as another matter ("对了 你们晓得哪点铺面租金便宜不").
        sure_off = CONTEXT_OOS_OTHER_MATTER if opens_other_matter(u) else CONTEXT_OOS_OUTRIGHT
        plainly_off = not on_current and u.guess == "out_of_scope" and u.sure >= sure_off
        if current_item and u.outside is None and not plainly_off and not foreign and (not u.named or on_materials) and asked:
            # "那边学校不收咋个整" while 转学 is discussed: its guide's link and a person, not a bare "答不上来".
            return self.follow_up(turn, current, on_materials)
        if aspect and u.intent == "ask_item":
            return texts.ASK_WHICH_ITEM
        return texts.DONT_KNOW

    def outside(self, u: Understanding, current: str | None) -> bool:
        """A neighbouring domain's question, unless the item under discussion speaks of it ("利息好多" after
        生源地信用助学贷款)."""
        if u.outside is None:
            return False
        norm = standard(u.text)
        if current and u.aspect in GUIDE_FACTS and not u.named and not self.understander.neighbour_asked(norm):
            return False  # "上了好久能用嘛 娃娃三天两头感冒": a part of the guide asked, the illness is why
        return not current or self.understander.outside(norm, [current]) is not None

    def follow_up(self, turn: Turn, code: str, on_materials: bool) -> str | None:
        """A question about the item under discussion: from its guide, else the guide's link and a person.
        on_materials: the message speaks of a document the item asks for (Understander.mentions_materials)."""
        item = self.understander.index.item(code)
        if item is None:
            turn.remember(item=None)
            return None
        url = self.guide_url(code)
        reply = followup.answer(item, turn.understanding, self.understander.index.lexicon, url, on_materials)
        if reply is not None:
            turn.remember(item=code, choices=None)
            return reply
        index = self.understander.index
        related = followup.related(index, item, turn.text)
        if self.handoff is not None:
            kind = "related" if related else "offer_human"
            turn.remember(choices={"kind": kind, "options": related + ["human"], "text": turn.text[:200]})
        elif related:
            turn.remember(choices={"kind": "items", "options": related})
        return guide.not_in_guide(item, url, [index.item(code)["name"] for code in related])

    async def intent_human_agent(self, turn: Turn) -> str:
        choices = turn.state.get("choices") or {}
        if choices.get("kind") in ("offer_human", "related"):
            # "转人工" accepts the offer made after failed answers, with the question that was not answered
            return await self.pick(turn, len(choices["options"]))
        if self.handoff is not None:
            return await self.handoff.request(turn.openid, "asked", turn.text)
        entry, created = await self.escalations.enqueue(turn.openid, "asked", turn.text)
        return texts.HUMAN_QUEUED if created else texts.HUMAN_ALREADY

    async def intent_book(self, turn: Turn, kind: str) -> str:
        return await self.bookings.start(turn, kind)

    async def intent_query_progress(self, turn: Turn) -> str:
        u, current = turn.understanding, turn.state.get("item")
        # ... though "大概几号能来" asks only of a booked visit
        about_item = (u.aspect == "time" or not BOOKED.search(u.text)) and not re.search(VISIT_COMING, normalize(u.text))
        waiting = u.waiting
        if current and (about_item or waiting) and not (u.named - {current}) and "form" not in turn.state:
            # "交上去好久批得下来" after 低保, with nothing booked: how long the item takes, not "no bookings"; and
            # "啥时候到账" after 一次性经济补助, "他爹也两年莫得音信 这个算不算嘛" after 事实无人抚养: the item's guide
            # (not "我的预约", which asks for the bookings). A case told as handed in and still waiting ("上个月就交上去了
            # 到现在还没消息") is shown how to look up its progress.
            if waiting:
                return await self.bookings.list_open(turn, lambda: self.where_it_stands(current))
            return await self.bookings.list_open(turn, lambda: self.follow_up(turn, current, on_materials=False))
        if "form" not in turn.state and (asked := followup.named_best(u)) is not None and u.result.plausible:
            # "低保 申请 一个月 了 没 消息 到 哪了": the case's service is then under discussion ("一般 审 多久"), and,
            # with nothing booked here, the resident is told how to look up its progress.
            turn.remember(item=asked, choices=None)
            return await self.bookings.list_open(turn, lambda: self.where_it_stands(asked))
        return await self.bookings.list_open(turn)

    def where_it_stands(self, code: str) -> str | None:
        """How to look up the progress of a case of this item handed in at a window (None for an unknown item)."""
        item = self.understander.index.item(code)
        return None if item is None else guide.where_it_stands(item, self.guide_url(code))

    async def intent_cancel_booking(self, turn: Turn) -> str:
        return await self.bookings.start_cancel(turn)

    async def intent_rate_service(self, turn: Turn) -> str:
        return await self.bookings.rate(turn)
