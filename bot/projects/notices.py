"""Tells a project's contact about each step change through the one notification service."""

from __future__ import annotations

from bot.bookings.dateparse import month_day
from bot.notifications.service import Recipient
from bot.notifications.templates import china_time
from bot.projects.steps import STATUS_LABELS


def step_line(step: dict) -> str:
    """第1阶段 市自然资源和规划局 用地预审：办理中，预计12月18日前办结"""
    text = f"{step['department']} {step['item_name']}：{STATUS_LABELS[step['status']]}"
    if step["status"] == "received" and step.get("due_date"):
        text += f"，预计{month_day(step['due_date'])}前办结"
    if step["status"] == "returned":
        reason = next((h["note"] for h in reversed(step["history"]) if h["to"] == "returned"), "")
        text += f"（{reason}）" if reason else ""
    return text


class ProjectNotices:
    def __init__(self, notifications, cipher_contact):
        self.notifications = notifications
        self.contact = cipher_contact  # project -> {"name", "phone"} in clear

    async def step_changed(self, project: dict, step: dict) -> None:
        entry = step["history"][-1]
        text = f"您的项目「{project['name']}」审批进度更新：\n{step_line(step)}\n回复“项目进度”查看全部环节。"
        to = Recipient(
            openid=project.get("bound_openid"), phone=self.contact(project)["phone"], role="enterprise", label="项目联系人"
        )
        fields = {
            "number": project["code"],
            "item": f"{step['department']} {step['item_name']}",
            "status": STATUS_LABELS[step["status"]],
            "time": china_time(entry["at"]),
            "note": entry.get("note") or STATUS_LABELS[step["status"]],
        }
        await self.notifications.enqueue(
            "project_step", to, text, fields, subject=f"project:{project['code']}", template="booking_status"
        )
