"""The ``v`` screen: a picture of the chosen node, drawn in the terminal.

Articles per day over the last 30 days (a ``Sparkline``), how quality and
heat are spread (ten buckets each, as text bars) and the providers and
topics with the most articles. The numbers come from ``reader.overview``,
computed in a thread when the screen opens: at 100,000 articles that is a
tenth of a second the keys never wait for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Sparkline, Static
from textual.worker import Worker, WorkerState

from ..format import clock
from ..library import Library
from ..overview import BUCKETS, DAYS, Overview, Ranked, bucket_label, overview
from ..text import counted

# Eighths of a cell: a bar's length is read to within an eighth of its width.
_EIGHTHS = " ▏▎▍▌▋▊▉"
LABEL_WIDTH = len("no data")
HISTOGRAM_BAR = 18  # cells for the largest bucket; a row is label, bar and count in half the box (80 columns)
NAME_WIDTH = 18  # a provider's or topic's name, cut with … beyond it
NAME_BAR = 8
SPARK_WIDTH = 2 * DAYS  # two cells a day: every day the same width


class OverviewScreen(ModalScreen[None]):
    """Counts of one node's articles, by day, by score and by name."""

    BINDINGS = [Binding("escape,q,v", "dismiss", "Close", id="overview.close")]

    def __init__(self, library: Library, indexes: Sequence[int], label: str) -> None:
        super().__init__()
        self.library = library
        self.indexes = indexes
        self.label = label
        self.overview: Overview | None = None  # set once counted

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="overview-box") as box:
            box.border_title = Content(f"Overview · {self.label}")  # Content: a topic name is never markup
            box.border_subtitle = "Esc to close"
            loading = (
                "" if self.library.complete else f" (still loading: {counted(len(self.library), 'article')} so far)"
            )
            yield Static(Content(f"Counting…{loading}"), id="overview-summary")
            yield Static(Content.styled("Articles per day", "bold $accent"), id="overview-days-heading")
            yield Sparkline([], id="overview-days")
            yield Static(Content(""), id="overview-axis")
            with Horizontal(classes="overview-columns"):
                with Vertical(classes="overview-column"):
                    yield Static(Content("Quality"), classes="overview-heading")
                    yield Static(Content(""), id="overview-quality")
                with Vertical(classes="overview-column"):
                    yield Static(Content("Heat"), classes="overview-heading")
                    yield Static(Content(""), id="overview-heat")
            with Horizontal(classes="overview-columns"):
                with Vertical(classes="overview-column"):
                    yield Static(Content("Top providers"), classes="overview-heading")
                    yield Static(Content(""), id="overview-providers")
                with Vertical(classes="overview-column"):
                    yield Static(Content("Top topics"), classes="overview-heading")
                    yield Static(Content(""), id="overview-topics")

    def on_mount(self) -> None:
        self._count(clock.now())

    @work(thread=True, exclusive=True, exit_on_error=False, name="overview")
    def _count(self, now) -> None:
        result = overview(self.library, self.indexes, now)
        self.app.call_from_thread(self._show, result)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:  # a bug, not the user's data: said, and the app goes on
            self.query_one("#overview-summary", Static).update(Content(f"Could not count: {event.worker.error}"))

    def _show(self, result: Overview) -> None:
        if not self.is_attached:
            return  # closed while counting
        self.overview = result
        self.query_one("#overview-summary", Static).update(_summary(result, self.library.complete))
        self.query_one("#overview-days-heading", Static).update(_days_heading(result))
        self.query_one("#overview-days", Sparkline).data = list(result.per_day)
        self.query_one("#overview-axis", Static).update(_axis(result))
        self.query_one("#overview-quality", Static).update(_histogram(result.quality, result.no_quality))
        self.query_one("#overview-heat", Static).update(_histogram(result.heat, result.no_heat))
        self.query_one("#overview-providers", Static).update(_ranking(result.providers, "no providers"))
        self.query_one("#overview-topics", Static).update(_ranking(result.topics, "no topics"))


def _summary(result: Overview, complete: bool) -> Content:
    dated = sum(result.per_day)
    parts = [counted(result.total, "article"), f"{dated:,} in these {DAYS} days"]
    if result.before:
        parts.append(f"{result.before:,} older")
    if result.after:
        parts.append(f"{result.after:,} dated in the future")
    if result.undated:
        parts.append(f"{result.undated:,} undated")
    text = " · ".join(parts)
    return Content(text if complete else f"{text} (still loading)")


def _days_heading(result: Overview) -> Content:
    span = f"{_day(result.first_day)} – {_day(result.last_day)} {result.last_day.year}"
    # An old library is shown up to its newest article, which the note says.
    note = f"{span} (none in the last {DAYS} days)" if result.anchored else span
    return Content.assemble(("Articles per day", "bold $accent"), ("  " + note, "$text-muted"))


def _axis(result: Overview) -> Content:
    """The first day under the sparkline's left end, the last under its right, the busiest day between."""
    left, right = _day(result.first_day), _day(result.last_day)
    most = max(result.per_day)
    middle = ""
    if most:
        busiest = result.days[result.per_day.index(most)]
        middle = f"most: {most:,} on {busiest.strftime('%a')} {_day(busiest)}"
    room = SPARK_WIDTH - len(left) - len(right) - len(middle)
    if room < 2:
        middle, room = "", SPARK_WIDTH - len(left) - len(right)
    before = room // 2
    return Content(left + " " * before + middle + " " * (room - before) + right)


def _day(day: date) -> str:
    return f"{day.day} {day.strftime('%b')}"


def bar(count: int, most: int, width: int) -> str:
    """A bar ``width`` cells long for ``most``, in eighths of a cell; a count above 0 always shows."""
    if count <= 0 or most <= 0:
        return ""
    eighths = max(round(count / most * width * 8), 1)
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def _histogram(buckets: tuple[int, ...], missing: int) -> Content:
    most = max(buckets)
    rows = []
    for bucket in reversed(range(BUCKETS)):  # the best at the top, as the list sorts
        count = buckets[bucket]
        rows.append(
            Content.assemble(
                (f"{bucket_label(bucket):>{LABEL_WIDTH}} ", "$text-muted"),
                (bar(count, most, HISTOGRAM_BAR).ljust(HISTOGRAM_BAR), "$accent"),
                f" {count:>7,}",
            )
        )
    rows.append(
        Content.assemble((f"{'no data':>{LABEL_WIDTH}} ", "$text-muted"), " " * HISTOGRAM_BAR, f" {missing:>7,}")
    )
    return Content("\n").join(rows)


def _ranking(ranked: Ranked, empty: str) -> Content:
    if not ranked:
        return Content.styled(empty, "$text-muted")
    most = ranked[0][1]
    return Content("\n").join(
        Content.assemble(
            Content(name).truncate(NAME_WIDTH, ellipsis=True, pad=True),
            " ",
            (bar(count, most, NAME_BAR).ljust(NAME_BAR), "$accent"),
            f" {count:>7,}",
        )
        for name, count in ranked
    )
