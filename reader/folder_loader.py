"""Loading a whole library folder: cache first, then what changed, in parallel.

``FolderLoader.events()`` yields progress and successive ``Library``
snapshots, so the app can show the first rows from the cache at once and
fill in the rest as it arrives; ``FolderLoader.load()`` runs it to the end
for the command line.

The steps, each as cheap as it can be:
1. the first screen straight from the cache (one indexed query);
2. every cached summary (no details), as a complete-looking library;
3. a walk of the folder comparing size and mtime with the cache, handing new
   and changed files to the parser as they are found, so parsing overlaps the
   walk; in several processes once there are many (the YAML parse is the
   cost, and it does not share a core);
4. forgetting deleted files, storing what was parsed, and the final library.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import (
    ARTICLE,
    ERROR,
    SKIPPED,
    ArticleCache,
    Record,
    SummaryBuilder,
    problem_record,
    record_error,
    summary_record,
)
from .library import Library
from .loading import FileEntry, Skipped, load_file, load_summary, walk
from .model import Article, ArticleSummary, LoadError

if TYPE_CHECKING:
    from concurrent.futures import Future

FIRST_SCREEN_ROWS = 200
CHUNK_FILES = 500  # files per task handed to a parsing process
PARALLEL_FROM = 2_000  # fewer files parse faster in-process than processes start
# A growing library is re-indexed for the UI when it has doubled and some
# time has passed: a few snapshots in all, not one per chunk, since each
# costs a pass over everything loaded so far.
SNAPSHOT_EVERY_S = 1.0
# What reading a damaged cache raises: SQLite's own errors, or a row whose
# values are not what we wrote (text for a number, a timestamp out of range).
_DAMAGED_CACHE = (sqlite3.DatabaseError, ValueError, TypeError, IndexError, OverflowError)


@dataclass(frozen=True, slots=True)
class LoadProgress:
    stage: str  # "cache" | "scanning" | "parsing" | "done"
    done: int = 0
    total: int = 0


def start_parsing_process() -> None:
    """Set up a parsing process: the fast YAML parser is safe to use there (see frontmatter_yaml)."""
    from . import frontmatter_yaml

    frontmatter_yaml.enable_accelerator()


def parse_files(root: Path, entries: Sequence[FileEntry]) -> list[Record]:
    """Parse some files into records. Runs in a worker process, so it takes and returns plain data."""
    records = []
    for entry in entries:
        outcome = load_summary(root, entry.path)
        if isinstance(outcome, ArticleSummary):
            records.append(summary_record(outcome, entry.size, entry.mtime_ns))
        else:
            status = SKIPPED if isinstance(outcome, Skipped) else ERROR
            records.append(problem_record(entry.path, entry.size, entry.mtime_ns, status, outcome.reason))
    return records


@dataclass
class _Progress:
    done: int = 0
    total: int = 0
    last_snapshot: float = field(default_factory=time.monotonic)
    next_snapshot: int = 2


class _ChunkParser:
    """Parses chunks of files in order: in this process, or in a pool of
    processes started once PARALLEL_FROM files are waiting (fewer parse faster
    here than processes start). A pool that breaks (a killed or crashed
    process) is not fatal: what it had not delivered is parsed here."""

    def __init__(self, root: Path, workers: int) -> None:
        self.root = root
        self.workers = workers
        self._queue: deque[tuple[list[FileEntry], Future | None]] = deque()
        self._waiting = 0  # files queued but not submitted to a pool
        self._pool = None

    def submit(self, chunk: list[FileEntry]) -> None:
        if self._pool is not None:
            self._queue.append((chunk, self._submit(chunk)))
            return
        self._queue.append((chunk, None))
        self._waiting += len(chunk)
        if self.workers > 1 and self._waiting >= PARALLEL_FROM:
            self._start_pool()

    def finished(self) -> Iterator[list[Record]]:
        """The next chunks in order whose parsing is done, without waiting."""
        while self._queue and self._queue[0][1] is not None and self._queue[0][1].done():
            yield self._result(*self._queue.popleft())

    def remaining(self) -> Iterator[list[Record]]:
        """Every chunk not delivered yet, in order, waiting as needed."""
        while self._queue:
            yield self._result(*self._queue.popleft())

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _result(self, chunk: list[FileEntry], future: Future | None) -> list[Record]:
        from concurrent.futures import CancelledError
        from concurrent.futures.process import BrokenProcessPool

        if future is not None:
            try:
                return future.result()
            except (BrokenProcessPool, OSError, CancelledError):
                pass  # parsed here instead, below
        return parse_files(self.root, chunk)

    def _submit(self, chunk: list[FileEntry]) -> Future | None:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self._pool.submit(parse_files, self.root, chunk)
        except (BrokenProcessPool, RuntimeError):
            return None

    def _start_pool(self) -> None:
        # Imported here: only a large cold load needs them, and start-up should not pay.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # "spawn": the app has threads running, and forking a threaded process is unsafe.
        context = multiprocessing.get_context("spawn")
        try:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context, initializer=start_parsing_process
            )
        except OSError:
            return  # no processes here: everything is parsed in this process
        queued, self._queue = self._queue, deque()
        for chunk, _ in queued:
            self._queue.append((chunk, self._submit(chunk)))
        self._waiting = 0


class FolderLoader:
    """Loads one library folder, through the cache when there is one."""

    def __init__(self, root: Path, cache: ArticleCache | None = None, workers: int | None = None) -> None:
        self.root = root.resolve()
        self.cache = cache
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.cancelled = threading.Event()
        self._builder = SummaryBuilder()
        self._summaries: dict[str, ArticleSummary] = {}
        self._problems: dict[str, Record] = {}
        self._last: Library | None = None

    # --- the public ways to run it -------------------------------------------

    def load(self) -> Library:
        library = None
        for event in self.events():
            if isinstance(event, Library):
                library = event
        assert library is not None
        return library

    def first_screen(self, order: str = "quality") -> Library | None:
        """The top articles in ``order`` from the cache, for the very first frame (a few ms)."""
        if self.cache is None:
            return None
        try:
            first = self.cache.first_records(self.root, FIRST_SCREEN_ROWS, order)
            # Inside the try: a damaged row fails here, when it becomes a summary.
            summaries = [SummaryBuilder().summary(r) for r in first]
        except _DAMAGED_CACHE:
            return None  # events() finds the damage again and rebuilds the cache
        if not summaries:
            return None
        return self._library(summaries, complete=False)

    def events(self, first_screen: bool = True) -> Iterator[LoadProgress | Library]:
        # path -> (size, mtime_ns) of what the cache holds; not the records, which
        # would double the memory of a warm start.
        cached: dict[str, tuple[int, int]] = {}
        if self.cache is not None:
            yield LoadProgress("cache")
            if first_screen and (library := self.first_screen()) is not None:
                yield library
            try:
                for record in self.cache.records(self.root):
                    cached[record[0]] = (record[1], record[2])
                    self._take(record)
            except _DAMAGED_CACHE:
                # A damaged cache is only a slower start: drop it and parse everything.
                cached.clear()
                self._summaries.clear()
                self._problems.clear()
                self.cache.reset()
            if cached:
                yield self._snapshot(complete=False)

        yield LoadProgress("scanning")
        # New and changed files are parsed while the walk goes on: at 100,000
        # files the walk alone (a stat each) takes over a second.
        parser = _ChunkParser(self.root, self.workers)
        chunk: list[FileEntry] = []
        walk_problems: list[LoadError | Skipped] = []
        seen: set[str] = set()
        progress = _Progress(next_snapshot=max(len(self._summaries), 1) * 2)
        try:
            for found in walk(self.root):
                if self.cancelled.is_set():
                    return
                if isinstance(found, FileEntry):
                    seen.add(found.path)
                    if cached.get(found.path) != (found.size, found.mtime_ns):
                        chunk.append(found)
                        progress.total += 1
                        if len(chunk) == CHUNK_FILES:
                            parser.submit(chunk)
                            chunk = []
                            for records in parser.finished():
                                yield from self._taken(records, progress, walking=True)
                else:
                    walk_problems.append(found)
            if chunk:
                parser.submit(chunk)
            gone = [path for path in cached if path not in seen]
            for path in gone:
                self._summaries.pop(path, None)
                self._problems.pop(path, None)
            if gone and self.cache is not None:
                self.cache.forget(self.root, gone)
            for problem in walk_problems:
                status = SKIPPED if isinstance(problem, Skipped) else ERROR
                self._problems[problem.path] = problem_record(problem.path, 0, 0, status, problem.reason)
            for records in parser.remaining():
                if self.cancelled.is_set():
                    return
                yield from self._taken(records, progress, walking=False)
        finally:
            parser.close()
        yield LoadProgress("done", progress.done, progress.total)
        if not progress.total and not gone and not walk_problems and self._last is not None:
            yield self._last.completed()  # nothing changed since the cache: no need to re-index
        else:
            yield self._snapshot(complete=True)

    # --- parsing -------------------------------------------------------------

    def _taken(self, records: list[Record], progress: _Progress, walking: bool) -> Iterator[LoadProgress | Library]:
        """Store and index one parsed chunk; now and then, a snapshot of the growing library."""
        if self.cache is not None:
            self.cache.store(self.root, records)
        for record in records:
            self._take(record)
        progress.done += len(records)
        # While walking, the total is still growing: the bar waits for it.
        yield LoadProgress("parsing", progress.done, 0 if walking else progress.total)
        if (
            progress.done < progress.total
            and len(self._summaries) >= progress.next_snapshot
            and time.monotonic() - progress.last_snapshot > SNAPSHOT_EVERY_S
        ):
            yield self._snapshot(complete=False)
            progress.last_snapshot = time.monotonic()
            progress.next_snapshot = len(self._summaries) * 2

    # --- turning records into libraries --------------------------------------

    def _take(self, record: Record) -> None:
        path = record[0]
        if record[3] == ARTICLE:
            self._summaries[path] = self._builder.summary(record)
            self._problems.pop(path, None)
        else:
            self._problems[path] = record
            self._summaries.pop(path, None)

    def _snapshot(self, complete: bool) -> Library:
        summaries = [self._summaries[path] for path in sorted(self._summaries)]
        self._last = self._library(summaries, complete)
        return self._last

    def _library(self, summaries: list[ArticleSummary], complete: bool) -> Library:
        problems = [self._problems[path] for path in sorted(self._problems)]
        return Library(
            summaries,
            errors=[record_error(r) for r in problems if r[3] == ERROR],
            skipped=[Skipped(r[0], r[4] or "") for r in problems if r[3] == SKIPPED],
            fetch=self.fetch,
            complete=complete,
        )

    def fetch(self, summary: ArticleSummary) -> Article | None:
        """The full article for the detail pane, read from its file (under a millisecond)."""
        outcome = load_file(self.root, summary.path)
        return outcome if isinstance(outcome, Article) else None
