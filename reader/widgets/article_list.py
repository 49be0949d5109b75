"""The article list: one Line-API ScrollView over an index array.

No widget per row: the list holds a sequence of article indexes (a view of
the Library) and renders only the lines on screen, with a small cache of
rendered rows. Scrolling, moving the cursor or switching the order costs the
same at 10 or 100,000 rows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from ..commands import Scope, bindings
from ..format import clock, relative_date, score_cell
from ..library import Library, ListQuery, Marks, SortKey
from ..model import ArticleSummary
from ..text import fit

_ROW_CACHE_SIZE = 512

# The columns whose colours come from the theme, resolved against the row's
# background: the stylesheet's $text-muted is "auto 60%", which only means
# something over a known background (as a partial style it came out white).
_COLUMNS = (
    "article-list--match",
    "article-list--unread",
    "article-list--starred",
    "article-list--provider",
    "article-list--date",
    "article-list--draft",
    "article-list--score-low",
    "article-list--score-mid",
    "article-list--score-high",
    "article-list--heat-low",
    "article-list--heat-mid",
    "article-list--heat-high",
    "article-list--no-score",
)


class ArticleList(ScrollView, can_focus=True):
    """The articles of one tree node, in one order."""

    COMPONENT_CLASSES = {
        "article-list--cursor",
        "article-list--cursor-blurred",
        "article-list--provider",
        "article-list--date",
        "article-list--draft",
        "article-list--unread",
        "article-list--starred",
        "article-list--match",
        "article-list--empty",
        "article-list--score-low",
        "article-list--score-mid",
        "article-list--score-high",
        "article-list--heat-low",
        "article-list--heat-mid",
        "article-list--heat-high",
        "article-list--no-score",
    }

    BINDINGS = bindings(Scope.LIST)

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    @dataclass
    class Highlighted(Message):
        """The cursor is on another article (or on none: index is None)."""

        article_list: ArticleList
        index: int | None

        @property
        def control(self) -> ArticleList:
            return self.article_list

    @dataclass
    class WaitingForTheEnd(Message):
        """End was pressed while the library is still loading: the cursor goes to the last
        article when the whole library is in (``waiting`` False: it is, or the user moved on)."""

        waiting: bool

    @dataclass
    class Chosen(Message):
        """Enter (or a double click) on an article."""

        article_list: ArticleList
        index: int

        @property
        def control(self) -> ArticleList:
            return self.article_list

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.library: Library | None = None
        self.rows: Sequence[int] = ()
        self.empty_message = "Loading…"
        self.marks: Marks | None = None  # the reading state: unread rows stand out, starred ones carry ★
        self._terms: list[str] = []  # what the search matched, highlighted in titles
        self._row_cache: OrderedDict[tuple, Strip] = OrderedDict()
        self._now = clock.now()
        self._styles: dict[tuple[str, bool], Style] | None = None  # resolved per theme, see _style
        self._to_the_end = False  # End pressed before the whole library was in

    # --- what the list shows -------------------------------------------------

    def show(self, library: Library, rows: Sequence[int], keep: int | None = None) -> None:
        """Show these article indexes; keep the cursor on article ``keep`` if it is among them."""
        self.library = library
        self.rows = rows
        self._row_cache.clear()
        self._now = clock.now()
        self.virtual_size = Size(self.size.width, len(rows))
        position = 0
        if keep is not None:
            position = self._position_of(keep)
        if self._to_the_end and library.complete:
            position = len(rows) - 1  # the true last article, as End asked
            self._wait_for_the_end(False)
        self.cursor = position
        self.refresh()

    def _wait_for_the_end(self, waiting: bool) -> None:
        if waiting != self._to_the_end:
            self._to_the_end = waiting
            self.post_message(self.WaitingForTheEnd(waiting))

    def highlight(self, terms: list[str]) -> None:
        """Show where these search terms match in each title (``query.match_spans``)."""
        if terms != self._terms:
            self._terms = terms
            self._row_cache.clear()
            self.refresh()

    def show_marks(self, marks: Marks | None) -> None:
        """A new reading state: rows are drawn again with it (only the visible ones are)."""
        self.marks = marks
        self._row_cache.clear()
        self.refresh()

    def _position_of(self, index: int) -> int:
        # A linear search in C over an array: ~1 ms at 100,000 rows, done only on re-sorts.
        try:
            return self.rows.index(index)  # type: ignore[union-attr]
        except ValueError:
            return 0

    @property
    def highlighted(self) -> int | None:
        """The library index of the article under the cursor."""
        if not self.rows:
            return None
        return self.rows[min(self.cursor, len(self.rows) - 1)]

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        self._scroll_to_cursor()
        self.post_message(self.Highlighted(self, self.highlighted))

    def _refresh_row(self, position: int) -> None:
        y = position - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def on_resize(self, event: events.Resize) -> None:
        self._row_cache.clear()
        self.virtual_size = Size(event.size.width, len(self.rows))
        # A smaller window must not leave the highlighted row out of sight.
        self.call_after_refresh(self._scroll_to_cursor)

    def _scroll_to_cursor(self) -> None:
        self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, force=True, immediate=True)

    def notify_style_update(self) -> None:
        # A theme or CSS change: rows rendered with the old colours must go.
        super().notify_style_update()
        self._row_cache.clear()
        self._styles = None

    def on_focus(self) -> None:
        self._row_cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._row_cache.clear()
        self.refresh()

    # --- actions -------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self._wait_for_the_end(False)
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self._wait_for_the_end(False)
        self.cursor += 1

    def action_page_up(self) -> None:
        self._wait_for_the_end(False)
        self.cursor -= max(self.scrollable_content_region.height - 1, 1)

    def action_page_down(self) -> None:
        self._wait_for_the_end(False)
        self.cursor += max(self.scrollable_content_region.height - 1, 1)

    def action_first(self) -> None:
        self._wait_for_the_end(False)
        self.cursor = 0

    def action_last(self) -> None:
        # The last row of a library still loading is not the last article: End waits for it.
        self._wait_for_the_end(self.library is not None and not self.library.complete)
        self.cursor = len(self.rows) - 1

    def action_choose(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.Chosen(self, self.highlighted))

    def on_click(self, event: events.Click) -> None:
        position = event.y + self.scroll_offset.y
        if 0 <= position < len(self.rows):
            self.cursor = position
            if event.chain >= 2:
                self.action_choose()

    # --- rendering -------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        position = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        if not self.rows or self.library is None:
            if y == 0:
                style = self.get_component_rich_style("article-list--empty")
                return Strip([Segment(set_cell_size(f" {self.empty_message}", width), style)])
            return Strip.blank(width, self.rich_style)
        if position >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        index = self.rows[position]
        selected = position == self.cursor
        article_id = self.library.ids()[index]
        marks = self.marks
        unread = marks is not None and article_id not in marks.read
        starred = marks is not None and article_id in marks.starred
        key = (index, width, selected, self.has_focus, unread, starred)
        strip = self._row_cache.get(key)
        if strip is None:
            # A summary is made from the library's columns only for a row drawn anew.
            strip = self._render_row(self.library.articles[index], width, selected, unread, starred)
            self._row_cache[key] = strip
            if len(self._row_cache) > _ROW_CACHE_SIZE:
                self._row_cache.popitem(last=False)
        else:
            self._row_cache.move_to_end(key)
        return strip

    def _render_row(self, article: ArticleSummary, width: int, selected: bool, unread: bool, starred: bool) -> Strip:
        base = self._row_style(selected)

        def style(name: str) -> Style:
            return self._style(name, selected)

        quality, quality_level = score_cell(article.quality)
        heat, heat_level = score_cell(article.heat)
        date = relative_date(article.published_at, self._now)
        provider_width = _provider_width(width)
        title_width = _title_width(width, provider_width)
        # Three cells: unread (•), starred (★) or draft (◌), a space.
        title_style = style("article-list--draft") if article.is_draft else base
        if unread:
            title_style += Style(bold=True)
        segments = [
            Segment("•" if unread else " ", style("article-list--unread")),
            Segment("★" if starred else "◌" if article.is_draft else " ", style("article-list--starred" if starred else "article-list--draft")),
            Segment(" ", base),
            *self._title_segments(fit(article.title, title_width), title_style, style("article-list--match")),
        ]
        if provider_width:
            # Blogs have authors rather than an outlet: they fill the column when there is no provider.
            source = article.provider.label or ", ".join(article.authors)
            segments.append(Segment(" " + fit(source, provider_width), style("article-list--provider")))
        segments += [
            Segment(f" {date:>10}", style("article-list--date")),
            Segment(f" {quality}", style(_level("score", quality_level))),
            Segment(f" {heat}", style(_level("heat", heat_level))),
        ]
        strip = Strip(segments)
        used = strip.cell_length
        if used < width:
            strip = Strip([*segments, Segment(" " * (width - used), base)])
        return strip.crop(0, width)

    def _title_segments(self, title: str, plain: Style, match: Style) -> list[Segment]:
        if not self._terms:
            return [Segment(title, plain)]
        from ..query import match_spans  # only once a search is typed: start-up does not pay for it

        segments, at = [], 0
        for start, end in match_spans(title, self._terms):
            segments += [Segment(title[at:start], plain), Segment(title[start:end], plain + match)]
            at = end
        segments.append(Segment(title[at:], plain))
        return [segment for segment in segments if segment.text]

    def _row_style(self, selected: bool) -> Style:
        return self._resolved_styles()[("", selected)]

    def _style(self, name: str, selected: bool) -> Style:
        return self._resolved_styles()[(name, selected)]

    def _resolved_styles(self) -> dict[tuple[str, bool], Style]:
        """Every column's style over a plain row and over the cursor row, from the current theme.

        Colours with an alpha or "auto" (like $text-muted) are blended here over
        the real background, so every theme, light or dark, gets readable text.
        Computed once per theme or focus change, not per row.
        """
        if self._styles is not None:
            return self._styles
        _, _, background, text = self.colors  # the list's own, resolved over its parents
        plain = self.rich_style
        cursor_styles = self.get_component_styles(
            "article-list--cursor" if self.has_focus else "article-list--cursor-blurred"
        )
        cursor_background = background + cursor_styles.background
        resolved: dict[tuple[str, bool], Style] = {}
        for selected, row_background in ((False, background), (True, cursor_background)):
            row_text = _over(row_background, text)
            row = Style(color=row_text.rich_color, bgcolor=row_background.rich_color)
            if selected:
                row += cursor_styles.text_style
            else:
                row = plain + row
            resolved[("", selected)] = row
            for name in _COLUMNS:
                column = self.get_component_styles(name)
                # Under the cursor, muted columns take the row's full text colour: a muted
                # grey over the cursor's tint is too faint in some themes (solarized-light).
                muted = name in _MUTED and selected
                color = _over(row_background, column.color) if column.has_rule("color") and not muted else row_text
                resolved[(name, selected)] = row + Style(color=color.rich_color) + column.text_style
        self._styles = resolved
        return resolved

_MUTED = frozenset({"article-list--provider", "article-list--date"})


def _over(background: Color, color: Color) -> Color:
    """A colour as it shows over a background: "auto" picks a contrasting text colour; alpha blends."""
    if color.auto:
        color = background.get_contrast_text(color.a)
    return background + color


def _level(kind: str, level: float | None) -> str:
    if level is None:
        return "article-list--no-score"
    band = "low" if level < 0.4 else "mid" if level < 0.7 else "high"
    return f"article-list--{kind}-{band}"


# Column widths, shared by the rows and the heading: a draft marker, the title
# (what is left), the provider (when there is room), the date, two scores.
_MARKER, _PROVIDER, _PROVIDER_MAX, _DATE, _SCORE = 3, 16, 28, 10, 5


def _provider_width(width: int) -> int:
    """From 72 columns, a third of what the title and provider share (16 to 28 cells); titles take the rest."""
    if width < 72:
        return 0
    shared = width - _MARKER - (1 + _DATE) - 2 * (1 + _SCORE) - 1
    return max(_PROVIDER, min(shared // 3, _PROVIDER_MAX))


def _title_width(width: int, provider_width: int) -> int:
    fixed = _MARKER + (1 + _DATE) + 2 * (1 + _SCORE) + (provider_width + 1 if provider_width else 0)
    return max(width - fixed, 8)


def heading_columns(width: int) -> list[tuple[str, int, SortKey | None, bool]]:
    """(heading, cells, the sort key it stands for, right-aligned) for each column at this width."""
    provider_width = _provider_width(width)
    columns: list[tuple[str, int, SortKey | None, bool]] = [
        ("", _MARKER, None, False),
        ("Title", _title_width(width, provider_width), SortKey.TITLE, False),
    ]
    if provider_width:
        columns.append(("Provider", provider_width + 1, None, False))
    columns += [
        ("Date", _DATE + 1, SortKey.DATE, True),
        ("Qual", _SCORE + 1, SortKey.QUALITY, True),
        ("Heat", _SCORE + 1, SortKey.HEAT, True),
    ]
    return columns


def header_cells(width: int, query: ListQuery | None = None) -> str:
    """The column headings that match ``ArticleList._render_row`` at this width; the sorted one has an arrow."""
    text = ""
    for heading, cells, key, right in heading_columns(width):
        if query is not None and key is query.sort:
            heading = f"{heading}{query.arrow}" if right else f"{heading} {query.arrow}"
        text += heading.rjust(cells) if right else fit(f" {heading}" if text.strip() else heading, cells)
    return fit(text, width)


class ListHeading(Static):
    """The column names above the list; a click on one sorts by it."""

    @dataclass
    class SortChosen(Message):
        key: SortKey

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self._query: ListQuery | None = None

    def _width(self) -> int:
        return self.size.width - 1  # the list's scrollbar takes a column

    def show_query(self, query: ListQuery) -> None:
        self._query = query
        self.update(Content(header_cells(self._width(), query)))

    def on_resize(self) -> None:
        self.update(Content(header_cells(self._width(), self._query)))

    def on_click(self, event: events.Click) -> None:
        x = 0
        for _heading, cells, key, _right in heading_columns(self._width()):
            if x <= event.x < x + cells and key is not None:
                self.post_message(self.SortChosen(key))
                return
            x += cells
