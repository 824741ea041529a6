"""The five satisfaction levels of the government-service rating system (好差评), shared by bookings and hand-off.

Stored as a score 1..5; 非常满意 and 满意 count as satisfied in the report (满意率).
"""

from __future__ import annotations

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
SATISFIED = (5, 4)
# 不满意 or below goes back to the staff queue as a complaint (差评 to be followed up).
COMPLAINT_AT_OR_BELOW = 2


def label(score: int) -> str:
    return LEVELS[score]


def is_complaint(score: int) -> bool:
    return score <= COMPLAINT_AT_OR_BELOW


def menu() -> str:
    """The choices as a resident sees them: one line per level, best first."""
    return "\n".join(f"{score} {name}" for score, name in LEVELS.items())
