"""The snapshot quarter: one value type for the as-of quarter ('2019Q2' in URLs and the warehouse, ending
2019-06-30). No dashboard imports, so every module can use it."""

from __future__ import annotations

import dataclasses
import re

QUARTER_PATTERN = re.compile(r"^(20\d\d)Q([1-4])$")
_END = {1: "03-31", 2: "06-30", 3: "09-30", 4: "12-31"}


@dataclasses.dataclass(frozen=True, order=True)
class Quarter:
    """A snapshot quarter: '2019Q2' in URLs and the warehouse, ending 2019-06-30."""

    year: int
    number: int  # 1..4

    @classmethod
    def parse(cls, label: str | None) -> Quarter | None:
        """'2019Q2' → Quarter; anything else → None."""
        m = QUARTER_PATTERN.match(label or "")
        return cls(int(m.group(1)), int(m.group(2))) if m else None

    @classmethod
    def of_date(cls, d) -> Quarter:
        """The quarter a date (date or 'YYYY-MM-DD…') falls in."""
        s = str(d)[:10]
        return cls(int(s[:4]), (int(s[5:7]) - 1) // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def end(self) -> str:
        """The quarter-end date, 'YYYY-MM-DD'."""
        return f"{self.year}-{_END[self.number]}"

    def __str__(self) -> str:
        return self.label
