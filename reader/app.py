"""ReaderApp: composes the screen, owns the keys, and routes messages between the panes.

The app is the only place that knows about all three panes. The tree says
which node was chosen, the list which article is under the cursor, the
detail pane which related story or link was chosen; the app answers by
handing each pane what it should show next.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from .cache import ArticleCache, default_cache_path
from .config import bundled_path
from .folder_loader import FolderLoader, LoadProgress
from .library import ALL, Library, Node, SortKey
from .model import Article
from .text import safe_url
from .widgets.article_detail import ArticleDetail, RelatedList
from .widgets.article_list import ArticleList, header_cells
from .widgets.status_line import StatusLine
from .widgets.topic_tree import TopicTree

SORT_CYCLE = (SortKey.QUALITY, SortKey.HEAT, SortKey.DATE)
DETAIL_DELAY_S = 0.05  # holding a key down moves the list; the detail pane follows when it settles
PROGRESS_EVERY_S = 0.1


@dataclass
class LibraryLoaded(Message):
    """A worker has a (newer) library: the first screen, the cached set, or the final one."""

    library: Library


@dataclass
class LoadProgressed(Message):
    progress: LoadProgress


@dataclass
class ArticleRead(Message):
    """A worker has read the full article for the detail pane (None: the file is gone or broken)."""

    library: Library
    index: int
    article: Article | None


@dataclass
class LoadFailed(Message):
    reason: str


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with the real stderr.

    While Textual runs, ``sys.stderr`` is a capture object whose ``fileno()``
    is -1; the tracker passes that number to its process, and the first
    process pool (a cold load of 2,000+ files) then fails with "bad value(s)
    in fds_to_keep". Started here, on the UI thread before the loading worker
    exists, it gets the real stderr (or none). It costs well under a millisecond.
    """
    import contextlib
    import sys
    from multiprocessing import resource_tracker

    with contextlib.redirect_stderr(sys.__stderr__), contextlib.suppress(Exception):
        resource_tracker.ensure_running()  # if it cannot start now, the pool tries again


class ListHeading(Static):
    """The column names above the list, matching its row layout at the current width."""

    def on_resize(self) -> None:
        self.update(header_cells(self.size.width - 1))  # the list's scrollbar takes a column


