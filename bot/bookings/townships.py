"""Where a resident lives, from what they type: the townships (乡、镇、街道) of 昭通's 11 county-level divisions.

The full list ships as data (data/townships.yaml, to be checked against the civil-affairs list), so "北闸镇"
or "我在北闸" is understood even where no township service centre takes bookings online; such a place is
served by its county's centre. Unknown text gets the counties and "其他" as a fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from knowledge_base.yamlfile import read_yaml

TOWNSHIPS_FILE = Path(__file__).parent / "data" / "townships.yaml"
# "小龙洞回族彝族乡" -> "小龙洞": what people say without the kind of township.
SUFFIX = re.compile(r"((回族|彝族|苗族)*(乡|镇|街道|街道办事处|办事处))$")
COUNTY_SUFFIX = re.compile(r"(区|县|市)$")
PLACE_ENDING = re.compile(r"(村|社区|区|县|市)$")


@dataclass(frozen=True)
class Township:
    name: str  # 北闸镇
    county: str  # 昭阳区

    @property
    def stem(self) -> str:
        return SUFFIX.sub("", self.name)


def load_townships(path: Path = TOWNSHIPS_FILE) -> list[Township]:
    data = read_yaml(path)
    return [Township(name, county) for county, names in data.items() for name in names]


class TownshipList:
    def __init__(self, townships: list[Township] | None = None):
        self.all = townships if townships is not None else load_townships()
        self.counties = list(dict.fromkeys(t.county for t in self.all))

    def match(self, text: str) -> list[Township]:
        """Townships the text names, best first: a full name beats a stem; a named county narrows them down."""
        text = re.sub(r"\s+", "", text or "")
        if not text:
            return []
        full = [t for t in self.all if t.name in text]
        found = full or [t for t in self.all if len(t.stem) >= 2 and t.stem in text]
        if len(found) > 1:
            county = self.county_in(text)
            found = [t for t in found if t.county == county] or found
            longest = max(len(t.stem) for t in found)
            found = [t for t in found if len(t.stem) == longest]
        return found

    def names_a_place(self, text: str) -> bool:
        """Is the text a place ("北闸镇", "太平", "火星镇"): a township or county we know, or a short name with a
        township's, village's or county's ending? Then it answers "which township", not a new question."""
        text = re.sub(r"\s+", "", text or "")
        if self.match(text) or self.county_in(text):
            return True
        return len(text) <= 12 and bool(SUFFIX.search(text) or PLACE_ENDING.search(text))

    def county_in(self, text: str) -> str | None:
        """The county-level division named in the text ("昭阳区", or just "昭阳")."""
        for county in self.counties:
            if county in text or COUNTY_SUFFIX.sub("", county) in text:
                return county
        return None
