"""The detail pane: everything about the highlighted article, and its related stories."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.css.styles import RulesMap
from textual.message import Message
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..commands import Scope, bindings
from ..format import age, date_line, short_date
from ..library import Library
from ..model import Article, RelatedStory

# Markdown rendering is the slow part of showing an article; an enormous body
# is cut (with a note) rather than making every key press wait for it.
MAX_BODY_SHOWN = 30_000

# Previewing (the list focused), the pane keeps this many related stories in
# view, and at least this many rows of the excerpt (cut with "…").
RELATED_IN_VIEW = 4
MIN_EXCERPT_ROWS = 2


def _score(value: int | None) -> str:
    return "no data" if value is None else str(value)


def meta_content(article: Article, *, brief: bool = False) -> Content:
    """Provider, date, scores, topics, link... as compact styled plain text (never markup).

    Two lines for most articles, so that a 300-character excerpt and four
    related stories fit below them at 120x35. ``brief``: one line (who, when,
    where ``o`` goes) for a pane too short for more, as at 80x24, where the
    list's columns show the date and the scores.
    """
    if brief:
        return _brief_meta(article)
    label = "dim"
    # A post with no provider is known by its authors (a blog): they lead, as a provider would.
    by_line = bool(article.authors) and not article.provider.name
    parts: list[str | tuple[str, str]] = [
        *((("By ", label), (", ".join(article.authors), "bold")) if by_line else ()),
        ("" if by_line else article.provider.name or "unknown provider", "bold"),
        (f" {article.provider.domain}" if article.provider.domain else "", label),
        (" · ", label),
        date_line(article.published_at),
        "\n",
        ("Quality ", label),
        _score(article.quality),
        ("  Heat ", label),
        _score(article.heat),
        ("  ", label),
        (" / ".join(filter(None, (article.category, article.type))) or "no category", label),
    ]
    if article.topics:
        parts += [("  Topics ", label), ", ".join(article.topics)]
    host = _link_host(article)
    if host is None:
        parts += [("  No web link that can be opened", "$error")]
    else:
        # The host as the browser will see it; a whole URL wraps into an unreadable block (y copies it).
        parts += [("  Link ", label), host]
    if article.authors and not by_line:
        parts += ["\n", ("By ", label), ", ".join(article.authors)]
    if article.is_draft:
        parts += ["\n", ("DRAFT", "bold $warning"), (" not published yet", "$warning")]
    return Content.assemble(*parts)


def _brief_meta(article: Article) -> Content:
    label = "dim"
    host = _link_host(article)
    return Content.assemble(
        *((("DRAFT", "bold $warning"), (" · ", label)) if article.is_draft else ()),
        (article.provider.name or ", ".join(article.authors) or "unknown provider", "bold"),
        (" · ", label),
        age(article.published_at) if article.published_at is not None else "no date",
        (" · ", label),
        # Last, so that the line is cut there when narrow: the full metadata is one Tab away.
        ("no link", "$error") if host is None else host,
    )


def _link_host(article: Article) -> str | None:
    """The link's host as the browser will see it, or None when there is no link that may be opened."""
    from ..links import parse_link  # imported when the first article is shown, not at start-up

    link = parse_link(article.url) if article.url else None
    return None if link is None else link.host_label


def related_prompt(story: RelatedStory, in_library: bool) -> Content:
    """One line a story (cut to the pane's width by the stylesheet), so four fit under the excerpt."""
    # In the library: Enter jumps to it. Outside: Enter opens it. No link: nothing to do.
    mark = ("● ", "$success") if in_library else ("↗ ", "$text-muted") if story.url else ("· ", "$text-muted")
    quality = f" · q{story.quality}" if story.quality is not None else ""
    return Content.assemble(
        mark,
        (story.title, "bold" if in_library else ""),
        (f"  {story.provider.label or 'unknown'} · {short_date(story.published_at)}{quality}", "dim"),
    )


class _CutWithEllipsis(Visual):
    """Text that, given fewer rows than it needs (the stylesheet's max-height), ends
    its last row with "…" instead of stopping mid-sentence without a sign."""

    def __init__(self, content: Content) -> None:
        self.content = content

    def __str__(self) -> str:
        return self.content.plain

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules: RulesMap) -> int:
        return self.content.get_minimal_width(rules)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self.content.get_height(rules, width)

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        content = self.content
        if height and width > 1 and content.get_height(options.rules, width) > height:
            rows = content.wrap(width)[:height]
            last = rows[-1].rstrip()
            if last.cell_length >= width:  # no room for the "…": the last word gives way
                space = last.plain.rfind(" ")
                last = last[:space].rstrip() if space > 0 else last.truncate(width - 1)
            rows[-1] = last + "…"
            content = Content("\n").join(rows)
        return content.render_strips(width, height, style, options)


