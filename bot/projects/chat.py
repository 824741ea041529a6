"""The enterprise contact in WeChat: bind with the one-time code, ask for the project's progress."""

from __future__ import annotations

import re

from bot.projects.notices import step_line

BIND = re.compile(r"^\s*(?:绑定码?[:：\s]*)?(BD[2-9A-HJKMNP-Z]{6})\s*$", re.IGNORECASE)
# "项目进度", "我们项目审批到哪了": not "建设项目审批要什么材料" (a question about an item) nor a bare
# "审批进度" (a resident may mean their booking).
PROGRESS = re.compile(r"项目(的)?(进度|进展)|项目.{0,6}(到哪|怎么样了|办到|批到)")

NOT_BOUND = "您还没有绑定项目。请发送项目代办员给您的绑定码（BD开头的8位字母数字）。"
BOUND_HINT = "审批进度有变化会通知您，也可随时回复“项目进度”查询。"
BAD_CODE = "这个绑定码不对或已经用过了，请核对后重新发送，或联系项目代办员重新获取。"


class ProjectChat:
    def __init__(self, service):
        self.service = service

    def commands(self) -> list:
        """(pattern, async command(turn)) pairs for the assistant's text commands."""
        return [(BIND, self.bind), (PROGRESS, self.progress)]

    async def bind(self, turn) -> str:
        code = BIND.match(turn.text).group(1).upper()
        project = await self.service.bind(code, turn.openid)
        if project is None:
            return BAD_CODE
        return f"绑定成功！您已绑定项目「{project['name']}」（{project['code']}）。\n" + BOUND_HINT

    async def progress(self, turn) -> str:
        projects = await self.service.bound_to(turn.openid)
        if not projects:
            return NOT_BOUND
        return "\n\n".join(progress_text(p) for p in projects)


def progress_text(project: dict) -> str:
    lines = [f"项目「{project['name']}」（{project['code']}）审批进度："]
    if not project["steps"]:
        lines.append("审批环节还在安排中，代办员会尽快联系您。")
    stage = None
    for step in sorted(project["steps"], key=lambda s: (s["stage"], s["id"])):
        if step["stage"] != stage:
            stage = step["stage"]
            lines.append(f"第{stage}阶段：")
        lines.append(f"· {step_line(step)}")
    return "\n".join(lines)
