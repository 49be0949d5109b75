"""The main screen: the three panes' layout, and the routing between them.

The tree says which node was chosen, the list which article is under the
cursor, the detail pane which related story or link was chosen; the session
says what was loaded or read. The screen answers by setting one value,
``list_query`` (what the list shows), whose watcher updates the list, the status
line and the detail pane, or by handing a pane what it should show next.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult, SuspendNotSupported
from textual.containers import Container, Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from ..browser import LinkOpener, editor_command
from ..commands import Scope, bindings, help_sections
from ..folder_loader import LoadStage
from ..library import ALL, UNREAD, Library, ListQuery, NodeKind, SortKey
from ..messages import (
    ArticleRead,
    FeedsFetching,
    FirstScreenRead,
    LibraryLoaded,
    LoadFailed,
    LoadProgressed,
    LoadWarning,
    SearchAnswered,
    StateChanged,
)
from ..session import LibrarySession
from ..text import counted, escape_name
from ..widgets.article_detail import ArticleDetail, RelatedList
from ..widgets.article_list import ArticleList, ListHeading
from ..widgets.search_bar import SearchBar
from ..widgets.status_line import StatusLine
from ..widgets.topic_tree import TopicTree

if TYPE_CHECKING:
    from ..state import ReadingState

# The order `s` cycles through; title is in the palette and on the column heading.
SORT_CYCLE = (SortKey.QUALITY, SortKey.HEAT, SortKey.DATE)
DETAIL_DELAY_S = 0.05  # holding a key down moves the list; the detail pane follows when it settles
READ_AFTER_S = 1.5  # an article shown this long in the detail pane counts as read (mark_read = "on-view")
STATE_POLL_S = 2.0  # how often to look for another window's marks (a cheap PRAGMA)


class MainScreen(Screen[None]):
    """Topic tree, article list and detail pane over one library session."""

    BINDINGS = bindings(Scope.MAIN)

    list_query: reactive[ListQuery] = reactive(ListQuery, init=False)

    def __init__(
        self,
        session: LibrarySession,
        query: ListQuery,
        *,
        mark_read: str = "on-view",
        feeds_into: Path | None = None,
        searches: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__()
        self.session = session
        self.feeds_into = feeds_into  # where R fetches feeds to (the feeds folder)
        self.searches = searches  # saved searches: (name, query) from config.toml
        self.mark_read_when = mark_read  # on-view | on-open | manual
        self.library = Library([], complete=False)
        self.reading: ReadingState | None = None  # None until the state file has been read
        self._read_timer: Timer | None = None
        self.set_reactive(MainScreen.list_query, query)
        self.links = LinkOpener(self)
        self._detail_timer: Timer | None = None
        self._progress = ""
        self._preview = False  # the library is only the first screen's rows, read before the rest
        self._failed = ""
        self._before_search: tuple[ListQuery, str | None] | None = None  # to restore on Esc
        self._detail_source: object = None  # the summary whose file the detail pane shows

    # --- layout --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Horizontal(id="body"):
            yield TopicTree(id="tree")
            with Container(id="content"):
                with Container(id="list-pane"):
                    yield SearchBar(id="search-bar")
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
        self.tree.border_title = "Topics"
        self.tree.searches = self.searches
        self.query_one("#list-pane").border_title = "Articles"
        self.detail.border_title = "Article"
        self.query_one(ListHeading).show_query(self.list_query)
        self.article_list.focus()
        self._update_status()
        self.session.start(self, self.list_query, current=lambda: self.list_query)
        self.set_interval(STATE_POLL_S, self.session.poll)

    def on_unmount(self) -> None:
        self.session.close()

    # --- what the list shows ---------------------------------------------------

    def watch_list_query(self, old: ListQuery, new: ListQuery) -> None:
        """The one place a new query reaches the list, the heading, the status line and the detail pane."""
        keep = None
        if new.node == old.node and new.search == old.search:  # a new order: the cursor stays on its article
            keep = self._highlighted_id()
        terms = _highlight_terms(new.search) if new.search is not None else []
        self.article_list.highlight(terms)
        self.detail.highlight(terms)
        self._show_list(keep)
        self.query_one(ListHeading).show_query(new)
        self._update_status()

    def _count_shown(self) -> int:
        query = self.list_query
        if query.search is not None and not query.search.is_everything:
            return len(self.article_list.rows)
        return self.library.count_of(query.node, self.reading)

    def _highlighted_id(self) -> str | None:
        index = self.article_list.highlighted
        return self.library.articles[index].id if index is not None and index < len(self.library) else None

    def _show_list(self, keep_id: str | None) -> None:
        library = self.library
        rows = library.view_of(self.list_query, self.reading)
        keep = library.index_of(keep_id) if keep_id is not None else None
        self.article_list.show(library, rows, keep=keep)
        self._show_detail()

    def _update_status(self) -> None:
        query = self.list_query
        root = self.session.root
        place = "everything" if query.everywhere else query.node.label
        if query.search is not None and not query.search.is_everything:
            place = f"{place} · search {query.search.text}"
        self.status.show_place(
            escape_name(root.name or str(root)),
            place,
            None if self._preview else self._count_shown(),
            f"{query.sort.label} {query.arrow}",
            unread=None if self._preview or self.reading is None else self.library.count_of(UNREAD, self.reading),
        )
        self.status.show_problems(len(self.library.errors), len(self.library.duplicates))
        if not self._progress:
            self.status.show_progress(self._failed, None, None, error=bool(self._failed))

    # --- what the session says ---------------------------------------------------

    def on_first_screen_read(self, message: FirstScreenRead) -> None:
        """Rows before everything else: only the list shows them (they are the top of one order, not the library)."""
        query = self.list_query
        if self.library.articles or query.reverse or query.node != ALL or query.sort.value != message.order:
            self.session.library_shown()  # nothing to draw: the load goes on at once
            return  # the user moved on, or the full library came first
        self.library = message.library
        self._preview = True
        self._show_list(keep_id=None)
        self._update_status()
        self.call_after_refresh(self.session.library_shown)

    def on_library_loaded(self, message: LibraryLoaded) -> None:
        previous = self.library
        article_list = self.article_list
        keep = article_list.highlighted
        # While loading, the cursor stays on its article only if the user moved it:
        # at the top, it stays at the top, where a growing library puts its best.
        # A live update never moves what the user is reading, nor the rows around it.
        moved = article_list.cursor > 0 or message.live
        keep_id = previous.articles[keep].id if moved and keep is not None and keep < len(previous) else None
        screen_row = article_list.cursor - article_list.scroll_offset.y
        scrolled_to_top = article_list.scroll_offset.y == 0
        self.library = library = message.library
        self._preview = False
        if library.complete:
            self._progress = ""
            self.article_list.empty_message = "No articles here." if len(library) == 0 else ""
        self.tree.show_library(library, self.list_query.node, self.reading)
        if library.count(self.list_query.node) == 0 and self.list_query.node != ALL and library.complete:
            self.set_reactive(MainScreen.list_query, replace(self.list_query, node=ALL))
            self.tree.show_chosen(ALL)
        self._show_list(keep_id)
        if message.live:
            # The rows around the cursor stay where they were; but a reader at the top of
            # the list sees what arrives there, as far as the cursor row stays in view.
            height = article_list.scrollable_content_region.height
            top = max(article_list.cursor - height + 1, 0) if scrolled_to_top else max(article_list.cursor - screen_row, 0)
            article_list.scroll_to(y=top, animate=False, immediate=True)
            if message.added:
                self.status.show_news(f"{counted(message.added, 'new article')}")
        self._update_status()
        self.call_after_refresh(self.session.library_shown)

    def on_search_answered(self, message: SearchAnswered) -> None:
        """Excerpt and body matches came in: a search's rows again, the cursor on its article."""
        query = self.list_query
        searching = query.search is not None and not query.search.is_everything
        if message.library is self.library and (searching or query.node.kind == NodeKind.SEARCH):
            self._show_list(self._highlighted_id())
            self._update_status()

    def on_load_progressed(self, message: LoadProgressed) -> None:
        progress = message.progress
        if progress.stage is LoadStage.DONE:
            text = ""
        elif progress.stage is LoadStage.PARSING:
            # No total while the folder is still being walked: a count, no bar yet.
            text = f"loading {progress.done:,}/{progress.total:,}" if progress.total else f"loading {progress.done:,}…"
        else:
            text = {LoadStage.CACHE: "reading cache…", LoadStage.SCANNING: "looking for changes…"}.get(progress.stage, "")
        self._progress = text
        self.status.show_progress(text, progress.done, progress.total if progress.stage is LoadStage.PARSING else None)

    def on_load_failed(self, message: LoadFailed) -> None:
        """Loading stopped: end the loading state and say why, on screen and in a toast."""
        self._progress = ""
        self._failed = "loading failed (see message)"
        self.article_list.empty_message = message.reason
        if not self.library.complete:
            self.library = self.library.completed()
        self._show_list(self._highlighted_id())
        self._update_status()
        self.notify(message.reason, title="Loading failed", severity="error", markup=False, timeout=15)

    def on_state_changed(self, message: StateChanged) -> None:
        """The reading state after a mark (already on disk), an undo, or another window's change."""
        self.reading = message.state
        self.article_list.show_marks(message.state)
        self.tree.show_marks(self.library, message.state)
        if NodeKind(self.list_query.node.kind).is_state:
            # The view depends on the marks: rebuilt, the cursor stays at its place in it.
            position = self.article_list.cursor
            self.article_list.show(self.library, self.library.view_of(self.list_query, message.state))
            self.article_list.cursor = position
        self._update_status()
        if message.note:
            self.notify(message.note, severity="error" if message.error else "information", markup=False)

    def on_feeds_fetching(self, message: FeedsFetching) -> None:
        if message.summary:
            self._progress = ""
            self.status.show_progress("", None, None)
            self.notify(message.summary, severity="warning" if message.failed else "information", markup=False)
            return
        self._progress = f"fetching feeds {message.done}/{message.total}"
        self.status.show_progress(self._progress, message.done, message.total)

    def action_fetch_feeds(self) -> None:
        if self.feeds_into is None:
            self.notify("Feeds are not set up here.", severity="warning")
            return
        self.session.fetch_feeds(self.feeds_into)

    def on_load_warning(self, message: LoadWarning) -> None:
        self.notify(message.text, severity="warning", markup=False, timeout=10)

    # --- what the panes say ---------------------------------------------------

    @on(TopicTree.NodeChosen)
    def node_chosen(self, message: TopicTree.NodeChosen) -> None:
        self.list_query = replace(self.list_query, node=message.node)

    @on(ListHeading.SortChosen)
    def heading_clicked(self, message: ListHeading.SortChosen) -> None:
        """A click on a column heading: sort by it; a second click reverses."""
        query = self.list_query
        self.set_sort(message.key, reverse=not query.reverse if message.key is query.sort else False)

    @on(ArticleList.Highlighted)
    def article_highlighted(self, message: ArticleList.Highlighted) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(DETAIL_DELAY_S, self._show_detail)

    @on(ArticleList.WaitingForTheEnd)
    def waiting_for_the_end(self, message: ArticleList.WaitingForTheEnd) -> None:
        """End before the whole library is in: said, so the last row shown is not taken for the last article."""
        self.status.show_news("End: going to the last article once the whole library is in…" if message.waiting else "")

    @on(ArticleList.Chosen)
    def article_chosen(self, message: ArticleList.Chosen) -> None:
        self._show_detail()
        related = self.query_one("#detail-related", RelatedList)
        if related.display and related.option_count:
            related.highlighted = 0  # so that the next Enter chooses the first story
            related.focus()

    @on(ArticleDetail.RelatedChosen)
    def related_chosen(self, message: ArticleDetail.RelatedChosen) -> None:
        # The story is resolved against the library of now, not the one it was shown with:
        # a newer snapshot may have moved every article to another position.
        index = self.library.find_url(message.story.url)
        if index is None:
            self.links.open(message.story.url)
            return
        self.jump_to(index)

    @on(ArticleDetail.LinkChosen)
    def link_chosen(self, message: ArticleDetail.LinkChosen) -> None:
        self.links.open(message.url)

    def jump_to(self, index: int) -> None:
        """Show a library article in the list, switching to All articles if the node lacks it."""
        article_id = self.library.articles[index].id
        if index not in self.library.view_of(self.list_query, self.reading):
            self.tree.show_chosen(ALL)
            self.list_query = replace(self.list_query, node=ALL)
        self._show_list(keep_id=article_id)
        self.article_list.focus()

    # --- the detail pane ---------------------------------------------------------

    def _show_detail(self) -> None:
        """Show the highlighted article; its file is read by the session, off the UI thread."""
        self._detail_timer = None
        if not self.is_attached:  # the timer can fire while quitting, after the panes are gone
            return
        index = self.article_list.highlighted
        if index is None:
            message = self._failed or ("Loading…" if not self.library.complete else "No articles here.")
            self.detail.show_article(None, None, message=message)
            return
        summary = self.library.articles[index]
        if self.detail.article is not None and summary == self._detail_source:
            return  # the same article, unchanged (summaries are made anew from columns: compared by value)
        self._detail_source = summary
        self.session.read_article(self.library, index)

    def on_article_read(self, message: ArticleRead) -> None:
        if message.library is not self.library or message.index != self.article_list.highlighted:
            return  # the cursor moved on, or the library changed, while the file was read
        if message.article is None:
            self.detail.show_article(None, None, message="This article's file can no longer be read.")
            return
        self.detail.show_article(message.article, message.library)
        if self.mark_read_when == "on-view":
            if self._read_timer is not None:
                self._read_timer.stop()
            article_id = message.article.id
            self._read_timer = self.set_timer(READ_AFTER_S, lambda: self._read_if_still_shown(article_id))

    def _read_if_still_shown(self, article_id: str) -> None:
        self._read_timer = None
        shown = self.detail.article
        if shown is not None and shown.id == article_id and self._highlighted_id() == article_id:
            if self.reading is not None and article_id not in self.reading.read:
                self.session.mark_read([article_id])

    # --- actions ---------------------------------------------------------------------

    def set_sort(self, key: SortKey, reverse: bool = False) -> None:
        self.list_query = replace(self.list_query, sort=key, reverse=reverse)
        self.app.remember(sort=key, reverse=reverse)

    def action_cycle_sort(self) -> None:
        key = self.list_query.sort
        position = SORT_CYCLE.index(key) if key in SORT_CYCLE else -1
        self.set_sort(SORT_CYCLE[(position + 1) % len(SORT_CYCLE)])

    def action_reverse_sort(self) -> None:
        self.set_sort(self.list_query.sort, reverse=not self.list_query.reverse)

    def action_sort(self, key: str) -> None:
        self.set_sort(SortKey(key))

    def action_next_article(self) -> None:
        self.article_list.cursor += 1

    def action_previous_article(self) -> None:
        self.article_list.cursor -= 1

    def _current_url(self) -> str | None:
        index = self.article_list.highlighted
        return self.library.articles[index].url if index is not None else None

    def action_open_article(self) -> None:
        article_id = self._highlighted_id()
        if article_id is None:
            self.notify("No article selected.", severity="warning")
            return
        if self.links.open(self._current_url()) and self.mark_read_when != "manual":
            self._mark([article_id], "read", True)

    # --- reading state ---------------------------------------------------------------

    def _mark(self, ids: list[str], field: str, value: bool, *, say: bool = False) -> None:
        if self.reading is None:
            self.notify("The reading state is still being read.", severity="warning")
            return
        if field == "read":
            self.session.mark_read(ids, value, say=say)
        else:
            self.session.star(ids, value)

    def action_toggle_read(self) -> None:
        article_id = self._highlighted_id()
        if article_id is not None and self.reading is not None:
            self._mark([article_id], "read", article_id not in self.reading.read)

    def action_toggle_star(self) -> None:
        article_id = self._highlighted_id()
        if article_id is not None and self.reading is not None:
            self._mark([article_id], "starred", article_id not in self.reading.starred)

    def action_mark_view_read(self) -> None:
        if self.reading is None:
            return
        articles, read = self.library.articles, self.reading.read
        ids = [articles[i].id for i in self.article_list.rows if articles[i].id not in read]
        if not ids:
            self.notify("Every article here is read already.")
            return
        self._mark(ids, "read", True, say=True)

    # --- search --------------------------------------------------------------------

    def action_search(self) -> None:
        bar = self.query_one(SearchBar)
        if not bar.display:
            self._before_search = (self.list_query, self._highlighted_id())
        bar.open("everything" if self.list_query.everywhere else self.list_query.node.label)

    @on(SearchBar.Changed)
    def search_changed(self, message: SearchBar.Changed) -> None:
        from ..query import QueryError, parse

        bar = self.query_one(SearchBar)
        try:
            search = parse(message.text, prefix_last=True) if message.text.strip() else None
        except QueryError as error:
            bar.show_problem(str(error))  # the last good results stay
            return
        bar.show_problem("")
        self.list_query = replace(self.list_query, search=search)

    @on(SearchBar.Submitted)
    def search_submitted(self, message: SearchBar.Submitted) -> None:
        self.article_list.focus()

    @on(SearchBar.ScopeToggled)
    def search_scope_toggled(self) -> None:
        self.list_query = replace(self.list_query, everywhere=not self.list_query.everywhere)
        self.query_one(SearchBar).show_scope("everything" if self.list_query.everywhere else self.list_query.node.label)

    def action_save_search(self) -> None:
        """Keep the search as a tree node (under Searches), remembered for the next start."""
        search = self.list_query.search
        if search is None or search.is_everything:
            self.notify("Type a search first (/), then save it.", severity="warning")
            return
        name = search.text[:60]
        self.searches = (*((n, t) for n, t in self.searches if n != name), (name, search.text))
        self.tree.searches = self.searches
        self.tree.show_library(self.library, self.list_query.node, self.reading)
        self.app.remember(search=(name, search.text))
        self.notify(name, title="Search saved under Searches", markup=False)

    def action_clear_search(self) -> None:
        if self.list_query.search is not None or self.query_one(SearchBar).display:
            self.search_cancelled()

    @on(SearchBar.Cancelled)
    def search_cancelled(self) -> None:
        """Esc: the list as it was before the search, the cursor where it was."""
        self.query_one(SearchBar).close()
        before, keep = self._before_search or (replace(self.list_query, search=None, everywhere=False), None)
        self._before_search = None
        self.set_reactive(MainScreen.list_query, replace(self.list_query, search=None, everywhere=False))
        self.article_list.highlight([])
        self.detail.highlight([])
        self._show_list(keep)
        self._update_status()
        self.article_list.focus()

    def action_edit_article(self) -> None:
        """E: the article's file in the user's editor; the change shows when the editor exits."""
        index = self.article_list.highlighted
        if index is None:
            return
        path = self.session.root / self.library.articles[index].path
        command = editor_command(os.environ)
        if command is None:
            self.notify("Set $VISUAL or $EDITOR to edit articles (for example EDITOR=nano).", severity="warning")
            return
        if self.app.is_web:
            self.notify("The editor cannot run in a browser session.", severity="warning")
            return
        argv = [*command, str(path)]  # an argv list: never a shell
        try:
            try:
                with self.app.suspend():
                    result = subprocess.run(argv, check=False)
            except SuspendNotSupported:  # no terminal to hand over (a test): the editor runs as it is
                result = subprocess.run(argv, check=False, stdin=subprocess.DEVNULL)
        except OSError as error:
            self.notify(f"{escape_name(argv[0])}: {error.strerror or error}", title="Editor did not start", severity="error", markup=False)
            return
        if result.returncode != 0:
            self.notify(f"The editor exited with status {result.returncode}.", severity="warning")
        self.session.refresh_paths([str(path)])

    def action_rescan(self) -> None:
        self.session.rescan()

    def action_undo_mark(self) -> None:
        self.session.undo()

    def action_next_unread(self) -> None:
        self._go_to_unread(+1)

    def action_previous_unread(self) -> None:
        self._go_to_unread(-1)

    def _go_to_unread(self, step: int) -> None:
        """The next (or previous) unread article in the list's order, from the cursor."""
        if self.reading is None:
            return
        rows, articles, read = self.article_list.rows, self.library.articles, self.reading.read
        position = self.article_list.cursor + step
        while 0 <= position < len(rows):
            if articles[rows[position]].id not in read:
                self.article_list.cursor = position
                return
            position += step
        self.notify("No more unread articles this way.", severity="information")

    def action_copy_link(self) -> None:
        url = self._current_url()
        if url is None:
            self.notify("This article has no web link to copy.", severity="warning")
            return
        self.links.copy(url)

    def action_show_errors(self) -> None:
        from .errors import ErrorsScreen

        self.app.push_screen(ErrorsScreen(self.library))

    def action_overview(self) -> None:
        """The chosen node in numbers; counted by the overview screen, in a thread."""
        from .overview import OverviewScreen

        query = self.list_query
        self.app.push_screen(OverviewScreen(self.library, self.library.view_of(query, self.reading), query.node.label))

    def action_help(self) -> None:
        from .help import HelpScreen

        def display(key: str) -> str:
            return self.app.get_key_display(_binding(key))

        self.app.push_screen(HelpScreen(help_sections(self.app._keymap, display)))

    def action_screenshot(self) -> None:
        """Save an SVG of the screen where the user keeps pictures (else here), and say where."""
        import platformdirs

        folder = Path(platformdirs.user_pictures_dir())
        if not folder.is_dir():
            folder = Path.cwd()
        try:
            saved = self.app.save_screenshot(path=str(folder))
        except OSError as error:
            self.notify(f"Could not save the screenshot: {error.strerror or error}", severity="error", markup=False)
            return
        self.notify(escape_name(saved), title="Screenshot saved", markup=False)


def _highlight_terms(search) -> list[str]:
    from ..query import highlight_terms

    return highlight_terms(search)


def _binding(key: str):
    from textual.binding import Binding

    return Binding(key, "")
