"""How values are written for a person: relative dates, ages, score cells.

One clock serves every "how long ago": tests freeze it instead of patching
``datetime`` in each module that shows a date.
"""

from __future__ import annotations

from datetime import UTC, datetime

# Eight heights of a one-cell bar: enough to compare two scores at a glance.
_BAR = " ▁▂▃▄▅▆▇█"


class Clock:
    """The current time; ``freeze`` pins it (for tests and snapshots)."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen if self._frozen is not None else datetime.now(UTC)

    def freeze(self, moment: datetime | None) -> None:
        """Pin "now" to an aware datetime; None lets it run again."""
        self._frozen = moment


clock = Clock()


def score_cell(value: int | None, scale: int = 100) -> tuple[str, float | None]:
    """A one-cell bar and the number, e.g. ``▆  78``; ``    -`` without data; and the level from 0 to 1."""
    if value is None:
        return "    -", None
    fraction = max(0.0, min(value / scale, 1.0))
    return f"{_BAR[max(1, round(fraction * 8))]} {value:>3}", fraction


def relative_date(moment: datetime | None, now: datetime | None = None) -> str:
    """``45m``, ``3h``, ``2d`` within a week; the local date otherwise."""
    if moment is None:
        return ""
    seconds = ((now or clock.now()) - moment).total_seconds()
    if 0 <= seconds < 3600:
        return f"{max(int(seconds // 60), 1)}m"
    if 0 <= seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if 0 <= seconds < 7 * 86400:
        return f"{int(seconds // 86400)}d"
    return moment.astimezone().strftime("%Y-%m-%d")


def age(moment: datetime, now: datetime | None = None) -> str:
    """How long ago, in words a reader takes in at once: ``3 hours ago``, ``5 years ago``."""
    seconds = ((now or clock.now()) - moment).total_seconds()
    if seconds < 0:
        return "in the future"
    for unit, size in (
        ("year", 365.25 * 86400),
        ("month", 30.44 * 86400),
        ("week", 7 * 86400),
        ("day", 86400),
        ("hour", 3600),
        ("minute", 60),
    ):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def date_line(moment: datetime | None) -> str:
    """The detail pane's date: local time with its zone, and the age (``Thu 01 Jul 2021, 14:00 CEST (2 weeks ago)``)."""
    if moment is None:
        return "no date"
    local = moment.astimezone()
    zone = local.strftime("%Z") or local.strftime("UTC%z")
    return f"{local.strftime('%a %d %b %Y, %H:%M')} {zone} ({age(moment)})"


def short_date(moment: datetime | None) -> str:
    """A local date, ``2021-07-01``, or ``no date``."""
    return moment.astimezone().strftime("%Y-%m-%d") if moment is not None else "no date"
