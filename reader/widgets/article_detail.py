"""The detail pane: everything about the highlighted article, and its related stories."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..commands import Scope, bindings
from ..format import date_line, short_date
from ..library import Library
from ..model import Article, RelatedStory

# Markdown rendering is the slow part of showing an article; an enormous body
# is cut (with a note) rather than making every key press wait for it.
MAX_BODY_SHOWN = 30_000


def _score(value: int | None) -> str:
    return "no data" if value is None else str(value)


def meta_content(article: Article) -> Content:
    """Provider, date, scores, topics... as compact styled plain text (never markup).

    Three lines for most articles, so that the excerpt and the related stories
    fit below them at 120x35 and the excerpt at 80x24.
    """
    label = "dim"
    parts: list[str | tuple[str, str]] = [
        (article.provider.name or "unknown provider", "bold"),
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
    if article.authors:
        parts += ["\n", ("By ", label), ", ".join(article.authors)]
    if article.is_draft:
        parts += ["\n", ("DRAFT", "bold $warning"), (" not published yet", "$warning")]
    from ..links import parse_link  # imported when the first article is shown, not at start-up

    link = parse_link(article.url) if article.url else None
    if link is None:
        parts += ["\n", ("No web link that can be opened", "$error")]
    else:
        # The host as the browser will see it; a whole URL wraps into an unreadable block (y copies it).
        parts += ["\n", ("Link ", label), link.host_label, ("  o opens, y copies", label)]
    return Content.assemble(*parts)


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

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title")
        yield Static(id="detail-meta")
        yield Static(id="detail-excerpt")
        yield Static("Related stories", id="detail-related-heading")
        yield RelatedList(id="detail-related")

    def on_mount(self) -> None:
        self.show_article(None, None)

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
        self.article = article
        title = self.query_one("#detail-title", Static)
        meta = self.query_one("#detail-meta", Static)
        excerpt = self.query_one("#detail-excerpt", Static)
        heading = self.query_one("#detail-related-heading", Static)
        related = self.query_one("#detail-related", RelatedList)
        related.clear_options()
        self.scroll_home(animate=False)
        if article is None:
            title.update(Content(message or "No article"))
            for widget in (meta, excerpt, heading, related):
                widget.display = False
            self._show_body("")
            return
        title.update(self._marked(article.title))
        meta.update(meta_content(article))
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
