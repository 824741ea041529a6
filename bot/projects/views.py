"""JSON views of projects and steps for the API and console: contact masked, dates as ISO strings."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.bookings.service import CHINA
from bot.projects.steps import MODES, STATUS_LABELS, current_stage, days_left, is_overdue


def china_date(at: datetime | None) -> str | None:
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(CHINA).date().isoformat()


def step_view(step: dict, today: date) -> dict:
    return {
        "id": step["id"],
        "stage": step["stage"],
        "department": step["department"],
        "item_code": step["item_code"],
        "item_name": step["item_name"],
        "workdays": step["workdays"],
        "status": step["status"],
        "status_label": STATUS_LABELS[step["status"]],
        "received_at": step["received_at"].isoformat() if step.get("received_at") else None,
        "received_on": china_date(step.get("received_at")),
        "due_date": step["due_date"],
        "approved_on": step["approved_on"],
        "days_left": days_left(step, today),
        "overdue": is_overdue(step, today),
        "history": [
            {"from": h.get("from"), "to": h["to"], "by": h["by"], "at": h["at"].isoformat(), "note": h.get("note", "")}
            for h in step["history"]
        ],
    }


def project_view(project: dict, today: date) -> dict:
    steps = [step_view(s, today) for s in sorted(project["steps"], key=lambda s: (s["stage"], s["id"]))]
    return {
        "code": project["code"],
        "name": project["name"],
        "enterprise": project["enterprise"],
        "contact_name": project["contact"]["name_masked"],
        "contact_phone": project["contact"]["phone_masked"],
        "investment_wan": project["investment_wan"],
        "county": project["county"],
        "mode": project["mode"],
        "mode_label": MODES[project["mode"]],
        "staff": project["staff"],
        "sample": project["sample"],
        "bound": bool(project.get("bound_openid")),
        "current_stage": current_stage(project["steps"]),
        "overdue": any(s["overdue"] for s in steps),
        "steps": steps,
        "created_at": project["created_at"].isoformat(),
    }
