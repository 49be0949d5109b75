"""The library session: everything the app does with one folder in the background.

It owns the loading (the first screen from the cache, then the whole
library), the reading of full articles for the detail pane, the reading
state (read, starred, new), and, later, the folder watcher and feed fetching. It has no widgets: it runs its work in
thread workers belonging to the screen it serves, and tells that screen what
happened through the messages in ``messages.py``. Nothing here runs slow work
on the UI thread, not even the first screen's query.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from textual.dom import DOMNode
from textual.worker import Worker, get_current_worker

from .cache import ERROR, ArticleCache, default_cache_path
from .fields import DEFAULT_FIELDS, FieldNames
from .folder_loader import FolderLoader, LoadProgress, LoadStage
from .library import ALL, Library, ListQuery
from .messages import (
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

if TYPE_CHECKING:  # the state module is imported in the state thread: start-up does not wait for it
    from .fulltext import LiveFullText
    from .state import Change, ReadingState, StateStore
from .text import counted, escape_name, safe_error
from .watcher import FolderWatcher, WatchMode

PROGRESS_EVERY_S = 0.1
ON_SCREEN_WAIT_S = 2.0  # at most, for the screen to draw a library before the background work goes on
HALF_WRITTEN_RETRIES = 3  # a file that fails to parse just after it changed is read again, a second apart


class LibrarySession:
    """Loads one folder for one screen, and reads its articles on demand."""

    def __init__(
        self,
        root: Path,
        *,
        use_cache: bool = True,
        cache_path: Path | None = None,
        workers: int | None = None,
        state_path: Path | None = None,
        watch: WatchMode = WatchMode.AUTO,
        fields: FieldNames = DEFAULT_FIELDS,
    ) -> None:
        self.root = root
        self.fields = fields
        self.use_cache = use_cache
        self.cache_path = cache_path
        self.parse_workers = workers
        self.state_path = state_path
        self._owner: DOMNode | None = None
        self._loader: FolderLoader | None = None
        self.watch_mode = watch
        self._stop = threading.Event()  # set when the session closes: the watcher ends
        self._rescan = threading.Event()  # `r`: the watcher runs a full rescan at its next heartbeat
        self._pending: set[str] = set()  # paths to read again at the next heartbeat (an edited file)
        self._pending_lock = threading.Lock()
        # The reading state is user data: every change is written (and fsynced) by
        # one thread of its own, in order, before the screen is told.
        self._state_jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reading-state")
        self._store: StateStore | None = None
        self._new_since: float | None = None
        # The library last handed to the screen, and the reading state last posted: the
        # tree's counts for the pair are made in the session's threads (Library.precount).
        self._shown: Library | None = None
        self._state: ReadingState | None = None
        self._on_screen = threading.Event()  # set by the screen once it has drawn the library last posted
        self._undo: list[Change] = []
        self._warnings_shown = 0
        self._full_text: LiveFullText | None = None  # excerpts and bodies searched, from the first whole library

    def start(self, owner: DOMNode, query: ListQuery, current: Callable[[], ListQuery] | None = None) -> Worker:
        """Start loading for ``owner`` (the screen), which receives the messages.

        ``current`` tells the session what the list shows now, so a live update
        can compute that order in its thread rather than on the UI's.
        """
        self._owner = owner
        self._query_now = current or (lambda: query)
        _start_resource_tracker()
        return owner.run_worker(
            lambda: self._load(query), thread=True, exclusive=True, group="load", name="load library"
        )

    def close(self) -> None:
        """Stop loading, let go of the cache, and close the state once its last change is written."""
        self._stop.set()
        loader = self._loader
        if loader is not None:
            loader.cancelled.set()
            loader.close()
        if self._full_text is not None:
            self._full_text.close()
        self._state_jobs.submit(self._close_state)
        self._state_jobs.shutdown(wait=True)

    # --- loading -------------------------------------------------------------

    def _open_cache(self) -> ArticleCache | None:
        if not self.use_cache:
            return None
        try:
            signature = "" if self.fields == DEFAULT_FIELDS else self.fields.signature()
            return ArticleCache(self.cache_path or default_cache_path(signature))
        except Exception as error:  # any failure of a disposable cache: load without it
            self._post(LoadWarning(f"cache unavailable, loading without it: {safe_error(error)}"))
            return None

    def _load(self, query: ListQuery) -> None:
        worker = get_current_worker()
        try:
            loader = self._loader = FolderLoader(
                self.root, self._open_cache(), workers=self.parse_workers, names=self.fields
            )
            # The first screen: the top rows of the starting order, from a small file, in this thread.
            if not query.reverse and query.node == ALL:
                first = loader.first_screen(query.sort.value)
                if first is not None:
                    self._on_screen.clear()
                    self._post(FirstScreenRead(first, query.sort.value))
                    # Nothing else until they are drawn: the reading state and the library
                    # would share the interpreter with the first frame.
                    self._on_screen.wait(ON_SCREEN_WAIT_S)
            self._state_job(self._open_state)
            last_progress = 0.0
            final: Library | None = None
            for event in loader.events(first_screen=False):
                if worker.is_cancelled:
                    loader.cancelled.set()
                    return
                for warning in loader.take_warnings():
                    self._post(LoadWarning(warning))
                if isinstance(event, Library):
                    if event is final:
                        continue  # the library read whole from the cache, found unchanged by the walk
                    # The order on screen and the tree's counts are computed here, not on the UI thread.
                    event.view_of(query)
                    event.ids()  # what the list's rows are looked up by
                    self._shown = event
                    if self._state is not None:
                        event.precount(self._state)
                    self._on_screen.clear()
                    self._post(LibraryLoaded(event))
                    if event.complete:
                        final = event
                        # What follows keeps this thread busy for seconds at a million articles,
                        # and threads share one interpreter: it waits until the library is on
                        # screen, so the first keys after it (End, a sort) find the UI free.
                        self._on_screen.wait(ON_SCREEN_WAIT_S)
                        self.saw(event)
                        event.prepare()  # the other orders, so a sort switch is instant
                        # The library and its index live as long as they are shown: the
                        # collector's full passes need not walk them (at 100,000 articles
                        # such a pass, run at a keystroke, took 110 ms).
                        gc.freeze()
                elif not isinstance(event, LoadProgress):
                    continue
                elif time.monotonic() - last_progress > PROGRESS_EVERY_S or event.stage is LoadStage.DONE:
                    last_progress = time.monotonic()
                    self._post(LoadProgressed(event))
            for warning in loader.take_warnings():
                self._post(LoadWarning(warning))
        except Exception as error:
            self._post(LoadFailed(f"loading stopped: {safe_error(error)}"))
            final = None
        if final is None or worker.is_cancelled or self._stop.is_set():
            if self._loader is not None:
                self._loader.close()
            return
        # Once the loader has checked every file (its walk and the index's would share the cores).
        self._search_full_text(final)
        # The loader lives on in the watcher's thread: a plain daemon thread, not a
        # worker, since it runs until the session closes (and nothing waits for it).
        threading.Thread(target=self._watch, args=(loader, final), name="watch folder", daemon=True).start()

    def library_shown(self) -> None:
        """The screen has drawn the library last posted (called on the UI thread)."""
        self._on_screen.set()

    # --- the live library ------------------------------------------------------

    # --- feeds ----------------------------------------------------------------

    def fetch_feeds(self, into: Path) -> None:
        """Fetch every followed feed into ``into`` in the background (R); the watcher brings new files in."""
        assert self._owner is not None
        self._owner.run_worker(
            lambda: self._fetch_feeds(into), thread=True, exclusive=True, group="fetch", name="fetch feeds"
        )

    def _fetch_feeds(self, into: Path) -> None:
        from .feeds import load_feeds
        from .fetch import fetch_all

        feed_list = load_feeds()
        for warning in feed_list.warnings:
            self._post(LoadWarning(warning))
        if not feed_list.feeds:
            self._post(FeedsFetching(0, 0, "No feeds are followed yet: reader feeds add URL", failed=True))
            return
        total = len(feed_list.feeds)
        self._post(FeedsFetching(0, total))
        report = fetch_all(
            feed_list.feeds, into, on_progress=lambda done, total, line: self._post(FeedsFetching(done, total))
        )
        for result in report.failed:
            self._post(LoadWarning(result.line))
        for warning in report.warnings:
            self._post(LoadWarning(warning))
        failed = len(report.failed)
        summary = f"Feeds: {report.new:,} new, {report.updated:,} updated" + (
            f", {counted(failed, 'feed')} failed" if failed else ""
        )
        inside = into.resolve() == self.root or self.root in into.resolve().parents
        if not inside:
            summary += f" (into {escape_name(str(into))}, not this library)"
        self._post(FeedsFetching(total, total, summary, failed=bool(failed)))

    def refresh_paths(self, paths: Iterable[str]) -> None:
        """Read these files again at the watcher's next heartbeat (an article edited in the editor)."""
        with self._pending_lock:
            self._pending.update(paths)

    def rescan(self) -> None:
        """Walk the whole folder again (`r`), at the watcher's next heartbeat (under a second)."""
        self._rescan.set()
        self._post(LoadProgressed(LoadProgress(LoadStage.SCANNING)))

    def _watch(self, loader: FolderLoader, library: Library) -> None:
        """Follow the folder: each batch of changes is one refresh, one snapshot, one repaint."""
        try:
            self._follow(loader, library)
        except Exception as error:  # the folder vanished, the disk failed: say so, keep what is shown
            self._post(LoadWarning(f"stopped following the folder: {safe_error(error)}"))
        finally:
            loader.close()

    def _follow(self, loader: FolderLoader, library: Library) -> None:
        watcher = FolderWatcher(self.root, self.watch_mode)
        retries: dict[str, int] = {}  # changed files that did not parse: maybe caught half-written
        known = set(library.ids())
        for batch in watcher.batches(self._stop):
            if self._stop.is_set():
                return
            if watcher.problem:
                self._post(LoadWarning(f"not watching for changes ({watcher.problem}); checking folders every few seconds"))
                watcher.problem = ""
            rescan = self._rescan.is_set()
            self._rescan.clear()
            with self._pending_lock:
                batch |= self._pending
                self._pending.clear()
            paths = {os.path.relpath(path, self.root) for path in batch} | set(retries)
            if not paths and not rescan:
                continue
            library = None
            for event in loader.events(first_screen=False) if rescan else loader.refresh(paths):
                if isinstance(event, Library):
                    library = event
                elif rescan and isinstance(event, LoadProgress):
                    self._post(LoadProgressed(event))
            if library is None:
                continue
            retries = {
                path: retries.get(path, 0) + 1
                for path in paths
                if (problem := loader.records.problem(path)) is not None
                and problem.status == ERROR
                and retries.get(path, 0) < HALF_WRITTEN_RETRIES
            }
            ids = set(library.ids())
            added = len(ids - known)
            known = ids
            library.view_of(self._query_now())
            self._shown = library
            if self._state is not None:
                library.precount(self._state)
            self._post(LibraryLoaded(library, live=True, added=added))
            self.saw(library)
            self._search_full_text(library, None if rescan else paths)
            for warning in loader.take_warnings():
                self._post(LoadWarning(warning))

    def _search_full_text(self, library: Library, changed: set[str] | None = None) -> None:
        """Words find excerpts (and bodies, with in:body) too: the full-text index, brought in step
        with each complete library in a thread of its own; the screen is sent the library again
        when the answers change (its search is answered here first, not on the UI thread).
        ``changed``: the files the watcher saw change (None: any may have)."""
        if self._stop.is_set():
            return
        if self._full_text is None:
            from .fulltext import LiveFullText

            def changed(latest: Library) -> None:
                latest.view_of(self._query_now())
                self._post(SearchAnswered(latest))

            self._full_text = LiveFullText(
                self.root,
                self.fields,
                beside=self.cache_path,
                use_index=self.use_cache,
                on_change=changed,
                on_warning=lambda text: self._post(LoadWarning(text)),
            )
        self._full_text.follow(library, changed)

    # --- the detail pane -----------------------------------------------------

    def read_article(self, library: Library, index: int) -> None:
        """Read one article's file in a thread; the screen gets an ArticleRead."""
        assert self._owner is not None
        # Under a millisecond for a real article, but a file is untrusted input: a
        # slow one must not freeze the keys. Not exclusive: a thread cannot be
        # stopped anyway, and the screen drops a result the cursor has left.
        self._owner.run_worker(
            lambda: self._post(ArticleRead(library, index, library.article(index))),
            thread=True,
            group="detail",
            name="read article",
        )

    # --- the reading state ---------------------------------------------------

    def saw(self, library: Library) -> None:
        """Note every article of a complete library as seen (what is new since last run)."""
        ids = library.ids()

        def see() -> str:
            self._require_store().see(ids)
            if self._new_since is None:
                # The first run on this folder: what it found at start is not "new",
                # what arrives from now on is.
                self._new_since = time.time()
            return ""

        self._state_job(see)

    def mark_read(self, ids: Iterable[str], read: bool = True, *, say: bool = False) -> None:
        ids = list(ids)
        self._state_job(lambda: self._mark(self._require_store().mark_read(ids, read), say))

    def star(self, ids: Iterable[str], starred: bool = True) -> None:
        ids = list(ids)
        self._state_job(lambda: self._mark(self._require_store().star(ids, starred), False))

    def undo(self) -> None:
        def undo() -> str:
            if not self._undo:
                return "Nothing to undo."
            change = self._undo.pop()
            restored = self._require_store().undo(change)
            return f"Undone: {counted(restored, 'article')} {_WORDS[change.field, not change.value]} again."

        self._state_job(undo)

    def poll(self) -> None:
        """Pick up another window's (or `reader mark`'s) changes, cheaply, if there are any."""
        if self._store is not None:
            self._state_job(lambda: "" if self._require_store().changed_elsewhere() else None)

    def _mark(self, change: Change, say: bool) -> str:
        if len(change):
            self._undo.append(change)
        if not say:
            return ""
        return f"{counted(len(change), 'article')} marked {_WORDS[change.field, change.value]} (u undoes it)."

    def _open_state(self) -> str:
        from .state import StateStore, default_state_path

        store = self._store = StateStore(self.state_path or default_state_path())
        self._new_since = store.begin_run(self.root).new_since
        return ""

    def _close_state(self) -> None:
        if self._store is not None:
            self._store.close()

    def _require_store(self) -> StateStore:
        assert self._store is not None  # opened by the first job, which runs first
        return self._store

    def _state_job(self, job: Callable[[], str | None]) -> None:
        """Run a state job in the state thread; a note (even empty) means: post a new snapshot."""

        def run() -> None:
            from .state import StateError

            try:
                note, error = job(), False
            except StateError as failure:
                note, error = str(failure), True
            except Exception as failure:  # never a traceback for a damaged file or a full disk
                note, error = f"reading state: {safe_error(failure)}", True
            store = self._store
            if store is None:
                return
            for warning in store.warnings[self._warnings_shown :]:
                self._post(LoadWarning(warning))
            self._warnings_shown = len(store.warnings)
            if note is not None:
                state = self._state = store.snapshot(self._new_since)
                library = self._shown
                if library is not None:
                    library.precount(state)  # here, not on the UI thread
                self._post(StateChanged(state, note, error))

        with contextlib.suppress(RuntimeError):  # closing: nothing more is taken
            self._state_jobs.submit(run)

    def _post(self, message) -> None:
        if self._owner is not None:
            self._owner.post_message(message)


_WORDS = {("read", True): "read", ("read", False): "unread", ("starred", True): "starred", ("starred", False): "unstarred"}


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with the real stderr.

    While Textual runs, ``sys.stderr`` is a capture object whose ``fileno()``
    is -1; the tracker passes that number to its process, and the first
    process pool (a cold load of 2,000+ files) then fails with "bad value(s)
    in fds_to_keep". Started here, on the UI thread before the loading worker
    exists, it gets the real stderr (or none). It costs well under a millisecond.
    """
    from multiprocessing import resource_tracker

    with contextlib.redirect_stderr(sys.__stderr__), contextlib.suppress(Exception):
        resource_tracker.ensure_running()  # if it cannot start now, the pool tries again
