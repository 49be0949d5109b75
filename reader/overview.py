"""The picture of a tree node: articles per day, how quality and heat are spread, who and what dominates.

Computed from the summaries alone (no file is read), in a handful of passes that
run mostly at C speed (``attrgetter``, ``Counter``, ``compress``), in the order
the articles lie in memory. A node of most of the library is counted as the
tree's counts less those of the articles left out. On the 2-core development
machine (busy: load 2 to 5), best of five for 100,000 articles: 45 to 50 ms for
the whole library, 60 to 95 ms for all but one or for half of it (the slowest
case), 25 to 45 ms for a topic of 14,000. The overview screen computes it in a
thread each time it opens instead of keeping it up to date.

Days are local days, as the list shows dates. The window is the last
``DAYS`` days up to today; when every article of the node is older than
that (the bundled sample is from 2021), it ends on the day of the newest
article instead, so an old library still has a shape.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import compress

from .columns import NO_SCORE
from .library import Library
from .model import name_key

DAYS = 30  # the articles-per-day window
BUCKETS = 10  # histogram buckets of quality and heat: 0–9, 10–19, … 90 and over
TOP = 8  # providers and topics listed

Ranked = tuple[tuple[str, int], ...]
_FLIP = bytes([1, 0]).ljust(256, b"\0")  # bytes.translate table: 0 <-> 1, for the articles not chosen


@dataclass(frozen=True, slots=True)
class Overview:
    """What the overview screen draws, for one set of articles."""

    total: int  # articles in the node
    first_day: date  # the first local day of the window; ``per_day`` has one count for each day
    per_day: tuple[int, ...]  # articles published each day of the window, oldest first
    before: int  # dated before the window
    after: int  # dated after it (published in the future)
    undated: int
    anchored: bool  # True: nothing is recent, so the window ends on the newest article's day, not today
    quality: tuple[int, ...]  # BUCKETS counts: 0–9, 10–19, … 90 and over
    heat: tuple[int, ...]
    no_quality: int
    no_heat: int
    providers: Ranked  # the TOP providers with the most articles here, with their counts
    topics: Ranked  # the TOP topics, named as the tree names them

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=len(self.per_day) - 1)

    @property
    def days(self) -> tuple[date, ...]:
        return tuple(self.first_day + timedelta(days=n) for n in range(len(self.per_day)))


def bucket_label(bucket: int) -> str:
    """``0–9``, ``10–19``, … ``90+``: the last bucket takes every score from 90 up."""
    low = bucket * (100 // BUCKETS)
    return f"{low}+" if bucket == BUCKETS - 1 else f"{low}–{low + 100 // BUCKETS - 1}"


def overview(library: Library, indexes: Sequence[int], now: datetime) -> Overview:
    """The overview of the articles at ``indexes`` (a node's view), with the window ending at ``now``.

    ``now`` is an aware datetime (``format.clock.now()``); days are the local days of this machine.
    """
    columns = library.articles
    whole = len(indexes) == len(columns)  # a view holds each index once: this is every article
    # Column by column, in index order (not the view's): no summary object is made.
    mask = bytearray(len(columns))
    if not whole:
        for index in indexes:
            mask[index] = 1
    total = len(indexes)
    rest_mask = mask.translate(_FLIP) if not whole and 2 * total > len(columns) else None  # the fewer, left out

    def chosen(column: Sequence) -> Sequence:
        return column if whole else list(compress(column, mask))

    def rest(column: Sequence) -> list:
        return list(compress(column, rest_mask)) if rest_mask is not None else []

    stamps = [stamp for stamp in chosen(columns.dates) if stamp == stamp]  # NaN: no date
    stamps.sort()
    undated = total - len(stamps)
    today = now.astimezone().date()
    last_day, anchored = today, False
    if stamps and stamps[-1] < _midnight(today - timedelta(days=DAYS - 1)):
        last_day, anchored = datetime.fromtimestamp(stamps[-1]).date(), True
    first_day = last_day - timedelta(days=DAYS - 1)
    # Local midnights, DST included: bounds[n] starts day n; the last one ends the window.
    bounds = [_midnight(first_day + timedelta(days=n)) for n in range(DAYS + 1)]
    cuts = [bisect_left(stamps, bound) for bound in bounds]  # stamps is sorted: a day is the gap between two cuts
    per_day = tuple(cuts[n + 1] - cuts[n] for n in range(DAYS))

    quality, no_quality = _histogram(Counter(chosen(columns.quality)))
    heat, no_heat = _histogram(Counter(chosen(columns.heat)))

    if whole or rest_mask is not None:
        # The tree's own counts, already made (the costliest pass at 100,000), less those of the
        # articles left out: a node of most of the library costs what its complement does.
        by_provider = Counter(library.provider_counts)
        by_provider.subtract(_provider_counts(rest(columns.provider_codes), library))
        by_topic = Counter(library.topic_counts)
        by_topic.subtract(_topic_counts(rest(columns.topic_codes), library))
    else:
        by_provider = _provider_counts(chosen(columns.provider_codes), library)
        by_topic = _topic_counts(chosen(columns.topic_codes), library)

    return Overview(
        total=total,
        first_day=first_day,
        per_day=per_day,
        before=cuts[0],
        after=len(stamps) - cuts[-1],
        undated=undated,
        anchored=anchored,
        quality=quality,
        heat=heat,
        no_quality=no_quality,
        no_heat=no_heat,
        providers=_ranked(by_provider),
        topics=_ranked(by_topic),
    )


def _provider_counts(codes: Sequence[int], library: Library) -> Counter[str]:
    counts: Counter[str] = Counter()
    providers = library.articles.providers
    for code, count in Counter(codes).items():
        counts[providers[code].label] += count  # once per distinct provider
    return counts


def _topic_counts(codes: Sequence[int], library: Library) -> Counter[str]:
    """Articles per topic, under the names the tree shows (the library's merged names)."""
    counts: Counter[str] = Counter()
    if not codes:
        return counts
    # An article names each topic once (loading merges "AI" and "ai"), so mentions are articles.
    shown = {name_key(name): name for name in library.topic_counts}
    topic_lists = library.articles.topic_lists
    for code, count in Counter(codes).items():  # once per distinct list of topics
        for topic in topic_lists[code]:
            counts[shown.get(name_key(topic), topic)] += count  # "ai" counts under the tree's "AI"
    return counts


def _midnight(day: date) -> float:
    """The timestamp at which a local day starts (a naive datetime is local time)."""
    return datetime.combine(day, time()).timestamp()


def _histogram(values: Counter[int]) -> tuple[tuple[int, ...], int]:
    """BUCKETS counts from a count of each score (NO_SCORE: none), and how many had no score."""
    buckets = [0] * BUCKETS
    step = 100 // BUCKETS
    for value, count in values.items():
        if value != NO_SCORE:
            buckets[min(value // step, BUCKETS - 1)] += count
    return tuple(buckets), values.get(NO_SCORE, 0)


def _ranked(counts: Counter[str]) -> Ranked:
    """The TOP names with the most articles (none without); equal counts in the tree's order (case-folded name)."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold(), item[0]))
    return tuple(item for item in ranked[:TOP] if item[1] > 0)
