"""Run-wide objects handed to Scrapy through its settings must stay one object.

Scrapy deep-copies its settings for every crawler. The budget, the clock, the PACER
session and the harvest itself hold the run's state (money booked, the token, the
database), so a copy per spider would let each spider spend the whole budget again.
"""

from __future__ import annotations

from typing import Any


class SharedInSettings:
    """Mixin: copying returns the object itself."""

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self
