"""The booking form in chat: one short question at a time, only for what is missing, forgiving.

At any step the user may answer "上一步" (back) or "取消"/"退出" (quit); before creating, a summary
is confirmed and any field can be changed. The form lives in the dialog state, so an abandoned
form expires with it. Domain rules (who qualifies, dates, creating the booking) are in BookingService.
"""

from __future__ import annotations

import re
import secrets
from datetime import date

from bot.bookings.dateparse import describe_day, month_day, parse_day
from bot.bookings.fields import RELATIONS, FieldInvalid, clean_address, clean_name
from bot.bookings.service import KIND_LABELS, Actor, BookingError, BookingRequest, BookingService, NotEligible
from bot.bookings.stations import StationDirectory
from bot.bookings.townships import Township, TownshipList
from bot.bookings.volunteered import Details, details_in
from bot.conversation import followup
from bot.conversation.nlu import normalize
from bot.conversation.questions import AGREES, asks_or_ends_yes_no
from bot.conversation.whom import relation_in
from bot.privacy import (
    InvalidIDNumber,
    mask_address,
    mask_id,
    mask_name,
    mask_phone,
    mask_text,
    parse_id_number,
    parse_landline,
    parse_mobile,
)

# "取消", "算了取消 我老公说他明天自己去", "算了 等我回来自己办 取消".
# "算了那个代办取消 会计说她自己会弄", "不好意思，周三他要去医院复查，这个预约先取消吧",
# "算了 那个上门的先不要了 我开车拉他下来", "算了先不来了 儿子说他拿钱来修".
STOPS = "取消|不办了|不约了|不预约了|不要了|先不要|不用了|先不来|不用来了|莫来了|别来了"
QUIT = re.compile(
    rf"^(取消|退出|不办了|不约了|算了|不用了|结束|不预约了).{{0,6}}$|^(算了)?[ ,，]*({STOPS})"
    # "那算了 我自己去 好久办得下来"
    rf"|^(那|那就)?算了[ ,，]*(我|我们)?自己(去|来|办|弄|跑)"
    rf"|^.{{0,30}}?(?<!不要)(?<!别)(?<!不用)({STOPS})[吧了哈嘛啊\s。.!！~]*$|^算了.{{0,8}}?({STOPS})"
    # "明天莫来了 取消 我要克医院": 取消 standing alone among other words
    rf"|^(.*[\s,，。!！])?(取消|取消预约)([\s,，。!！]|$)"
)
BACK = re.compile(r"^(上一步|返回|后退|退回上一步|改上一个)$")
EDITABLE = [("name", "姓名"), ("id", "身份证号"), ("phone", "电话"), ("address", "地址"), ("date", "日期")]
HINT = "（回复“上一步”可返回，“取消”可退出）"
# Papers said to be ready ("身份证户口本我都收齐了", "材料我准备好了").
PAPERS_IN_HAND = re.compile(r"收齐|收好|备齐|准备好|准备齐|都有|齐了|带(起|着|上|好)了?")
# A booking request whose match is unsure books the item its word names when that scores this many times any other.
BOOKED_BY_NAME_LEAD = 2.0
# Steps answered by picking from a numbered list: a message that is no such answer may be a new question.
CHOICE_STEPS = frozenset({"who", "relation", "qualify", "station", "confirm"})
# Steps that take a typed value (a number, an address, a day): a question there answers none of them.
VALUE_STEPS = frozenset({"id", "phone", "address", "date"})
MAX_NOTES = 3  # the resident's notes to staff kept per booking (the latest)
# Answers to "给谁办": the person is someone else ("他本人来不了", "帮我婆婆"), or the asker ("我自己的").
FOR_FAMILY = re.compile(
    r"(?<!其)[他她](?!们)|老人|老者|[妈爸父母爷奶孙娃儿女哥姐弟妹叔伯舅姨姑侄]|家人|家里人|家属|外公|外婆|公公|婆婆|老伴|爱人|老公|老婆|媳妇|丈夫|妻子|亲戚|邻居|村民"
)
FOR_SELF = re.compile(r"^(1|给?我?自己(办|的)?|本人|我本人|我自己|给我办|就我|我)$|我自己|我本人")
# A parent or the family, even beside a phone ("电话留我妈的" is hers too); not "下午家里有人".
FOR_PARENT = re.compile(r"[妈爸父母]|老人|家人|家里人|家属")
# "电话打我孙子的 138…": whose phone it is, not for whom.
SPEAKS_OF_PHONE = re.compile(r"电话|手机|号码|[0-9]{3}")
# Asking again for the service being booked ("那能不能派人上门来看他" during a home-visit form).
ASKS_AGAIN = {"home_visit": re.compile(r"上门|派人|来家|到家|来屋头"), "proxy": re.compile(r"代办|帮我办|帮忙办|帮他办|帮她办")}
# "他没有手机", "没有电话", "老人不用手机": the person has no phone of their own.
NO_PHONE = re.compile(r"(没有|没|无|不用|不会用)(手机|电话)|^(没有|没有的|无)$")
PHONE_KIND_LABELS = {"landline": "座机", "station": "无电话，由服务站联系", "proxy": "无电话，由代办员联系"}


