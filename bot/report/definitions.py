"""What each figure means, in words a supervisor can read out (shown next to every figure and in exports)."""

from __future__ import annotations

DEFINITIONS: dict[str, tuple[str, str]] = {
    "received": ("接件", "统计时段内提交的代办、上门预约数（按提交时间）。"),
    "completed": ("办结", "统计时段内办结的预约数（按办结时间）。"),
    "on_time": ("按时办结率", "办结日期不晚于承诺办结日期（按工作日计算）的件数 ÷ 统计时段内办结的件数。"),
    "late": ("超时办结", "办结日期晚于承诺办结日期的件数。"),
    "overdue_open": ("逾期未办结", "统计时段内提交、现在仍未办结且已过承诺办结日期的预约数。"),
    "open": ("在办", "统计时段内提交、现在仍在办理中的预约数（已提交、已受理、已派单、办理中）。"),
    "satisfaction": (
        "满意率",
        "评价为“非常满意”或“满意”的次数 ÷ 评价总次数（五级评价：非常满意、满意、基本满意、不满意、非常不满意）。",
    ),
    "complaints": ("差评", "评价为“不满意”或“非常不满意”的次数。"),
    "followed_up": ("差评按时整改率", "在规定工作日内完成整改回访的差评数 ÷ 差评总数（期限未到且未整改的不计入分母）。"),
    "messages": ("群众留言", "统计时段内群众在公众号发来的消息数（文字、语音、图片、位置和菜单点击等）。"),
    "questions": ("咨询", "群众发来的文字和语音消息数。"),
    "residents": ("服务群众", "统计时段内发过消息的不同群众人数（按微信用户计）。"),
    "bot_answered": ("机器人解答", "机器人作答的消息数（不含转给人工后由人工处理的消息）。"),
    "bot_unanswered": ("机器人未能解答", "机器人回复“答不上来”、没听清语音或看不懂消息类型的次数。"),
    "bot_answer_rate": ("机器人解答率", "机器人解答数 ÷（机器人解答数 + 未能解答数）。"),
    "transfers": ("转人工", "统计时段内转给人工客服的会话数（群众要求、机器人两次没听懂、投诉、差评回访）。"),
    "transfer_success": (
        "转接成功率",
        "在规定时间内（工作时间内计）由工作人员首次回复的转人工会话数 ÷ 转人工会话数（仍在排队且未超时的不计入分母）。",
    ),
    "first_response": ("首次响应时间", "转人工后到工作人员首次回复的工作时间，取中位数和 90% 分位数。"),
    "hotline_calls": ("96128 查询", "工作人员登记的 96128 来电数。"),
    "hotline_transferred": ("96128 转接", "来电中转给业务部门或专人处理的次数。"),
    "hotline_transfer_success": ("96128 转接成功率", "转接后有人接听处理的次数 ÷ 转接次数。"),
    "hotline_satisfaction": ("96128 满意率", "来电评价为“非常满意”或“满意”的次数 ÷ 有评价的来电数。"),
}


def label(key: str) -> str:
    return DEFINITIONS[key][0]


def definition(key: str) -> str:
    return DEFINITIONS[key][1]
