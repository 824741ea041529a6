"""Rules of a project's approval steps: statuses, legal transitions, stages and due dates (no I/O)."""

from __future__ import annotations

from datetime import date

MODES = {"parallel": "并联审批", "linked": "联动审批", "proxy": "代办"}
STATUS_LABELS = {"pending": "待受理", "received": "办理中", "approved": "已办结", "returned": "已退回"}
# from -> allowed targets; a returned step can be received again once the enterprise resubmits.
TRANSITIONS = {"pending": ("received",), "received": ("approved", "returned"), "returned": ("received",), "approved": ()}
MAX_WORKDAYS = 365


class ProjectError(Exception):
    """A domain error; `message` is precise enough for staff and API clients."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(ProjectError):
    pass


class Conflict(ProjectError):
    """The request is well formed but the project's state does not allow it (HTTP 409)."""


def current_stage(steps: list[dict]) -> int | None:
    """The lowest stage that still has a step not approved; None when every step is approved."""
    open_stages = [s["stage"] for s in steps if s["status"] != "approved"]
    return min(open_stages) if open_stages else None


def check_transition(steps: list[dict], step: dict, to: str, note: str) -> None:
    """Raise ProjectError/Conflict unless `step` may move to `to` now."""
    if to not in STATUS_LABELS or to == "pending":
        raise ProjectError(f"'to' must be one of ['approved', 'received', 'returned'], not {to!r}")
    if to not in TRANSITIONS[step["status"]]:
        raise Conflict(f"step {step['id']} is {step['status']}: it cannot become {to}")
    if to == "returned" and not note:
        raise ProjectError("'note' (the reason for returning) is required when 'to' is 'returned'")
    stage = current_stage(steps)
    if to == "received" and stage is not None and step["stage"] > stage:
        raise Conflict(f"step {step['id']} is in stage {step['stage']}: stage {stage} is not complete yet")


def days_left(step: dict, today: date) -> int | None:
    """Calendar days until the due date (negative: late); None when the step is not running."""
    if step["status"] != "received" or not step.get("due_date"):
        return None
    return (date.fromisoformat(step["due_date"]) - today).days


def is_overdue(step: dict, today: date) -> bool:
    left = days_left(step, today)
    return left is not None and left < 0


def finished_on_time(step: dict) -> bool | None:
    """For an approved step: was it approved by its due date (China date)?"""
    if step["status"] != "approved" or not step.get("due_date") or not step.get("approved_on"):
        return None
    return step["approved_on"] <= step["due_date"]
