"""Details a resident gives before the booking form asks for them.

Residents do not wait for the question: at "给谁办？" they write "礼拜三上午我都在屋头 电话打我孙子的 13887004512"
or "那就喊他们来嘛 我在会仪镇 大坪村三组". The phone number, ID number, address and day found in such a message are
kept for their own steps (the form checks each as if it had been asked, and shows them all before submitting),
so nobody is asked again for what they already said. Whom to call or when someone is home ("电话打我孙子的 他叫小龙",
"下午三点以后家中都有人") answers no step: it is kept as the resident's note to the staff who will call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.bookings.dateparse import parse_day
from bot.bookings.fields import ADDRESS_PART, FieldInvalid, clean_address
from bot.conversation.followup import PAPERS_COMING, gives_note
from bot.conversation.nlu import CONTACT_HINT
from bot.conversation.questions import asks_or_ends_yes_no
from bot.privacy import fold_digits

NOTE_CHARS = 100  # of a note for staff, as kept from one message
NOTE_TAIL_CHARS = 8  # a chunk after the note's own, kept with it ("他叫小龙")
# A number in a chunk, which a note leaves to the phone and ID steps; a run of Chinese digits is one too, not "三点以后".
NUMBER_IN_CHUNK = re.compile(r"[0-9０-９]|[零〇一二三四五六七八九幺两]{5,}")
MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
# A mobile number with its middle hidden, as people copy it from a screen ("139xxxx6621"): no number to call.
# Writers hide any stretch ("13988xxxx51", "158xxxxxxx9"): eleven places, at least two of them hidden.
MASKED_MOBILE = re.compile(r"(?<![\dxX*＊×])1[3-9](?=[\dxX*＊×]{9}(?![\dxX*＊×]))(?=\d*[xX*＊×]\d*[xX*＊×])[\dxX*＊×]{9}")
LANDLINE_IN_TEXT = re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)")
ID_IN_TEXT = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
CHUNKS = re.compile(r"[\s,，。;；!！?？、~～]+")
# A place a visiting worker can find: a village, group, house number, street or estate ("太平街道" alone names
# only the township, which the form's township question takes). A lane (弄) is one only after its number: alone it is
# the local verb "do" ("也是在服务站弄不"). Nor is 农村 or the village's people and offices ("交了十几年农村养老保险",
# "村里的", "村委会"), nor a street of "街上买的", "上街", "赶街" (in town, market day).
HOUSE = re.compile(
    r"(?<!农)村(?![里上头委医民干])|组|社(?!区)|号|巷|[0-9一二三四五六七八九十]弄|小区|栋|幢|单元|路|(?<![上赶])街(?![道上头])|屯|寨"
)
# Words before an address ("地址是", "我住在", "我在").
ADDRESS_LEAD = re.compile(r"^.{0,8}?(地址是|地址在|地址|家住在|家住|住在|我家在|我在|在)")
# Chunks that speak of a phone ("联系人就是我这个号"), not a place, though they hold 号; or of where the asker is going
# ("我要骑摩托进村").
NOT_PLACE = re.compile(r"联系|电话|手机|号码|这个号|微信|^我们?(要|得|准备|打算)")
ADDRESS_TAIL = re.compile(r"(那点|那里|这里|那边)?(的|嘛|哈|呢|啊|哦|了)*$")
# A day on which the resident does something themselves ("明天我把材料收齐", "后天我拿过来", "明天上午他侄儿送材料
# 过来") is not the day they want staff to come or act.
OWN_ERRAND = re.compile(r"我(先|再|就)?(把|去|来|送|拿|收|带|准备|凑|找|问)|收齐|准备好|" + PAPERS_COMING)


@dataclass
class Details:
    phone: str | None = None
    id_number: str | None = None
    address: str | None = None
    day: date | None = None
    masked_phone: bool = False  # a number given with its middle hidden
    note: str | None = None  # whom to call or when someone is home, in the resident's words, for staff

    def __bool__(self) -> bool:
        return any((self.phone, self.id_number, self.address, self.day, self.masked_phone, self.note))


def details_in(text: str, today: date) -> Details:
    """The phone, ID number, address and day a message gives, each None when it gives none."""
    text = text or ""
    found = Details()
    # Numbers are read with full-width and spoken digits folded ("幺三八…" from voice input); the folding
    # keeps every position, so a number's span is cut from the original text.
    folded, rest = fold_digits(text), text
    if m := ID_IN_TEXT.search(folded):
        found.id_number = m.group(0)
        folded, rest = _cut(folded, m), _cut(rest, m)
    if m := MOBILE_IN_TEXT.search(folded) or LANDLINE_IN_TEXT.search(folded):
        found.phone = re.sub(r"\s", "", m.group(0))
        rest = _cut(rest, m)
    elif m := MASKED_MOBILE.search(rest):
        found.masked_phone = True
        rest = _cut(rest, m)
    chunks = [c for c in CHUNKS.split(rest) if c]
    found.address = _address(chunks)
    if gives_note(text):
        found.note = _note(chunks)
    for chunk in chunks:
        if found.address and chunk in found.address or OWN_ERRAND.search(chunk):
            continue
        if (day := parse_day(chunk, today)) is not None:
            found.day = day
            break
    return found


def _note(chunks: list[str]) -> str | None:
    """The chunks that say whom to call or when someone is home, and a short one after each ("他叫小龙"); never a
    number or a place (the phone and the address are kept by their own steps, the address only encrypted)."""
    said, follows = [], False
    for chunk in chunks:
        plain = not NUMBER_IN_CHUNK.search(chunk) and not ADDRESS_PART.search(chunk)
        if CONTACT_HINT.search(chunk) and plain:
            said.append(chunk)
            follows = True
        elif follows and plain and len(chunk) <= NOTE_TAIL_CHARS:
            said.append(chunk)
            follows = False
        else:
            follows = False
    return " ".join(said)[:NOTE_CHARS] or None


def _cut(text: str, match: re.Match) -> str:
    return text[: match.start()] + " " + text[match.end() :]


def _address(chunks: list[str]) -> str | None:
    """Neighbouring chunks that name places ("会仪镇" "大坪村三组"), joined, when one of them names a house."""
    runs: list[list[str]] = [[]]
    for chunk in chunks:
        # ... not a question about a place ("去县城的路垮没垮")
        if ADDRESS_PART.search(chunk) and not NOT_PLACE.search(chunk) and not asks_or_ends_yes_no(chunk):
            runs[-1].append(chunk)
        elif runs[-1]:
            runs.append([])
    for run in runs:
        if not any(HOUSE.search(c) for c in run):
            continue
        joined = ADDRESS_TAIL.sub("", ADDRESS_LEAD.sub("", run[0]) + "".join(run[1:]))
        try:
            return clean_address(joined)
        except FieldInvalid:
            continue
    return None