class CutText(Static):
    """A Static whose text, when its max-height cuts it, ends in "…"."""

    def render(self) -> Visual:
        visual = self.visual
        return _CutWithEllipsis(visual) if isinstance(visual, Content) else visual


class RelatedList(OptionList):
    BINDINGS = bindings(Scope.RELATED)

    def on_focus(self) -> None:
        # Arriving by Tab as by Enter: a story is highlighted, so Enter acts at once.
        if self.highlighted is None and self.option_count:
            self.highlighted = 0


class ArticleDetail(VerticalScroll):
    """Shows one Article; Enter on a related story asks to jump to it or open it."""

    BINDINGS = bindings(Scope.DETAIL)

    @dataclass
    class RelatedChosen(Message):
        """A related story was chosen; the screen finds it in the library of that moment."""

        detail: ArticleDetail
        story: RelatedStory

        @property
        def control(self) -> ArticleDetail:
            return self.detail

    @dataclass
    class LinkChosen(Message):
        """A link in the body was clicked: the app decides whether it may be opened."""

        detail: ArticleDetail
        url: str

        @property
        def control(self) -> ArticleDetail:
            return self.detail

    def __init__(self, *, id: str | None = None) -> None:
        # Focusable, so the keys can scroll a long body (Tab reaches it after the list).
        super().__init__(id=id, can_focus=True)
        self.article: Article | None = None
        self._terms: list[str] = []  # what the search matched: highlighted in the title and excerpt
        self._reading = False  # this pane focused: everything in full (see _fit)
        self._brief = False  # the metadata in one line (see _fit)
        self._full_meta = Content()  # the shown article's metadata in full, measured by _fit

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title")
        yield Static(id="detail-meta")
        yield CutText(id="detail-excerpt")
        yield Static("Related stories", id="detail-related-heading")
        yield RelatedList(id="detail-related")

    def on_mount(self) -> None:
        self._fit()
        self.show_article(None, None)

    # Reading starts when this pane itself is focused (Tab) and lasts while the focus stays
    # within it; the related stories reached from the list (Enter) keep the preview. So the
    # layout never changes while a related story is focused: Textual has already scrolled
    # to where the story was. Focus and Blur reach these handlers before Textual updates
    # has_focus, so the events are what says where the focus is.
    def on_focus(self) -> None:
        self._reading = True
        self._fit()

    def on_blur(self) -> None:
        self._focus_moved()

    def on_descendant_blur(self) -> None:
        self._focus_moved()

    def _focus_moved(self) -> None:
        if not self.app.app_focus:
            return  # the terminal lost focus, which blurs every widget for a while
        focused = self.screen.focused
        if focused is None or (focused is not self and self not in focused.ancestors):
            self._reading = False
            self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Reading (this pane focused): everything in full. Previewing: the related
        stories in view without scrolling; the excerpt gets the rows they leave (cut
        with "…"), and when those are too few the metadata shrinks to one line and
        then the blank rows go."""
        brief, tight, excerpt_rows = False, False, None
        if not self._reading and self.article is not None and self.article.related:
            brief, tight, excerpt_rows = self._preview_layout(self.article)
        self.query_one("#detail-excerpt", CutText).styles.max_height = excerpt_rows
        self.set_class(brief, "-brief")
        self.set_class(tight, "-tight")
        if brief != self._brief:
            self._brief = brief
            if self.article is not None:
                meta = meta_content(self.article, brief=True) if brief else self._full_meta
                self.query_one("#detail-meta", Static).update(meta)

    def _preview_layout(self, article: Article) -> tuple[bool, bool, int | None]:
        """The first layout, most complete first, that keeps the related stories in view:
        (metadata in one line, no blank rows, the rows the excerpt may have or None for all)."""
        region = self.scrollable_content_region
        width, rows = region.width, region.height
        if width <= 0 or rows <= 0:
            return False, False, None  # not laid out yet: Resize comes

        def height(selector: str) -> int:
            widget = self.query_one(selector, Static)
            return widget.visual.get_height({}, width) if widget.display else 0

        title = height("#detail-title")
        excerpt = height("#detail-excerpt")
        full_meta = self._full_meta.get_height({}, width)
        related = 1 + min(len(article.related), RELATED_IN_VIEW)  # the heading, then one row a story
        gaps = 2 if excerpt else 1  # the stylesheet's blank rows after the metadata and the excerpt
        for brief, tight in ((False, False), (True, False), (True, True)):
            fixed = title + (1 if brief else full_meta) + (0 if tight else gaps) + related
            if fixed + excerpt <= rows:
                return brief, tight, None
            if fixed + min(excerpt, MIN_EXCERPT_ROWS) <= rows:
                return brief, tight, rows - fixed
        return True, True, MIN_EXCERPT_ROWS  # a tiny pane: the related stories scroll into view

    def highlight(self, terms: list[str]) -> None:
        """Underline the search's matches in the title and excerpt (the body is left as it is:
        rendering Markdown again on every keystroke would cost more than the search)."""
        if terms != self._terms:
            self._terms = terms
            if self.article is not None:
                self.query_one("#detail-title", Static).update(self._marked(self.article.title))
                self.query_one("#detail-excerpt", Static).update(self._marked(self.article.excerpt))

    def _marked(self, text: str) -> Content:
        content = Content(text)
        if not self._terms:
            return content
        from ..query import match_spans

        for start, end in match_spans(text, self._terms):
            content = content.stylize("bold underline $accent", start, end)
        return content

    def show_article(self, article: Article | None, library: Library | None, *, message: str = "") -> None:
        # The same article again (its file read again: edited, or a newer library) keeps the
        # reader's place in it and the related story highlighted; another starts at its top.
        again = article is not None and self.article is not None and article.id == self.article.id
        self.article = article
        title = self.query_one("#detail-title", Static)
        meta = self.query_one("#detail-meta", Static)
        excerpt = self.query_one("#detail-excerpt", Static)
        heading = self.query_one("#detail-related-heading", Static)
        related = self.query_one("#detail-related", RelatedList)
        highlighted = related.highlighted if again else None
        related.clear_options()
        if not again:
            self.scroll_home(animate=False)
        if article is None:
            title.update(Content(message or "No article"))
            for widget in (meta, excerpt, heading, related):
                widget.display = False
            self.border_subtitle = ""
            self._show_body("")
            self._fit()
            return
        title.update(self._marked(article.title))
        self._full_meta = meta_content(article)
        meta.update(meta_content(article, brief=True) if self._brief else self._full_meta)
        # The keys for the link, under the pane: a line of the metadata is worth more.
        self.border_subtitle = "o opens, y copies the link" if _link_host(article) is not None else ""
        excerpt.update(self._marked(article.excerpt))
        meta.display = True
        # An excerpt made from the body is the body's first lines: shown once, in the body.
        excerpt.display = bool(article.excerpt) and not (article.excerpt_from_body and article.body)
        text = article.body
        if len(text) > MAX_BODY_SHOWN:
            text = text[:MAX_BODY_SHOWN] + f"\n\n*… {len(article.body) - MAX_BODY_SHOWN:,} more characters not shown*"
        self._show_body(text)
        heading.display = related.display = bool(article.related)
        options = []
        for number, story in enumerate(article.related):
            in_library = library is not None and library.find_url(story.url) is not None
            options.append(Option(related_prompt(story, in_library), id=str(number)))
        related.add_options(options)
        if highlighted is not None and highlighted < len(options):
            related.highlighted = highlighted
        heading.update(Content.assemble(("Related stories", "bold"), (f"  {len(options)}", "dim")))
        self._fit()

    def _show_body(self, text: str) -> None:
        """The Markdown body; the Markdown widget is created the first time one is shown.

        It is imported and mounted lazily because it costs ~60 ms of start-up
        and most articles have no body.
        """
        bodies = self.query("#detail-body")
        if bodies:
            body = bodies.first()
            body.display = bool(text)
            if text:
                body.update(text)  # type: ignore[attr-defined]
        elif text:
            from textual.widgets import Markdown

            # After the related stories: they are what the pane must show without scrolling.
            self.mount(Markdown(text, id="detail-body", open_links=False))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.article is None or event.option_index >= len(self.article.related):
            return
        story = self.article.related[event.option_index]
        self.post_message(self.RelatedChosen(self, story))

    def on_markdown_link_clicked(self, event) -> None:  # Markdown.LinkClicked
        # Links in an untrusted body go through the app's checks, like every other link.
        event.stop()
        self.post_message(self.LinkChosen(self, event.href))
