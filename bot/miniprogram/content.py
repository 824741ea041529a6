"""WeChat's content-security check (msgSecCheck, version 2) for text a mini-program user typed: a comment, an
address, a name, a nickname. Checked before it is stored or shown to staff, behind one small interface so tests
and `CONTENT_CHECK=off` swap it out.

"risky" is refused; "review" is accepted and marked for staff to look at (the booking page names the
fields); when WeChat cannot be reached the text is accepted and marked too, as unchecked (a resident's
booking is not lost to an outage of the check, and nothing goes unchecked silently).
"""

from __future__ import annotations

import logging

from bot.privacy import mask_text
from bot.wechat.api import WeChatAPIError

log = logging.getLogger(__name__)

# msgSecCheck scenes: 1 profile, 2 comment, 3 forum, 4 social log.
SCENE_PROFILE, SCENE_COMMENT = 1, 2


class ContentRejected(Exception):
    def __init__(self, field: str):
        super().__init__(field)
        self.field = field
        self.message = "内容含有不适宜的信息，请修改后再提交。"


class Verdict(list):
    """The fields staff must look at (falsy when none); `unchecked` when the check could not be made."""

    unchecked = False


class WeChatContentCheck:
    def __init__(self, wechat_api):
        self.wechat_api = wechat_api

    async def check(self, openid: str, texts: dict[str, str], scene: int = SCENE_COMMENT) -> Verdict:
        """Raise ContentRejected naming the first risky field; else the fields that need a staff review."""
        review = Verdict()
        for field, text in texts.items():
            if not text or not text.strip():
                continue
            try:
                # Masked first: ID and phone numbers never leave for the check (stored text is masked the same way).
                result = await self.wechat_api.msg_sec_check(openid, mask_text(text)[:2500], scene)
            except WeChatAPIError as exc:
                log.warning("content check unavailable (errcode %s): text accepted for review", exc.errcode)
                review.append(field)
                review.unchecked = True
                continue
            suggest = result.get("suggest")
            if suggest == "risky":
                raise ContentRejected(field)
            if suggest != "pass":  # "review", or anything WeChat may add: a person looks
                review.append(field)
        return review


REVIEW_LABELS = {"name": "姓名", "address": "地址", "reason": "取消原因", "comment": "评价留言", "nickname": "昵称"}


async def keep_verdict(collection, query: dict, verdict: Verdict) -> None:
    """Mark the record (a booking, a user) for staff: which fields to look at, and whether unchecked."""
    if not verdict:
        return
    update: dict = {"$set": {"content_review": True}, "$addToSet": {"content_review_fields": {"$each": list(verdict)}}}
    if verdict.unchecked:
        update["$set"]["content_review_unchecked"] = True
    await collection.update_one(query, update)


class NoContentCheck:
    """CONTENT_CHECK=off: for a deployment where the platform does not require the check."""

    async def check(self, openid: str, texts: dict[str, str], scene: int = SCENE_COMMENT) -> Verdict:
        return Verdict()
