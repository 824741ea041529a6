"""Key projects in the store: register, add steps, move steps through their lifecycle, bind the contact."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, date, datetime

from bot.bookings.service import today_in_china
from bot.privacy import FieldCipher, mask_name, mask_phone, parse_mobile
from bot.projects.steps import (
    MAX_WORKDAYS,
    MODES,
    Conflict,
    NotFound,
    ProjectError,
    check_transition,
)

log = logging.getLogger(__name__)

BIND_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud over the phone
BIND_PREFIX = "BD"
CODE_PREFIX = "XM"
MAX_INVESTMENT_WAN = 10_000_000  # 1,000 亿元: above that is a typo
CONTEXT_NAME, CONTEXT_PHONE = "projects.contact_name", "projects.contact_phone"


def new_bind_code() -> str:
    return BIND_PREFIX + "".join(secrets.choice(BIND_ALPHABET) for _ in range(6))


def _text(value, name: str, *, required: bool = True, max_len: int = 100) -> str:
    if value is None:
        if required:
            raise ProjectError(f"'{name}' is required")
        return ""
    if not isinstance(value, str):
        raise ProjectError(f"'{name}' must be a string")
    value = value.strip()
    if required and not value:
        raise ProjectError(f"'{name}' is required")
    if len(value) > max_len:
        raise ProjectError(f"'{name}' is longer than {max_len} characters")
    return value


class ProjectService:
    def __init__(self, store, cipher: FieldCipher, calendar, item_lookup=None, notices=None, clock=None):
        self.store = store
        self.projects = store.projects
        self.cipher = cipher
        self.calendar = calendar
        self.item_lookup = item_lookup or (lambda code: None)  # code -> catalogue item dict or None
        self.notices = notices  # bot.projects.notices.ProjectNotices, told after every step change
        self.clock = clock or (lambda: datetime.now(UTC))

    def today(self) -> date:
        return today_in_china(self.clock())

    # ---- projects ----

    async def create(self, body: dict, by: str, *, sample: bool = False) -> dict:
        """Validate and register a project; returns the stored document (contact encrypted)."""
        name = _text(body.get("name"), "name")
        enterprise = _text(body.get("enterprise"), "enterprise")
        contact_name = _text(body.get("contact_name"), "contact_name", max_len=20)
        try:
            phone = parse_mobile(_text(body.get("contact_phone"), "contact_phone", max_len=20))
        except ValueError:
            raise ProjectError("'contact_phone' must be an 11-digit mainland mobile number") from None
        investment = body.get("investment_wan")
        if isinstance(investment, bool) or not isinstance(investment, (int, float)):
            raise ProjectError("'investment_wan' must be a number (investment in 万元)")
        if not 0 < investment <= MAX_INVESTMENT_WAN:
            raise ProjectError(f"'investment_wan' must be above 0 and at most {MAX_INVESTMENT_WAN}")
        mode = body.get("mode")
        if mode not in MODES:
            raise ProjectError(f"'mode' must be one of {sorted(MODES)}, not {mode!r}")
        now = self.clock()
        number = await self.store.next_sequence("projects")
        doc = {
            "code": f"{CODE_PREFIX}{now.year}{number:04d}",
            "name": name,
            "enterprise": enterprise,
            "contact": {
                "name_enc": self.cipher.encrypt(contact_name, CONTEXT_NAME),
                "phone_enc": self.cipher.encrypt(phone, CONTEXT_PHONE),
                "name_masked": mask_name(contact_name),
                "phone_masked": mask_phone(phone),
            },
            "investment_wan": float(investment),
            "county": _text(body.get("county"), "county", required=False, max_len=20),
            "mode": mode,
            "staff": _text(body.get("staff"), "staff", required=False, max_len=40),
            "sample": bool(sample),
            "bind_code": new_bind_code(),
            "bound_openid": None,
            "steps": [],
            "next_step": 1,
            "version": 0,
            "created_at": now,
            "created_by": by,
        }
        await self.projects.insert_one(doc)
        log.info("project %s registered by %s", doc["code"], by)
        return doc

    async def get(self, code: str) -> dict:
        doc = await self.projects.find_one({"code": code})
        if doc is None:
            raise NotFound(f"no project {code!r}")
        return doc

    async def page(self, query: dict | None = None, limit: int = 200) -> list[dict]:
        cursor = self.projects.find(query or {}).sort("created_at", -1).limit(limit)
        return [doc async for doc in cursor]

    def contact(self, project: dict) -> dict:
        """The contact in clear, for the notification service and audited staff views only."""
        c = project["contact"]
        return {
            "name": self.cipher.decrypt(c["name_enc"], CONTEXT_NAME),
            "phone": self.cipher.decrypt(c["phone_enc"], CONTEXT_PHONE),
        }

    # ---- steps ----

    async def add_step(self, code: str, body: dict, by: str) -> tuple[dict, dict]:
        department = _text(body.get("department"), "department", max_len=40)
        item = _text(body.get("item"), "item", max_len=80)
        workdays = body.get("workdays")
        if isinstance(workdays, bool) or not isinstance(workdays, int) or not 1 <= workdays <= MAX_WORKDAYS:
            raise ProjectError(f"'workdays' must be a whole number from 1 to {MAX_WORKDAYS}")
        stage = body.get("stage", 1)
        if isinstance(stage, bool) or not isinstance(stage, int) or not 1 <= stage <= 20:
            raise ProjectError("'stage' must be a whole number from 1 to 20")
        project = await self.get(code)
        catalogue = self.item_lookup(item)
        step = {
            "id": project["next_step"],
            "department": department,
            "item_code": catalogue["code"] if catalogue else None,
            "item_name": catalogue["name"] if catalogue else item,
            "workdays": workdays,
            "stage": stage,
            "status": "pending",
            "received_at": None,
            "due_date": None,
            "approved_on": None,
            "history": [{"to": "pending", "by": by, "at": self.clock(), "note": ""}],
        }
        steps = [*project["steps"], step]
        started = sorted({s["stage"] for s in project["steps"] if s["stage"] > stage and s["status"] != "pending"})
        if started:
            raise Conflict(f"stage {started[0]} has already started: add the step to stage {started[0]} or later")
        await self._save(project, steps, {"next_step": step["id"] + 1})
        return await self.get(code), step

    async def transition(self, code: str, step_id: int, to: str, by: str, note: str = "") -> tuple[dict, dict]:
        if not by:
            raise ProjectError("'staff' (who is acting) is required")
        project = await self.get(code)
        steps = [dict(s) for s in project["steps"]]
        step = next((s for s in steps if s["id"] == step_id), None)
        if step is None:
            raise NotFound(f"project {code} has no step {step_id}")
        check_transition(steps, step, to, note)
        now = self.clock()
        today = self.today()
        step["history"] = [*step["history"], {"from": step["status"], "to": to, "by": by, "at": now, "note": note}]
        step["status"] = to
        if to == "received":
            step["received_at"] = now
            step["due_date"] = self.calendar.add_workdays(today, step["workdays"]).isoformat()
        elif to == "approved":
            step["approved_on"] = today.isoformat()
        await self._save(project, steps)
        project = await self.get(code)
        if self.notices is not None:
            await self.notices.step_changed(project, step)
        return project, step

    async def _save(self, project: dict, steps: list[dict], extra: dict | None = None) -> None:
        result = await self.projects.update_one(
            {"_id": project["_id"], "version": project["version"]},
            {"$set": {"steps": steps, **(extra or {})}, "$inc": {"version": 1}},
        )
        if result.modified_count != 1:
            raise Conflict(f"project {project['code']} changed meanwhile: reload and try again")

    # ---- the contact in WeChat ----

    async def bind(self, bind_code: str, openid: str) -> dict | None:
        """Bind the contact's openid with the one-time code; None when the code is unknown or used."""
        found = await self.projects.find_one_and_update(
            {"bind_code": bind_code.upper()},
            {"$set": {"bound_openid": openid, "bound_at": self.clock()}, "$unset": {"bind_code": ""}},
        )
        return found

    async def bound_to(self, openid: str) -> list[dict]:
        return [doc async for doc in self.projects.find({"bound_openid": openid}).sort("created_at", -1)]