class ReaderApp(App[None]):
    """Browse a folder of articles: topic tree, article list, detail pane."""

    TITLE = "reader"
    CSS_PATH = [bundled_path("styles") / "reader.tcss"]
    HORIZONTAL_BREAKPOINTS = [(0, "-compact"), (100, "-narrow"), (150, "-wide")]

    BINDINGS = [
        Binding("s", "cycle_sort", "Sort", id="sort.cycle"),
        Binding("S", "reverse_sort", "Reverse", id="sort.reverse"),
        Binding("o", "open_article", "Open", id="article.open"),
        Binding("y", "copy_link", "Copy link", id="article.copy"),
        Binding("e", "show_errors", "Errors", id="app.errors"),
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        root: Path,
        *,
        use_cache: bool = True,
        sort: SortKey = SortKey.QUALITY,
        theme: str = "textual-dark",
        cache_path: Path | None = None,
        workers: int | None = None,
    ) -> None:
        super().__init__()
        self.root = root.resolve()
        self.use_cache = use_cache
        self.cache_path = cache_path
        self.parse_workers = workers
        self.library = Library([], complete=False)
        self.node: Node = ALL
        self.sort_key = sort
        self.reverse = False
        self._detail_timer: Timer | None = None
        self._progress = ""
        self._preview = False  # the library is only the first screen's rows, read before the rest
        self._preferred_theme = theme

    # --- layout ----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Horizontal(id="body"):
            yield TopicTree(id="tree")
            with Container(id="content"):
                with Container(id="list-pane"):
                    yield ListHeading(id="list-heading")
                    yield ArticleList(id="list")
                yield ArticleDetail(id="detail")
        yield Footer()

    @property
    def article_list(self) -> ArticleList:
        return self.query_one("#list", ArticleList)

    @property
    def detail(self) -> ArticleDetail:
        return self.query_one("#detail", ArticleDetail)

    @property
    def tree(self) -> TopicTree:
        return self.query_one("#tree", TopicTree)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    def on_mount(self) -> None:
        if self._preferred_theme in self.available_themes:
            self.theme = self._preferred_theme
        self.tree.border_title = "Topics"
        self.query_one("#list-pane").border_title = "Articles"
        self.detail.border_title = "Article"
        self.article_list.focus()
        self._update_status()
        self._show_first_screen()
        _start_resource_tracker()
        self.load_library()

    # --- loading -------------------------------------------------------------

    def _open_cache(self, *, report: bool = True) -> ArticleCache | None:
        if not self.use_cache:
            return None
        try:
            return ArticleCache(self.cache_path or default_cache_path())
        except Exception as error:
            if report:
                self.post_message(LoadFailed(f"cache unavailable, loading without it: {error}"))
            return None

    def _show_first_screen(self) -> None:
        """Rows in the very first frame: one indexed query of the cache, a few milliseconds.

        Only the list shows them: they are the top of one order, not the library,
        so the tree and the counts wait for the whole cached set.
        """
        cache = self._open_cache(report=False)  # the loading worker reports a failure, once
        if cache is None:
            return
        try:
            first = FolderLoader(self.root, cache).first_screen(self.sort_key.value)
        finally:
            cache.close()
        if first is not None and not self.reverse:
            self.library = first
            self._preview = True
            self._show_list(keep_id=None)
            self._update_status()

    @work(thread=True, exclusive=True, name="load library")
    def load_library(self) -> None:
        """Parse (or read from the cache) off the UI thread; hand over libraries as they grow."""
        worker = get_current_worker()
        loader = FolderLoader(self.root, self._open_cache(), workers=self.parse_workers)
        last_progress = 0.0
        try:
            for event in loader.events(first_screen=False):
                if worker.is_cancelled:
                    loader.cancelled.set()
                    return
                if isinstance(event, Library):
                    # The order on screen is computed here, not on the UI thread.
                    event.view(ALL, self.sort_key, self.reverse)
                    self.post_message(LibraryLoaded(event))
                    if event.complete:
                        event.prepare()  # the other orders, so a sort switch is instant
                elif time.monotonic() - last_progress > PROGRESS_EVERY_S or event.stage == "done":
                    last_progress = time.monotonic()
                    self.post_message(LoadProgressed(event))
        except Exception as error:
            self.post_message(LoadFailed(f"loading stopped: {type(error).__name__}: {error}"))

    def on_library_loaded(self, message: LibraryLoaded) -> None:
        previous = self.library
        keep = self.article_list.highlighted
        # The cursor stays on its article only if the user moved it: at the top,
        # it stays at the top, where a growing library puts its best.
        moved = self.article_list.cursor > 0
        keep_id = previous.articles[keep].id if moved and keep is not None and keep < len(previous) else None
        self.library = message.library
        self._preview = False
        if self.library.count(self.node) == 0 and self.node != ALL and self.library.complete:
            self.node = ALL
        self.tree.show_library(self.library, self.node)
        if self.library.complete:
            self._progress = ""
            self.article_list.empty_message = "No articles here." if len(self.library) == 0 else ""
        self._show_list(keep_id)
        self._update_status()

    def on_load_progressed(self, message: LoadProgressed) -> None:
        progress = message.progress
        text = {
            "cache": "reading cache…",
            "scanning": "looking for changes…",
            # No total while the folder is still being walked: a count, no bar yet.
            "parsing": f"loading {progress.done:,}/{progress.total:,}"
            if progress.total
            else f"loading {progress.done:,}…",
        }.get(progress.stage, "")
        self._progress = text
        self.status.show_progress(text, progress.done, progress.total if progress.stage == "parsing" else None)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.notify(message.reason, severity="error", markup=False, timeout=10)

    # --- the panes talk to the app --------------------------------------------

    @on(TopicTree.NodeChosen)
    def choose_node(self, message: TopicTree.NodeChosen) -> None:
        self.node = message.node
        self._show_list(keep_id=None)
        self._update_status()

    @on(ArticleList.Highlighted)
    def article_highlighted(self, message: ArticleList.Highlighted) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(DETAIL_DELAY_S, self._show_detail)

    @on(ArticleList.Chosen)
    def article_chosen(self, message: ArticleList.Chosen) -> None:
        self._show_detail()
        related = self.query_one("#detail-related", RelatedList)
        if related.display and related.option_count:
            related.highlighted = 0  # so that the next Enter chooses the first story
            related.focus()

    @on(ArticleDetail.RelatedChosen)
    def related_chosen(self, message: ArticleDetail.RelatedChosen) -> None:
        if message.index is None:
            self.open_link(message.story.url)
            return
        self.jump_to(message.index)

    @on(ArticleDetail.LinkChosen)
    def link_chosen(self, message: ArticleDetail.LinkChosen) -> None:
        self.open_link(message.url)

    def jump_to(self, index: int) -> None:
        """Show a library article in the list, switching to All articles if the node lacks it."""
        view = self.library.view(self.node, self.sort_key, self.reverse)
        if index not in view:
            self.node = ALL
            self.tree.show_chosen(ALL)
        self._show_list(keep_id=self.library.articles[index].id)
        self._update_status()
        self.article_list.focus()

    def _show_list(self, keep_id: str | None) -> None:
        library = self.library
        rows = library.view(self.node, self.sort_key, self.reverse)
        keep = library.index_of(keep_id) if keep_id is not None else None
        self.article_list.show(library, rows, keep=keep)
        self._show_detail()

    def _show_detail(self) -> None:
        """Show the highlighted article; its file is read by a worker, off the UI thread."""
        self._detail_timer = None
        if not self.is_running:  # the timer can fire while quitting, after the panes are gone
            return
        index = self.article_list.highlighted
        if index is None:
            message = "Loading…" if not self.library.complete else "No articles here."
            self.detail.show_article(None, None, message=message)
            return
        shown = self.detail.article
        if shown is not None and shown.path == self.library.articles[index].path:
            return  # the same article: nothing to re-read
        self._read_article(self.library, index)

    @work(thread=True, group="detail", name="read article")
    def _read_article(self, library: Library, index: int) -> None:
        # Under a millisecond for a real article, but a file is untrusted input:
        # a slow one must not freeze the keys. Not exclusive: a thread cannot be
        # stopped anyway, and on_article_read drops a result the cursor has left.
        self.post_message(ArticleRead(library, index, library.article(index)))

    def on_article_read(self, message: ArticleRead) -> None:
        if message.library is not self.library or message.index != self.article_list.highlighted:
            return  # the cursor moved on, or the library changed, while the file was read
        if message.article is None:
            self.detail.show_article(None, None, message="This article's file can no longer be read.")
            return
        self.detail.show_article(message.article, message.library)

    def _update_status(self) -> None:
        arrow = "↑" if self.reverse != (self.sort_key is SortKey.TITLE) else "↓"
        self.status.show_place(
            self.root.name or str(self.root),
            self.node.label,
            None if self._preview else self.library.count(self.node),
            f"{self.sort_key.label} {arrow}",
        )
        self.status.show_problems(len(self.library.errors), len(self.library.duplicates))
        if not self._progress:
            self.status.show_progress("", None, None)
        self.sub_title = self.node.label

    # --- actions -------------------------------------------------------------

    def action_cycle_sort(self) -> None:
        position = SORT_CYCLE.index(self.sort_key) if self.sort_key in SORT_CYCLE else -1
        self.set_sort(SORT_CYCLE[(position + 1) % len(SORT_CYCLE)])

    def action_reverse_sort(self) -> None:
        self.set_sort(self.sort_key, reverse=not self.reverse)

    def set_sort(self, key: SortKey, reverse: bool = False) -> None:
        keep = self.article_list.highlighted
        self.sort_key = key
        self.reverse = reverse
        self._show_list(self.library.articles[keep].id if keep is not None else None)
        self._update_status()

    def _current_url(self) -> str | None:
        index = self.article_list.highlighted
        return self.library.articles[index].url if index is not None else None

    def action_open_article(self) -> None:
        if self.article_list.highlighted is None:
            self.notify("No article selected.", severity="warning")
            return
        self.open_link(self._current_url())

    def action_copy_link(self) -> None:
        url = self._current_url()
        if url is None:
            self.notify("This article has no web link to copy.", severity="warning")
            return
        self.copy_to_clipboard(url)
        self.notify(url, title="Link copied", markup=False)

    def open_link(self, url: str | None) -> None:
        """Open an http(s) link in the browser; refuse anything else; copy it where no browser runs."""
        safe = safe_url(url)
        if safe is None:
            self.notify(
                "Only http and https links are opened." if url else "There is no link to open.",
                title="Not opened",
                severity="warning",
                markup=False,
            )
            return
        if not self.browser_available():
            self.copy_to_clipboard(safe)
            self.notify(safe, title="No browser here: link copied", timeout=15, markup=False)
            return
        self.open_url(safe)  # webbrowser, so $BROWSER is honoured; no shell is involved
        self.notify(safe, title="Opening in browser", markup=False)

    def browser_available(self) -> bool:
        import webbrowser  # only when a link is opened: it costs start-up time

        try:
            webbrowser.get()
        except webbrowser.Error:
            return False
        return True

    def action_show_errors(self) -> None:
        from .screens.errors import ErrorsScreen

        self.push_screen(ErrorsScreen(self.library))

    def action_help(self) -> None:
        from .screens.help import HelpScreen, describe_bindings

        def live(widget) -> list[tuple[str, Binding]]:
            return [(key, b) for key, bindings in widget._bindings.key_to_bindings.items() for b in bindings]

        def display(key: str) -> str:  # Textual's get_key_display takes a Binding, not a key
            return self.get_key_display(Binding(key, ""))

        sections = [
            ("Everywhere", describe_bindings(live(self), display)),
            ("Article list", describe_bindings(live(self.article_list), display)),
            ("Topic tree", describe_bindings(live(self.tree), display)),
            ("Related stories", describe_bindings(live(self.query_one(RelatedList)), display)),
            (
                "Moving between panes",
                [("tab / shift+tab", "next / previous pane"), ("mouse", "click to choose, wheel to scroll")],
            ),
        ]
        self.push_screen(HelpScreen(sections))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key in SortKey:
            yield SystemCommand(
                f"Sort by {key.label}", f"Order the list by {key.label}", lambda k=key: self.set_sort(k)
            )
        yield SystemCommand("Reverse order", "Reverse the list's order", self.action_reverse_sort)
        yield SystemCommand("Open in browser", "Open the article's page", self.action_open_article)
        yield SystemCommand("Copy link", "Copy the article's link to the clipboard", self.action_copy_link)
        yield SystemCommand("Show unreadable files", "Files that could not be loaded, and why", self.action_show_errors)
        yield SystemCommand("Help", "Every key", self.action_help)