class BookingForm:
    def __init__(self, service: BookingService, stations: StationDirectory, index_provider):
        self.service = service
        self.stations = stations
        self._index = index_provider  # callable returning the current Understander
        # (booking, openid, media) for photos sent during the form: bot.handoff.media.MediaKeeper.attach_to_booking
        self.on_media = None
        self.places = TownshipList()

    async def start(self, turn, kind: str, actor: Actor, station: str | None = None) -> str:
        try:
            await self.service.check_limits(actor)  # before asking anything, not after the whole form
        except BookingError as exc:
            return exc.message
        form = {"id": secrets.token_hex(8), "kind": kind, "data": {}, "done": []}
        item_code = self._item_from(turn)
        if item_code:
            refused = self._refusal(kind, item_code)
            if refused:
                turn.remember(choices=None)
                return refused
            form["data"]["item"] = item_code
        elif turn.understanding is not None and turn.understanding.result.plausible:
            form["item_options"] = [m.code for m in turn.understanding.result.matches[:3]]
        if station:  # preset from the station's QR code; "修改" cannot change it, a new scan can
            form["data"]["station"] = station
        # "我妈瘫痪在床…能上门不", or said earlier about this item: the form does not ask for whom again.
        said_earlier = turn.state.get("for_whom") or {}
        relation = relation_in(turn.text) or (said_earlier.get("relation") if said_earlier.get("item") == item_code else None)
        if actor.kind == "resident" and relation:
            self._done(form, "who", "other")
            self._done(form, "relation", relation)
        turn.remember(form=form, choices=None, paused_form=None)
        item = self._index().index.item(item_code) if item_code else None
        what = f"「{item['name']}」的" if item else ""
        # "公证处可以上门吗 老人行动不便" asks whether it can be done: say yes before the form's first question.
        asked = normalize(turn.text)
        agreed = "可以的" if asks_or_ends_yes_no(asked) else "好的"
        intro = f"{agreed}，为您预约{what}{KIND_LABELS[kind]}。" + (
            f"（为您的{relation}办）" if actor.kind == "resident" and relation else ""
        )
        if actor.kind == "proxy":
            intro += f"（代办员，服务站：{self.stations.name_of(actor.station)}）"
        return intro + "\n" + await self._ask_next(turn, actor) + "\n" + HINT

    async def repeat_question(self, turn, actor: Actor) -> str:
        """The open question again (after the resident sent something that is no answer, such as a photo)."""
        return await self._ask_next(turn, actor) + "\n" + HINT

    def _item_from(self, turn) -> str | None:
        """The item named in this message, else the one under discussion."""
        u, current = turn.understanding, turn.state.get("item")
        if u is None:
            return current
        understander = self._index()
        index = understander.index
        choices = turn.state.get("choices") or {}
        offered = choices.get("options", []) if choices.get("kind") == "items" else []
        by_name = [c for c in offered if (item := index.item(c)) and any(w in item["name"] for w in u.naming)]
        if len(by_name) == 1:
            return by_name[0]  # "执照这个麻烦帮我代办吧" with 税务登记 / 营业执照变更登记 offered: the one its words name
        current_item = index.item(current) if current else None
        current_name = current_item["name"] if current_item else ""
        if earlier := followup.earlier_named(u, turn.state, current, current_name, booking=True):
            return earlier  # "执照那个还是找你们代办吧" after 食品经营许可, with 营业执照 asked first
        papers = current and u.naming and set(u.naming) <= understander.material_words(current)
        if papers and PAPERS_IN_HAND.search(u.text) and not u.result.confident:
            return current  # "那就约个代办嘛 三个人的身份证户口本我都收齐了" after 高龄津贴: its papers, in hand
        names_nothing = current and followup.request_names_nothing(u.text, index.named)
        if followup.books_by_name(u, current_name) and not names_nothing:
            return u.result.best.code if u.result.confident else self._clearly_named(u)  # "残疾证能上门办吗": by its name
        pointed = followup.pointed_to(turn.state, u.result)
        if pointed and followup.fits_better(u.result, pointed, current):
            return pointed  # "医生能上门来开不" after the death certificate was answered on the way to 死亡户口注销
        if followup.about_current(u, current, current_name=current_name):  # "能上门不 我走不动": the item discussed
            return current
        if names_nothing:
            return current  # "那麻烦你们帮忙代办，合作社在白鹤滩镇，我姓陈"
        if pointed:
            return pointed  # "那个医生能来屋头开不" after an answer naming 居民死亡医学证明（推断）书签发
        if u.result.confident:
            return u.result.best.code
        if clearly := self._clearly_named(u):
            return clearly  # "家里那辆车也该年检了 一起帮我代办了吧": 年检 names 机动车检验 far ahead of all else
        return None if u.named else current

    @staticmethod
    def _clearly_named(u) -> str | None:
        """The item a booking request names by its word far ahead of every other match, though the match is unsure;
        not an ID card named among the papers collected ("三个人的身份证户口本我都收齐了")."""
        best = followup.named_best(u)
        scores = {m.code: m.score for m in u.result.matches}
        if best is None or best not in scores:
            return None
        return best if all(s * BOOKED_BY_NAME_LEAD <= scores[best] for c, s in scores.items() if c != best) else None

    def _refusal(self, kind: str, item_code: str) -> str | None:
        item = self._index().index.item(item_code)
        try:
            self.service.check_offered(kind, item)
        except NotEligible as exc:
            return exc.message
        return None

    async def answer(self, turn, actor: Actor) -> str:
        """Take the user's answer to the current question and ask the next one."""
        text = normalize(turn.text)
        form = turn.state["form"]
        if QUIT.match(text):
            turn.remember(form=None, choices=None)
            return "好的，已退出预约，信息没有提交。需要时随时说“预约代办”或“预约上门”。"
        if BACK.match(text):
            if form["done"]:
                last = form["done"].pop()
                form["data"].pop(last, None)
                if last == "who":
                    form["data"].pop("relation", None)
            turn.remember(form=form)
            return await self._ask_next(turn, actor)
        step = self._next_step(form, actor)
        if step not in ("item", "confirm") and ASKS_AGAIN[form["kind"]].search(text):
            told_again = [f"好的，正在为您预约{self._booking_of(form, noun=False)}。"]
        else:
            told_again = []
        given = details_in(turn.text, self.service.today())
        told = await self._keep_given(turn, form, actor, step, given)
        # The step's own value inside a longer message ("电话13887014526 下午都可以打") is its answer.
        own = {"phone": given.phone, "id": given.id_number, "address": given.address}.get(step)
        if told and step == "name":
            reply = ""  # "电话打我孙子的 138…" gives other details, not a name
        elif given.note and not own and step != "date":
            reply = ""  # "下午三点以后家中都有人" answers neither whom it is for nor where: the question is asked again
        else:
            reply = await getattr(self, f"_answer_{step}")(turn, form, actor, own or turn.text.strip())
        if reply is not None and not (told and turn.state.get("form") is form):
            return reply  # a validation message or a final answer
        turn.remember(form=form)
        question = await self._ask_next(turn, actor)
        return "\n".join([*(told or told_again), question])

    async def _keep_given(self, turn, form, actor: Actor, step: str, given: Details) -> list[str]:
        """Keep the details a message gives for later questions. Returns what the resident is told: what was
        kept, as they call it, and why a day cannot be kept ("12月5日是休息日…")."""
        data, steps = form["data"], self._steps(form, actor)
        kept, notes = [], []
        if given.id_number and step != "id" and "id" not in data:
            if await self._answer_id(turn, form, actor, given.id_number) is None:
                kept.append("身份证号")
        if given.phone and step != "phone" and "phone" not in data:
            if await self._answer_phone(turn, form, actor, given.phone) is None:
                kept.append("电话")
        if given.masked_phone and step != "phone" and "phone" not in data:
            notes.append("电话号码中间被隐藏了，问到电话时请发完整的11位号码。")
        if given.address and step != "address" and "address" in steps and "address" not in data:
            if await self._answer_address(turn, form, actor, given.address) is None:
                kept.append("地址")
        if "station" in steps and "station" not in data and step != "station":
            self._station_from_address(form, turn.text)  # "地址昭阳区太平街道": the township, though no house
            if "station" in data:
                kept.append(f"乡镇（{data['township']}）")
        if given.day and step != "date" and "date" not in data:
            problem = self.service.check_date(given.day)
            if problem is None:
                self._done(form, "date", given.day.isoformat())
                kept.append(f"希望日期{describe_day(given.day)}")
            else:  # "那就明天上午来嘛" on a Friday: said now, the date question comes later
                notes.append(f"{problem}日期稍后再选。")
        note = mask_text(given.note) if given.note else None
        if note and note not in data.get("resident_notes", []):
            data["resident_notes"] = [*data.get("resident_notes", []), note][-MAX_NOTES:]
            kept.append("留言")
        if not (kept or notes):
            return []
        code = form["data"].get("item")
        what = f"「{self._index().index.item(code)['name']}」" if code else ""
        saved = f"已记下{'、'.join(kept)}。" if kept else "："
        return [f"好的，{what}{KIND_LABELS[form['kind']]}{saved}{''.join(notes)}"]

    def _steps(self, form, actor: Actor) -> list[str]:
        data = form["data"]
        steps = ["item"]
        if actor.kind == "resident":
            steps.append("who")
            if data.get("who") == "other":
                steps.append("relation")
        steps += ["name", "id", "phone"]
        if form["kind"] == "home_visit":
            steps.append("address")
            if not data.get("qualification"):
                steps.append("qualify")
        if actor.kind == "resident":
            steps.append("station")
        steps += ["date", "confirm"]
        return steps

    def step(self, form, actor: Actor) -> str:
        """The question the form is waiting on."""
        return self._next_step(form, actor)

    def _next_step(self, form, actor: Actor) -> str:
        for step in self._steps(form, actor):
            if step not in form["data"]:
                return step
        return "confirm"

    # Dialog state is stored (conversations), so the form keeps ID number, phone and address sealed
    # with the field cipher: no collection holds them in plain text, even for an unfinished form.
    def _seal(self, step: str, value: str) -> str:
        return self.service.cipher.encrypt(value, f"form.{step}")

    def _open(self, form, step: str) -> str:
        value = form["data"].get(step)
        return self.service.cipher.decrypt(value, f"form.{step}") if value else ""

    def _done(self, form, step: str, value) -> None:
        form["data"][step] = value
        if step in form["done"]:
            form["done"].remove(step)
        form["done"].append(step)

    # ---- questions ----

    async def _ask_next(self, turn, actor: Actor) -> str:
        form = turn.state["form"]
        step = self._next_step(form, actor)
        return await getattr(self, f"_ask_{step}")(turn, form, actor)

    async def _ask_item(self, turn, form, actor) -> str:
        if form.get("item_options"):
            index = self._index().index
            lines = ["请问要办下面哪一项？回复数字："]
            lines += [f"{i} {index.item(c)['name']}" for i, c in enumerate(form["item_options"], 1)]
            return "\n".join(lines + ["都不是的话，请直接说要办什么事。"])
        return "请问要办什么事？比如“低保申请”“社保卡补办”“养老金认证”。"

    async def _ask_who(self, turn, form, actor) -> str:
        return "给谁办？\n1 给自己办\n2 给家人办（父母、配偶等）"

    async def _ask_relation(self, turn, form, actor) -> str:
        return "TA是您的：\n" + "\n".join(f"{i} {r}" for i, r in enumerate(RELATIONS, 1))

    async def _ask_name(self, turn, form, actor) -> str:
        who = "您" if form["data"].get("who") == "self" else "办事人"
        return f"请输入{who}的姓名。"

    async def _ask_id(self, turn, form, actor) -> str:
        return "请输入办事人的18位身份证号码。"

    async def _ask_phone(self, turn, form, actor) -> str:
        who = "您" if form["data"].get("who") == "self" else "办事人"
        return (
            f"请输入{who}的联系电话，手机或座机都可以（座机带区号，如 0870-2212345），工作人员会打这个电话联系。"
            "没有电话请回复“没有电话”。"
        )

    async def _ask_address(self, turn, form, actor) -> str:
        return "请输入上门地址，写到村（小区）和门牌，例如：龙头山镇光明村5组12号。"

    async def _ask_qualify(self, turn, form, actor) -> str:
        reasons = self.service.declared_reasons()
        lines = ["上门服务面向行动不便的群众。办事人属于哪种情况？"]
        lines += [f"{i} {r['label']}" for i, r in enumerate(reasons, 1)]
        lines.append(f"{len(reasons) + 1} 都不是")
        return "\n".join(lines)

    async def _ask_station(self, turn, form, actor) -> str:
        lines, n = ["办事人在哪个乡镇（街道）？请直接写乡镇名，比如“北闸镇”；也可以回复数字选服务中心："], 0
        for county, townships in self.stations.townships_by_county():
            names = []
            for s in townships:
                n += 1
                names.append(f"{n} {s['name'].replace('为民服务中心', '')}")
            lines.append(f"{county}：" + "　".join(names) if county else "　".join(names))
        lines.append("都不是的话回复“其他”。")
        return "\n".join(lines)

    def _county_question(self, form, text: str = "") -> str:
        form["place_options"] = [["county", c] for c in self.places.counties] + [["other", ""]]
        head = f"没找到“{text[:12]}”这个乡镇。" if text else ""
        options = [f"{i} {c}" for i, c in enumerate(self.places.counties, 1)]
        options.append(f"{len(options) + 1} 其他（不在昭通市）")
        return head + "请回复办事人所在的县（区、市）：\n" + "　".join(options)

    def _station_for(self, township: Township | None, county: str | None) -> dict | None:
        """The township's own service centre where it takes bookings, else its county's centre, else the city's."""
        if township is not None:
            own = next((s for s in self.stations.townships() if s["name"].startswith(township.name)), None)
            if own is not None:
                return own
            county = township.county
        return self.stations.centre_of(county)

    async def _ask_date(self, turn, form, actor) -> str:
        today = self.service.today()
        nxt = self.service.calendar.next_workday(today)
        # Examples a resident can really book: never a date before the earliest day.
        examples = (["明天"] if (nxt - today).days == 1 else []) + [f"{nxt.month}月{nxt.day}日"]
        return f"希望哪天办理？可以回复{'或'.join(f'“{e}”' for e in examples)}这样的日期。\n最早可约：{describe_day(nxt)}"

    async def _ask_confirm(self, turn, form, actor) -> str:
        return self._summary(form, actor) + "\n回复：1 确认提交　2 修改　3 取消"

    async def _ask_edit(self, turn, form, actor) -> str:
        fields = self._editable(form)
        return "要改哪一项？\n" + "\n".join(f"{i} {label}" for i, (_k, label) in enumerate(fields, 1))

    # ---- answers: return None to move on, or a message to stay ----

    async def _answer_item(self, turn, form, actor, text) -> str | None:
        understander = self._index()
        result = understander.index.search(text)
        options = form.get("item_options")
        if options and text.isdigit() and 1 <= int(text) <= len(options):
            code = options[int(text) - 1]
        elif result.confident:
            code = result.best.code
        elif result.plausible:
            form["item_options"] = [m.code for m in result.matches[:3]]
            turn.remember(form=form)
            lines = ["是下面哪一项？请回复数字："]
            lines += [f"{i} {understander.index.item(c)['name']}" for i, c in enumerate(form["item_options"], 1)]
            return "\n".join(lines)
        else:
            return "没找到这个事项，请换个说法，比如“低保”“残疾证”“社保卡”。"
        form.pop("item_options", None)
        self._done(form, "item", code)
        refused = self._refusal(form["kind"], code)
        if refused:
            turn.remember(form=None)
            return refused
        return None

    async def _answer_who(self, turn, form, actor, text) -> str | None:
        text = normalize(text)
        infer = text != "1" and not SPEAKS_OF_PHONE.search(text)
        if text in ("2", "家人", "给家人办") or FOR_PARENT.search(text) or (infer and FOR_FAMILY.search(text)):
            self._done(form, "who", "other")
        elif text == "1" or (infer and FOR_SELF.search(text)):
            self._done(form, "who", "self")
            form["data"]["relation"] = "本人"
        else:
            # Whatever else was said ("我后天上午把材料送过来"), the resident is reminded what is being booked.
            return f"{self._booking_of(form)}还没填完。给谁办？请回复 1（给自己办）或 2（给家人办）。"
        return None

    def _booking_of(self, form, noun: bool = True) -> str:
        """What the form books: "「高龄津贴申领」的上门服务预约" (noun), or "「高龄津贴申领」的上门服务"."""
        code = form["data"].get("item")
        what = f"「{self._index().index.item(code)['name']}」的" if code else ""
        return f"{what}{KIND_LABELS[form['kind']]}" + ("预约" if noun else "")

    async def _answer_relation(self, turn, form, actor, text) -> str | None:
        if text.isdigit() and 1 <= int(text) <= len(RELATIONS):
            relation = RELATIONS[int(text) - 1]
        elif any(r in text for r in ("爸", "父")):
            relation = "父亲"
        elif any(r in text for r in ("妈", "母")):
            relation = "母亲"
        else:
            return f"请回复 1 到 {len(RELATIONS)} 的数字。"
        self._done(form, "relation", relation)
        return None

    async def _answer_name(self, turn, form, actor, text) -> str | None:
        try:
            name = clean_name(text)
        except FieldInvalid as exc:
            return exc.message + "想先问别的事，请回复“取消”退出预约。"
        self._done(form, "name", name)
        return None

    async def _answer_id(self, turn, form, actor, text) -> str | None:
        try:
            card = parse_id_number(text, self.service.today())
        except InvalidIDNumber as exc:
            return f"{exc}\n请重新输入，或回复“上一步”。"
        self._done(form, "id", self._seal("id", card.number))
        if form["kind"] == "home_visit" and self.service.home_visit_by_age(card):
            form["data"]["qualification"] = "age"
        elif form["kind"] == "home_visit" and form["data"].get("qualification") == "age":
            form["data"].pop("qualification")  # corrected to a younger person's number
        return None

    async def _answer_phone(self, turn, form, actor, text) -> str | None:
        try:
            phone, kind = parse_mobile(text), "mobile"
        except ValueError:
            phone, kind = parse_landline(text), "landline"
        if phone is None and NO_PHONE.search(text):
            # Staff then call the station (a proxy's station, or the one chosen later in the form).
            phone, kind = "", "proxy" if actor.kind == "proxy" else "station"
        if phone is None:
            return "请输入11位手机号（如 13812345678）或带区号的座机（如 0870-2212345）；没有电话请回复“没有电话”。"
        form["data"]["phone_kind"] = kind
        self._done(form, "phone", self._seal("phone", phone) if phone else "")
        return None

    def _contact(self, form, actor: Actor) -> tuple[str, str]:
        """(phone staff call, its kind): the person's own, or their station's when they have none."""
        kind = form["data"].get("phone_kind", "mobile")
        if kind in ("mobile", "landline"):
            return self._open(form, "phone"), kind
        station = self.stations.get(form["data"].get("station") or actor.station) or {}
        return str(station.get("phone") or ""), kind

    async def _answer_address(self, turn, form, actor, text) -> str | None:
        try:
            address = clean_address(text)
        except FieldInvalid as exc:
            return exc.message
        self._done(form, "address", self._seal("address", address))
        if actor.kind == "resident" and "station" not in form["data"]:
            self._station_from_address(form, address)
        return None

    def _station_from_address(self, form, address: str) -> None:
        """An address that names one township in full ("大山包镇大山包村5组12号") answers the township question,
        so the form does not ask it again; a stem ("大山包村") or two townships leave it to the question."""
        named = [t for t in self.places.match(address) if t.name in address]
        if len(named) == 1 and (station := self._station_for(named[0], None)) is not None:
            form["data"]["township"] = named[0].name
            self._done(form, "station", station["code"])

    async def _answer_qualify(self, turn, form, actor, text) -> str | None:
        reasons = self.service.declared_reasons()
        if not (text.isdigit() and 1 <= int(text) <= len(reasons) + 1):
            return f"请回复 1 到 {len(reasons) + 1} 的数字。"
        choice = int(text)
        if choice == len(reasons) + 1:
            item = self._index().index.item(form["data"]["item"])
            turn.remember(form=None)
            return self.service.not_qualified_message(item)
        form["data"]["qualification"] = reasons[choice - 1]["key"]
        self._done(form, "qualify", reasons[choice - 1]["key"])
        return None

    async def _answer_station(self, turn, form, actor, text) -> str | None:
        townships = self.stations.townships()
        options = form.pop("place_options", None)
        township, county = None, None
        if options and text.isdigit() and 1 <= int(text) <= len(options):
            kind, value = options[int(text) - 1]
            if kind == "township":
                township = next(t for t in self.places.all if f"{t.county}{t.name}" == value)
            elif kind == "county":
                county = value
            station = self._station_for(township, county) if kind != "other" else self.stations.county_centre()
        elif text.isdigit() and 1 <= int(text) <= len(townships):
            station = townships[int(text) - 1]
        elif text in ("其他", "其它", "都不是", "不在"):
            turn.remember(form=form)
            return self._county_question(form)
        else:
            found = self.places.match(text)
            if len(found) > 1:
                form["place_options"] = [["township", f"{t.county}{t.name}"] for t in found]
                turn.remember(form=form)
                return "是哪一个？请回复数字：\n" + "\n".join(f"{i} {t.county}{t.name}" for i, t in enumerate(found, 1))
            county = self.places.county_in(text)
            if not found and county is None:
                turn.remember(form=form)
                return self._county_question(form, text)
            township = found[0] if found else None
            station = self._station_for(township, county)
        if station is None:
            return "暂时找不到可以受理的服务中心，请回复“人工”联系工作人员。"
        form["data"]["township"] = township.name if township else ""
        self._done(form, "station", station["code"])
        return None

    async def _answer_date(self, turn, form, actor, text) -> str | None:
        today = self.service.today()
        suggestion = form.get("date_suggestion")
        if suggestion and (text == "1" or AGREES.match(text)):  # "…可以吗？" answered "可以"
            day = date.fromisoformat(suggestion)
        else:
            day = parse_day(text, today)
        if day is None:
            return "没看懂这个日期，请回复如“明天”“下周一”或“12月3日”。"
        problem = self.service.check_date(day)
        if problem:
            nxt = self.service.calendar.next_workday(max(day, today))
            if self.service.check_date(nxt) is None:
                form["date_suggestion"] = nxt.isoformat()
                turn.remember(form=form)
                return f"{problem}\n{describe_day(nxt)}可以吗？回复 1 选这天，或换一个日期。"
            return problem + "\n请换一个日期。"
        form.pop("date_suggestion", None)
        self._done(form, "date", day.isoformat())
        return None

    async def _answer_confirm(self, turn, form, actor, text) -> str | None:
        if form.get("editing"):
            return await self._answer_edit(turn, form, actor, text)
        if text in ("1", "确认", "确定", "提交") or AGREES.match(text):  # "要得", "好的", "嗯" say yes
            return await self._submit(turn, form, actor)
        if text in ("2", "修改", "改"):
            form["editing"] = True
            turn.remember(form=form)
            return await self._ask_edit(turn, form, actor)
        if text == "3":
            turn.remember(form=None)
            return "好的，已取消，信息没有提交。"
        return "请回复 1 确认提交，2 修改，3 取消。"

    async def _answer_edit(self, turn, form, actor, text) -> str | None:
        fields = self._editable(form)
        if not (text.isdigit() and 1 <= int(text) <= len(fields)):
            return f"请回复 1 到 {len(fields)} 的数字。"
        key = fields[int(text) - 1][0]
        form.pop("editing", None)
        form["data"].pop(key, None)
        if key == "id" and form["data"].get("qualification") == "age":
            form["data"].pop("qualification")
        return None  # the form asks for the cleared field, then shows the summary again

    def _editable(self, form) -> list[tuple[str, str]]:
        return [(k, label) for k, label in EDITABLE if k != "address" or form["kind"] == "home_visit"]

    # ---- summary and submit ----

    def _summary(self, form, actor: Actor) -> str:
        d = form["data"]
        item = self._index().index.item(d["item"])
        station = d.get("station") or actor.station
        lines = [
            "请核对预约信息：",
            f"事项：{item['name']}",
            f"服务：{KIND_LABELS[form['kind']]}",
            f"办事人：{mask_name(d['name'])}（{d.get('relation') or '居民'}）",
            f"身份证：{mask_id(self._open(form, 'id'))}",
            self._phone_line(form, actor),
        ]
        if form["kind"] == "home_visit":
            lines.append(f"地址：{mask_address(self._open(form, 'address'))}")
        centre = self.stations.name_of(station)
        place = f"（{d['township']}）" if d.get("township") and not centre.startswith(d["township"]) else ""
        lines.append(f"服务站：{centre}{place}")
        lines.append(f"希望日期：{describe_day(date.fromisoformat(d['date']))}")
        if d.get("resident_notes"):
            lines.append(f"留言：{'；'.join(d['resident_notes'])}")
        return "\n".join(lines)

    def _phone_line(self, form, actor: Actor) -> str:
        phone, kind = self._contact(form, actor)
        if kind == "mobile":
            return f"电话：{mask_phone(phone)}"
        if kind == "landline":
            return f"电话：{mask_phone(phone)}（座机，不能收短信）"
        station = self.stations.name_of(form["data"].get("station") or actor.station)
        return f"电话：无。工作人员会通过{station}（{phone}）联系办事人"

    async def _submit(self, turn, form, actor: Actor) -> str:
        d = form["data"]
        item = self._index().index.item(d["item"])
        request = BookingRequest(
            kind=form["kind"],
            item=item,
            booked_by=actor,
            name=d["name"],
            id_card=parse_id_number(self._open(form, "id"), self.service.today()),
            phone=self._contact(form, actor)[0],
            phone_kind=self._contact(form, actor)[1],
            township=d.get("township") or "",
            preferred_date=date.fromisoformat(d["date"]),
            station=d.get("station") or actor.station,
            relation=d.get("relation") or ("居民" if actor.kind == "proxy" else "本人"),
            address=self._open(form, "address"),
            qualification=d.get("qualification", ""),
            note="；".join(d.get("resident_notes", [])),
            request_key=f"{turn.openid}:{form['id']}",
        )
        try:
            booking = await self.service.create(request)
        except BookingError as exc:
            turn.remember(form=None)
            return exc.message
        turn.remember(form=None, choices=None)
        if form.get("media") and self.on_media is not None:
            self.on_media(booking, turn.openid, form["media"])
        return (
            f"预约成功！预约号：{booking['number']}\n"
            f"工作人员会在1个工作日内电话联系确认，进展会在这里通知您。\n"
            f"预计 {month_day(booking['due_date'])} 前办结。回复“查进度”随时查看。"
        )
