"""A rate is a numerator over a denominator, always shown with both (e.g. `100% (1/1)`)."""

from __future__ import annotations

from dataclasses import dataclass


def percent(value: float) -> str:
    """91.35, 98.6, 100: at most two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Rate:
    num: int
    den: int

    @property
    def value(self) -> float | None:
        return 100.0 * self.num / self.den if self.den else None

    @property
    def text(self) -> str:
        if not self.den:
            return f"— ({self.num}/{self.den})"
        return f"{percent(self.value)}% ({self.num}/{self.den})"

    def __str__(self) -> str:
        return self.text

    def as_dict(self) -> dict:
        return {
            "num": self.num,
            "den": self.den,
            "percent": None if self.value is None else round(self.value, 2),
            "text": self.text,
        }


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of ascending values; the median is p=50 of an odd count,
    the mean of the two middle values of an even count."""
    n = len(sorted_values)
    if not n:
        return None
    if p == 50:
        mid = n // 2
        return float(sorted_values[mid]) if n % 2 else (sorted_values[mid - 1] + sorted_values[mid]) / 2
    import math

    rank = max(1, math.ceil(p / 100 * n))
    return float(sorted_values[rank - 1])
