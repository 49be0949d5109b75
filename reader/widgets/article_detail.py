"""The detail pane: everything about the highlighted article, and its related stories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..library import Library
from ..model import Article, RelatedStory
from .article_list import age

# Markdown rendering is the slow part of showing an article; an enormous body
# is cut (with a note) rather than making every key press wait for it.
MAX_BODY_SHOWN = 30_000


def _date_line(moment: datetime | None) -> str:
    if moment is None:
        return "no date"
    return f"{moment.astimezone().strftime('%a %d %b %Y, %H:%M')} ({age(moment)})"


def _score(value: int | None) -> str:
    return "no data" if value is None else str(value)


def meta_content(article: Article) -> Content:
    """Provider, date, scores, topics... as styled plain text (never markup)."""
    label = "dim"
    provider = article.provider.name or "unknown provider"
    parts: list[str | tuple[str, str]] = [
        (provider, "bold"),
        (f"  {article.provider.domain}" if article.provider.domain else "", label),
        "\n",
        ("Date     ", label),
        _date_line(article.published_at),
        "\n",
        ("Quality  ", label),
        _score(article.quality),
        ("   Heat ", label),
        _score(article.heat),
        "\n",
        ("Topics   ", label),
        ", ".join(article.topics) or "none",
        "\n",
        ("Category ", label),
        article.category or "none",
        ("   Type ", label),
        article.type or "unknown",
    ]
    if article.is_draft:
        parts += ["\n", ("DRAFT", "bold $warning"), (" not published yet", "$warning")]
    if article.url is None:
        parts += ["\n", ("No web link that can be opened", "$error")]
    else:
        # The host only: a whole URL wraps into an unreadable block; y copies all of it.
        host = urlsplit(article.url).hostname or article.url
        parts += ["\n", ("Link     ", label), host, ("  o opens, y copies", label)]
    return Content.assemble(*parts)


def related_prompt(story: RelatedStory, in_library: bool) -> Content:
    when = story.published_at.astimezone().strftime("%Y-%m-%d") if story.published_at else "no date"
    quality = f"quality {story.quality}" if story.quality is not None else "no quality"
    # In the library: Enter jumps to it. Outside: Enter opens it. No link: nothing to do.
    mark = ("● ", "$success") if in_library else ("↗ ", "$text-muted") if story.url else ("· ", "$text-muted")
    return Content.assemble(
        mark,
        (story.title, "bold" if in_library else ""),
        "\n  ",
        (f"{story.provider.label or 'unknown'} · {when} · {quality}", "dim"),
        (" · in library" if in_library else "" if story.url else " · no link", "$success" if in_library else "dim"),
    )


class RelatedList(OptionList):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="related.down"),
        Binding("k", "cursor_up", "Up", show=False, id="related.up"),
        Binding("home,g", "first", "First", show=False, id="related.first"),
        Binding("end,G", "last", "Last", show=False, id="related.last"),
        Binding("enter", "select", "Jump to it (in the library) or open it", show=False, id="related.choose"),
    ]


class ArticleDetail(VerticalScroll):
    """Shows one Article; Enter on a related story asks to jump to it or open it."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False, id="detail.down"),
        Binding("k", "scroll_up", "Up", show=False, id="detail.up"),
    ]

    @dataclass
    class RelatedChosen(Message):
        """A related story was chosen: ``index`` is its library article, if it is one."""

        detail: ArticleDetail
        story: RelatedStory
        index: int | None

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
        self._related_indexes: list[int | None] = []

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title")
        yield Static(id="detail-meta")
        yield Static(id="detail-excerpt")
        yield Static("Related stories", id="detail-related-heading")
        yield RelatedList(id="detail-related")

    def on_mount(self) -> None:
        self.show_article(None, None)

    def show_article(self, article: Article | None, library: Library | None, *, message: str = "") -> None:
        self.article = article
        title = self.query_one("#detail-title", Static)
        meta = self.query_one("#detail-meta", Static)
        excerpt = self.query_one("#detail-excerpt", Static)
        heading = self.query_one("#detail-related-heading", Static)
        related = self.query_one("#detail-related", RelatedList)
        related.clear_options()
        self._related_indexes = []
        self.scroll_home(animate=False)
        if article is None:
            title.update(Content(message or "No article"))
            for widget in (meta, excerpt, heading, related):
                widget.display = False
            self._show_body("")
            return
        title.update(Content(article.title))
        meta.update(meta_content(article))
        excerpt.update(Content(article.excerpt))
        meta.display = True
        excerpt.display = bool(article.excerpt)
        text = article.body
        if len(text) > MAX_BODY_SHOWN:
            text = text[:MAX_BODY_SHOWN] + f"\n\n*… {len(article.body) - MAX_BODY_SHOWN:,} more characters not shown*"
        self._show_body(text)
        heading.display = related.display = bool(article.related)
        options = []
        for number, story in enumerate(article.related):
            index = library.find_url(story.url) if library is not None else None
            self._related_indexes.append(index)
            options.append(Option(related_prompt(story, index is not None), id=str(number)))
        related.add_options(options)
        heading.update(Content.assemble(("Related stories", "bold"), (f"  {len(options)}", "dim")))

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

            self.mount(Markdown(text, id="detail-body", open_links=False), after="#detail-excerpt")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.article is None or event.option_index >= len(self.article.related):
            return
        story = self.article.related[event.option_index]
        self.post_message(self.RelatedChosen(self, story, self._related_indexes[event.option_index]))

    def on_markdown_link_clicked(self, event) -> None:  # Markdown.LinkClicked
        # Links in an untrusted body go through the app's checks, like every other link.
        event.stop()
        self.post_message(self.LinkChosen(self, event.href))
