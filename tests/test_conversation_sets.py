"""Whole conversations written apart (tests/data/conversations_*.jsonl) replayed through /wechat: each turn's
reply must be about the item the writer expected (a follow-up about the item under discussion, a switch about
the new item, a 代办/上门 request booking that item), refuse an off-topic turn, or answer the courtesy."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.conversation import texts
from bot.handoff import texts as handoff_texts
from knowledge_base.catalog import load_items
from tests.utils import user

DATA = Path(__file__).resolve().parent / "data"
NAMES = {item["code"]: item["name"] for item in load_items()[0]}
# Share of turns that must be right over all files: 72/98 on the first run (before any change made after
# reading them), 85/98 after the fixes of issue 18; the floor sits a little under the latter. Writer D's 47 turns
# were 32/47 on their first run; with them all files give 124/146 after the later fixes (neighbouring domains,
# forms left at the name question, compound-part weights), 128/146 after broad words in follow-ups.
# Writers E (79 turns) and F (104) were 63/79 and 71/104 on their first runs; with them all files give 280/328
# after booking details kept ahead of the form's questions and documents of the item under discussion.
# Writer G (163 turns) was 113/163 on the first run on the session's starting code and 123/163 on the code of
# that session before reading it; all files give 425/491 once G's lessons were added. Writer H (164 turns, harder:
# long stories, proxies' jargon, several items per conversation) was 109/164 on the session's starting code and
# 125/164 before reading it; all files give 547/655. Writer I (163 turns) was 114/163 on the session's starting code
# and 116/163 before reading it; all files give 676/818 (82.6 %). Days in the turns ("明天", "周六") fall on other
# weekdays on other days the suite runs, so the floor sits two points under that. Writer J (164 turns: a village
# proxy, a 78-year-old on voice input ...) was 134/164 on its first run; all files give 822/982 (83.7 %) after.
# Writer K (157 turns) was 130/157 on its first run (133/157 on the starting code of that session); all files give
# 971/1139 (85.2 %) after K was read. Writer L (164 turns) was 130/164 on its first run (133/164 on that session's
# starting code); all files give 1113/1303 (85.4 %) after L was read. Writer M (137 turns) was 105/137 on its first
# run (98/137 on that session's starting code); all files give 1227/1440 (85.2 %) after M was read. Writer N
# (165 turns) was 116/165 on the session's final code (109/165 on its starting code), added without tuning on it:
# all files give 1344/1605 (83.7 %), 1360/1605 (84.7 %) once a step of the current item named by another item's
# name word (驾驶证换证's 体检) stayed on it (seen in F, H, K, M and N). Writer O (159 turns) was 134/159 on the
# session's final code (131/159 on its starting code), added without tuning on it: all files give 1489/1764 (84.4 %).
# Writers P and Q (164 turns each) were 137/164 and 144/164 on their first runs (134 and 144 on that session's
# starting code); after the 'for whom' step, amounts, standing and documents of the item: 1835/2092 (87.7 %).
# Writers R (165 turns) and S (162) were 154/165 and 140/162 on their first runs (151 and 137 on that session's
# starting code); with them all files give 2146/2419 (88.7 %). Writer T (162 turns) was 134/162 on that session's
# final code before reading it (130/162 on its starting code); with it all files give 2287/2581 (88.6 %). Writer U
# (165 turns) was 146/165 on that session's final code (142/165 on its starting code); all files give 2429/2746.
# Writers V to Z and AA to AC have their first runs in the notes; AB (167 turns) was sealed until that session's
# final code and gave 154/167 there. All 29 files give 3642/4027 (90.4 %).
# Writer AL (170 turns), sealed until the final understanding code of its session, gave 146/170 there (145/170 on that
# session's starting code) and 149/170 after reading it; all 38 files give 5007/5482 (91.3 %).
# Writers AM to AU (sealed until a session's code was frozen) have their first runs in the floors' comments of
# tests/test_knowledge_base.py and in the notes; all 47 files give 6498/7084 (91.7 %). Writers AV, AW and AX
# (the session after AU) gave 159/174, 142/170 and 155/172 on their first runs, 170/174, 156/170 and 160/172 after
# reading them; all 50 files give 6992/7600 (92.0 %). Writers AY and AZ (the next session) gave 149/170 and 164/179 on
# their first runs (146/170 and 161/179 on that session's starting code), 152/170 and 165/179 after reading them;
# with their questions among the classifier's examples all 52 files give 7310/7949 (92.0 %). Writer BA, sealed until
# then, gave 170/186 on its first run (168/186 on that session's starting code); with its questions among the examples
# all 53 files give 7486/8135 (92.0 %). Writers BB and BC (sealed until the next session's starting code) gave 167/184
# and 151/174 on their first runs; writers BD and BE, sealed until BB and BC had joined the examples, gave 158/178 and
# 153/172. With all four read and among the examples, all 57 files give 8126/8843 (91.9 %). Writers BF and BG (sealed
# until BD and BE had joined) gave 157/176 and 154/170 on their first runs, writer BH (sealed until BF and BG had
# joined) 162/180; with the three read and among the examples, all 60 files give 8602/9369 (91.8 %). Writer BI (sealed
# until BH had joined) gave 151/175 on its first run; writers BJ and BK (sealed until BI had joined) 160/175 and
# 152/174; writers BL and BM (sealed until BJ and BK had joined) 148/176 and 133/166; writers BN and BO (sealed until
# BL and BM had joined) 137/172 and 161/177; writers BP and BQ (sealed until BN and BO had joined) 155/177 and 146/177;
# writers BR and BS (sealed until the next session's starting code) 150/177 and 151/180; writers BT and BU (sealed until
# BP to BS had joined) 156/176 and 156/175; writers BV and BW (sealed until BT and BU had joined) 146/173 and 162/178;
# writers BX and BY (sealed until the next session's starting code) 146/170 and 151/179; writers BZ and CA (sealed
# until BX and BY had joined) 153/170 and 145/174; writer CB (sealed until BZ and CA had joined) 138/168; writers CC
# and CD (sealed until the next session's starting code, dc7e371) 159/173 and 144/171; writers CE and CF (sealed until
# CC and CD had joined, 470b05a) 155/167 and 142/168; writers CG and CH (sealed until CE and CF had joined, a2badbc)
# 155/174 and 139/174; writers CK and CL (sealed until the next session's starting code, 9a5b435) 157/180 and 166/182;
# writers CI and CJ (sealed until that session's code was frozen, eb96343) 154/176 and 159/172; writers CM and CN
# (sealed until the next session's starting code, b9c18d3) 155/172 and 148/175; writers CO and CP (sealed until CM
# and CN had joined, d24939d) 162/179 and 152/171 (163/179 and 153/171 on b9c18d3); writers CQ and CR (sealed until
# the next session's starting code, 1bb2b9d) 161/178 and 149/175; writers CS and CT (sealed until the next session's
# starting code, 62af987) 162/176 and 157/174; writers CU and CV (sealed until CS and CT had joined, ab79357) 159/183
# and 165/186; writers CW and CX (sealed until the next session's refactor a6ec199, no change in understanding) 155/175
# and 138/168. Writer CY (sealed until 769da79) 157/179 on its first run; all files give 15434/16886 (91.4 %) with it.
# Writer CZ (sealed until b8efa60) 149/171 on its first run, and on 1825609.
# Writer DA (first run on 260eb42, kept unlearnt until stop 53) 161/170, unchanged after its questions were learnt.
# Writer EA (first run on 11eedd8, kept unlearnt until stop 54) 155/177; 156/177 on 76f3c9f.
# Writer EB (first run on 8183766, kept unlearnt until stop 55) 157/172.
# Writer EC (first run on 7109c2d, kept unlearnt until stop 56) 156/181; 159/181 on 0cc4b50.
# Writer ED (first run on 4f03f27, kept unlearnt until stop 57) 163/173, the same on 8fa5a27.
FLOOR = 0.86


def conversations() -> list[tuple[str, int, dict]]:
    out = []
    for path in sorted(DATA.glob("conversations_*.jsonl")):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                out.append((path.name, i, json.loads(line)))
    return out


def judge(turn: dict, reply: str) -> bool:
    """Is this reply what the writer expected of the turn?"""
    intent, code = turn["intent"], turn.get("item")
    head = reply.splitlines()[0] if reply else ""
    if intent == "out_of_scope":
        return "【" not in reply and "为您预约" not in reply and ("答不上来" in reply or "帮不上" in reply)
    # Thanks or a greeting in the middle of a booking form also says the form was left unsent (texts.FORM_LEFT).
    # ... and while waiting for staff it is the assistant's ("【小助手】不客气！…"), the message still reaching them.
    if intent == "thanks":
        return reply.startswith(texts.THANKS) or reply.startswith(handoff_texts.ASSISTANT + texts.WELCOME_WHILE_WAITING)
    if intent == "greeting":
        return reply.startswith(texts.GREETING)
    if intent == "human_agent":
        return "人工" in reply or "工作人员" in reply
    if intent == "query_progress":
        return "预约" in reply and "【" not in head
    if intent == "cancel_booking":
        return "取消" in reply or "退出" in reply
    if intent == "rate_service":
        return "评价" in reply or "打分" in reply
    name = NAMES.get(code or "", "")
    if intent in ("book_proxy", "book_home_visit"):
        kind = "代办" if intent == "book_proxy" else "上门"
        if name:
            return name in head and (kind in head or "暂不" in head or "需要本人" in head)
        return "预约" in head
    # ask_item: the answer is about the expected item (its card, a part of its guide, or a choice listing it).
    return bool(name) and (f"【{name}】" in head or (head.startswith(texts.CHOOSE_ITEM) and name in reply))


async def test_conversations_written_apart_stay_on_the_right_item(server):
    """All conversations, one resident each; the share of turns answered right must not fall below the floor."""
    results = []
    for name, index, conversation in conversations():
        resident = user(server, "o_set_" + re.sub(r"\W", "_", name) + f"_{index}")
        for turn in conversation["turns"]:
            reply = await resident.say(turn["text"])
            head = reply.splitlines()[0] if reply else ""
            results.append((judge(turn, reply), name, index, turn["text"], turn["intent"], turn.get("item"), head))
    for ok, *rest in results:
        print("TURN", "ok" if ok else "WRONG", *rest)
    assert len(results) >= 90
    right = sum(ok for ok, *_ in results)
    wrong = [r[1:] for r in results if not r[0]]
    assert right / len(results) >= FLOOR, (right, len(results), wrong)
