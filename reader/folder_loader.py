"""Loading a whole library folder: cache first, then what changed, in parallel.

``FolderLoader.events()`` yields progress and successive ``Library``
snapshots, so the app can show the first rows from the cache at once and
fill in the rest as it arrives; ``FolderLoader.load()`` runs it to the end
for the command line.

The steps, each as cheap as it can be:
1. the first screen straight from the cache (one indexed query);
2. the whole library as the last load left it, read in one piece
   (snapshot.py; without one, every cached row), usable at once: every sort,
   every tree node, End on the true last article;
3. a walk of the folder comparing each file's size, mtime, ctime and inode
   with the cache, handing new and changed files to the parser as they are
   found, so parsing overlaps the walk; in several processes once there are
   many (the YAML parse is the cost, and it does not share a core);
4. forgetting deleted files, storing what was parsed, and the final library;
5. that library written back whole, for the next start, when it changed.

The loaded records live in a ``LoadedRecords``, which outlives one run:
``events()`` can be run again (a rescan that parses only what changed), and
``refresh(paths)`` brings a few paths up to date, as a folder watcher will.
A loader owns its cache: ``close()`` (or ``with``) closes it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import (
    ARTICLE,
    ERROR,
    NO_STAMP,
    SKIPPED,
    ArticleCache,
    CacheReadFailed,
    Record,
    SummaryBuilder,
    problem_record,
    record_error,
    summary_record,
)
from .fields import DEFAULT_FIELDS, FieldNames
from .library import ALL, Library, SortKey
from .loading import FileEntry, Skipped, load_file, load_summary, look_at, walk, walk_against
from .model import Article, ArticleSummary, LoadError
from .snapshot import Snapshot, SnapshotDamaged, encode_pieces
from .snapshot import read as read_snapshot
from .text import safe_error

if TYPE_CHECKING:
    from concurrent.futures import Future

FIRST_SCREEN_ROWS = 200
CHUNK_FILES = 500  # files per task handed to a parsing process
PARALLEL_FROM = 2_000  # fewer files parse faster in-process than processes start
# A growing library is re-indexed for the UI when it has doubled and some
# time has passed: a few snapshots in all, not one per chunk, since each
# costs a pass over everything loaded so far.
SNAPSHOT_EVERY_S = 1.0
SAVE_EVERY_S = 60.0
READ_PARALLEL_FROM = 200  # full articles read in processes from this many (reader list --json --body)
READ_CHUNK = 100  # the library written whole to the cache, after the watcher's changes
_ARTICLE = int(ARTICLE)  # the plain int: compared once per record
# How often a parsing process checks that the process that started it is still there.
PARENT_CHECK_S = 0.25
# What turning a cached record into a summary raises when the row is not what
# we wrote (text for a number, a timestamp out of range).
_DAMAGED_ROW = (ValueError, TypeError, IndexError, OverflowError, OSError)


class LoadStage(StrEnum):
    """Where a load is. A StrEnum: ``stage == "done"`` reads as well as ``stage is LoadStage.DONE``."""

    CACHE = "cache"  # reading the cache
    SCANNING = "scanning"  # walking the folder for what changed
    PARSING = "parsing"  # new and changed files being read
    DONE = "done"  # the next event is the complete library


@dataclass(frozen=True, slots=True)
class LoadProgress:
    stage: LoadStage
    done: int = 0
    total: int = 0  # 0 while the walk is still finding files


LoadEvent = LoadProgress | Library


# --- the parsing processes -----------------------------------------------------


def start_parsing_process(parent: int | None = None) -> None:
    """Set up a parsing process: the fast YAML parser is safe to use there (see
    frontmatter), and the process ends with the one that started it."""
    from . import frontmatter

    frontmatter.enable_accelerator()
    # Ctrl+C reaches the whole process group; the loader stops its pool itself,
    # and a KeyboardInterrupt traceback from each worker would only be noise.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        _end_with_parent(parent)


def _end_with_parent(parent: int) -> None:
    """End this process when its parent is gone (killed with SIGKILL, say).

    A parsing process waits on a queue that it holds both ends of, so it
    would never notice on its own; nor would multiprocessing's resource
    tracker, which waits for every process holding its pipe. A thread that
    polls the parent's PID works everywhere, and costs nothing between checks.
    """
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)  # no clean-up: there is nobody left to hand results to

    threading.Thread(target=watch, name="watch the loading process", daemon=True).start()


def read_files(root: Path, paths: Sequence[str], names: FieldNames = DEFAULT_FIELDS) -> list[Article | None]:
    """Read some files as full Articles (None for one that no longer reads as one). Runs in a worker process."""
    return [outcome if isinstance(outcome, Article) else None for outcome in (load_file(root, p, names) for p in paths)]


def read_articles(
    root: Path, paths: Sequence[str], names: FieldNames = DEFAULT_FIELDS, workers: int | None = None
) -> list[Article | None]:
    """Full Articles of many files, in the order given, read by parsing processes when there are many
    (``reader list --json --body``: the YAML of every file is the cost, and it does not share a core)."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers < 2 or len(paths) < READ_PARALLEL_FROM:
        return read_files(root, paths, names)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = [paths[start : start + READ_CHUNK] for start in range(0, len(paths), READ_CHUNK)]
    restore = _exit_on_sigterm()
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_parsing_process,
            initargs=(os.getpid(),),
        ) as pool:
            futures = [pool.submit(read_files, root, chunk, names) for chunk in chunks]
            return [article for future in futures for article in future.result()]
    except OSError:  # no processes here: read them in this one
        return read_files(root, paths, names)
    finally:
        if restore is not None:
            restore()


def parse_files(root: Path, entries: Sequence[FileEntry], names: FieldNames = DEFAULT_FIELDS) -> list[Record]:
    """Parse some files into records. Runs in a worker process, so it takes and returns plain data.

    The field names travel with each chunk: a spawned process starts with the defaults.
    """
    records = []
    for entry in entries:
        outcome = load_summary(root, entry.path, names)
        if isinstance(outcome, ArticleSummary):
            records.append(summary_record(outcome, entry.stamp))
        else:
            status = SKIPPED if isinstance(outcome, Skipped) else ERROR
            records.append(problem_record(entry.path, entry.stamp, status, outcome.reason))
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

    def __init__(self, root: Path, workers: int, names: FieldNames = DEFAULT_FIELDS) -> None:
        self.root = root
        self.workers = workers
        self.names = names
        self._queue: deque[tuple[list[FileEntry], Future | None]] = deque()
        self._waiting = 0  # files queued but not submitted to a pool
        self._pool = None
        self._restore_sigterm: Callable[[], None] | None = None

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
        try:
            if self._pool is not None:
                pool, self._pool = self._pool, None
                pool.shutdown(wait=True, cancel_futures=True)
        finally:
            if self._restore_sigterm is not None:
                self._restore_sigterm()
                self._restore_sigterm = None

    def _result(self, chunk: list[FileEntry], future: Future | None) -> list[Record]:
        from concurrent.futures import CancelledError
        from concurrent.futures.process import BrokenProcessPool

        if future is not None:
            try:
                return future.result()
            except (BrokenProcessPool, OSError, CancelledError):
                pass  # parsed here instead, below
        return parse_files(self.root, chunk, self.names)

    def _submit(self, chunk: list[FileEntry]) -> Future | None:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self._pool.submit(parse_files, self.root, chunk, self.names)
        except (BrokenProcessPool, RuntimeError):
            return None

    def _start_pool(self) -> None:
        # Imported here: only a large cold load needs them, and start-up should not pay.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # "spawn": the app has threads running, and forking a threaded process is unsafe.
        context = multiprocessing.get_context("spawn")
        self._restore_sigterm = _exit_on_sigterm()
        try:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=start_parsing_process,
                initargs=(os.getpid(),),
            )
        except OSError:
            return  # no processes here: everything is parsed in this process
        queued, self._queue = self._queue, deque()
        for chunk, _ in queued:
            self._queue.append((chunk, self._submit(chunk)))
        self._waiting = 0


def _exit_on_sigterm() -> Callable[[], None] | None:
    """While a pool runs, SIGTERM exits through SystemExit, so that the pool is
    shut down and the cache closed on the way out, as Ctrl+C would.

    Only where nobody else has a say: in the main thread (where a handler can
    be set at all) and when SIGTERM still has its default action. Elsewhere
    (the app loads in a thread), SIGTERM ends the process at once, and the
    parsing processes follow it within PARENT_CHECK_S (see _end_with_parent).
    Returns what puts the default back, or None.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return None

        def exit_now(signum: int, frame: object) -> None:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends it outright
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, exit_now)
    except (ValueError, OSError, AttributeError):
        return None

    def restore() -> None:
        with contextlib.suppress(ValueError, OSError):
            if signal.getsignal(signal.SIGTERM) is exit_now:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)

    return restore


# --- the loaded set -----------------------------------------------------------


class LoadedRecords:
    """Every file of one library folder as loaded so far, and the Library they make.

    Records are applied (parsed or cached files), paths forgotten (deleted
    files), and a snapshot taken whenever the UI needs one. A snapshot is only
    built when something changed since the last one: otherwise the last one
    is given again (marked complete if asked), sharing all its indexes.
    """

    def __init__(
        self, fetch: Callable[[ArticleSummary], Article | None], root: Path | None = None
    ) -> None:
        self._fetch = fetch
        self._root = root  # to tell a symlinked copy from the real file, when two are one article
        self._builder = SummaryBuilder()
        self._stamps: dict[str, tuple[int, int, int, int]] = {}  # every path, with what it was read at
        self._summaries: dict[str, ArticleSummary] = {}
        self._problems: dict[str, Record] = {}
        self._last: Library | None = None
        self._changed = False
        # A library read whole from the cache (snapshot.py): its articles stay in its
        # columns, out of the dicts above, until something changes.
        self._base: Snapshot | None = None
        self._base_index: dict[str, int] | None = None
        self._walked: tuple[dict[str, int], bytearray] | None = None  # the snapshot's files the last walk found

    def __len__(self) -> int:
        return len(self._stamps) + (len(self._base.library) if self._base is not None else 0)

    def __contains__(self, path: object) -> bool:
        return path in self._stamps or (self._base is not None and path in self._index())

    @property
    def articles(self) -> int:
        return len(self._summaries) + (len(self._base.library) if self._base is not None else 0)

    def paths(self) -> Iterable[str]:
        if self._base is None:
            return self._stamps.keys()
        return itertools.chain(self._base.library.articles.paths.tolist(), self._stamps)

    def stamp(self, path: str) -> tuple[int, int, int, int] | None:
        """The size, mtime, ctime and inode the file had when its record was made."""
        if self._base is not None:  # (its articles' paths and the dicts' are never the same)
            index = self._index().get(path)
            if index is not None:
                size, mtime, ctime, inode = self._base.stamps
                return (size[index], mtime[index], ctime[index], inode[index])
        return self._stamps.get(path)

    def problem(self, path: str) -> Record | None:
        return self._problems.get(path)

    def start_from(self, snapshot: Snapshot) -> Library:
        """Take a library read whole from the cache: what every path was, until the folder says otherwise."""
        self.clear()
        self._base, self._base_index = snapshot, None
        self._changed = False
        for record in snapshot.others:
            self._stamps[record.path] = record.stamp
            if record.status == _ARTICLE:  # a duplicate of an article the library kept
                self._summaries[record.path] = self._builder.summary(record)
            else:
                self._problems[record.path] = record
        self._last = snapshot.library
        return snapshot.library

    def others(self, library: Library) -> list[Record]:
        """The records of every file not among ``library.articles`` (problems, duplicates): what a snapshot keeps beside it."""
        others = list(self._problems.values())
        if len(self._summaries) + (len(self._base.library) if self._base is not None else 0) != len(library):
            kept = set(library.articles.paths.tolist())
            others.extend(
                summary_record(summary, self._stamps[path])
                for path, summary in self._summaries.items()
                if path not in kept
            )
        return others

    def walk(self, root: Path) -> Iterator[FileEntry | LoadError | Skipped]:
        """What a walk of the folder finds; from a snapshot, less the files it has as they are."""
        if self._base is None:
            self._walked = None
            return walk(root)
        index, seen = self._index(), bytearray(len(self._base.library))
        # Kept apart from the snapshot: a change found half-way unpacks it, and the walk goes on.
        self._walked = (index, seen)
        return walk_against(root, index, self._base.stamps, seen)

    def not_seen(self, seen: set[str]) -> list[str]:
        """Every path neither in ``seen`` nor found unchanged by the last ``walk``: the deleted files."""
        if self._walked is None:
            return [path for path in self.paths() if path not in seen]
        index, found = self._walked
        return [
            path
            for path in self.paths()
            if path not in seen and ((position := index.get(path)) is None or not found[position])
        ]

    def walked(self) -> None:
        """The walk is over: what it needed (a dict of every path, at 1,000,000 files 150 MB) goes."""
        self._walked = self._base_index = None

    def _index(self) -> dict[str, int]:
        if self._base_index is None:
            assert self._base is not None
            self._base_index = {path: index for index, path in enumerate(self._base.library.articles.paths.tolist())}
        return self._base_index

    def _unpack_base(self) -> None:
        """Move the snapshot's articles into the dicts, before the first change to them."""
        base = self._base
        if base is None:
            return
        self._base = self._base_index = None
        summaries, stamps = self._summaries, self._stamps
        for index, summary in enumerate(base.library.articles):
            summaries[summary.path] = summary
            stamps[summary.path] = base.stamp(index)

    def apply(self, records: Iterable[Record]) -> None:
        """Take new or changed records. Raises ValueError (or another _DAMAGED_ROW)
        for a record holding values of the wrong type (from a damaged cache)."""
        records = list(records)
        if records:
            self._unpack_base()
        summaries, problems, stamps, summary_of = self._summaries, self._problems, self._stamps, self._builder.summary
        changed = False
        for record in records:
            path = record.path
            stamps[path] = record.stamp
            if record.status == _ARTICLE:
                summary = summary_of(record)
                old = summaries.get(path)
                if old is None or old != summary:
                    summaries[path] = summary
                    changed = True
                if problems and problems.pop(path, None) is not None:
                    changed = True
            else:
                if problems.get(path) != record:
                    problems[path] = record
                    changed = True
                if summaries.pop(path, None) is not None:
                    changed = True
        if changed:
            self._changed = True

    def forget(self, paths: Iterable[str]) -> None:
        paths = [path for path in paths if path in self]
        if paths:
            self._unpack_base()
        for path in paths:
            if self._stamps.pop(path, None) is not None:
                self._summaries.pop(path, None)
                self._problems.pop(path, None)
                self._changed = True

    def clear(self) -> None:
        self._base = self._base_index = None
        self.forget(list(self._stamps))

    def _is_symlink(self, path: str) -> bool:
        return self._root is not None and os.path.islink(os.path.join(self._root, path))

    def snapshot(self, complete: bool) -> Library:
        """The library of everything loaded: a new index only if something changed."""
        last = self._last
        if last is not None and not self._changed:
            # (a library from a snapshot is complete: it is the whole folder as last loaded)
            if complete and not last.complete:
                last = self._last = last.completed()
            return last
        summaries = [self._summaries[path] for path in sorted(self._summaries)]
        problems = [self._problems[path] for path in sorted(self._problems)]
        self._last = Library(
            summaries,
            errors=[record_error(r) for r in problems if r.status == ERROR],
            skipped=[Skipped(r.path, r.reason or "") for r in problems if r.status == SKIPPED],
            fetch=self._fetch,
            complete=complete,
            is_symlink=self._is_symlink,
        )
        self._changed = False
        return self._last


# --- the loader ---------------------------------------------------------------


class FolderLoader:
    """Loads one library folder, through the cache when there is one.

    Owns the cache it is given: ``close()`` (or leaving a ``with`` block)
    closes it. One run (``events``, ``refresh``, ``load``) at a time.
    """

    def __init__(
        self,
        root: Path,
        cache: ArticleCache | None = None,
        workers: int | None = None,
        names: FieldNames = DEFAULT_FIELDS,
    ) -> None:
        self.root = root.resolve()
        self.cache = cache
        self.names = names  # the front-matter keys each field is read from (config's [fields])
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        # Set to stop the current run (and any later one, until cleared).
        self.cancelled = threading.Event()
        self.records = LoadedRecords(self.fetch, self.root)
        self._warnings: list[str] = []
        self._warnings_taken = 0
        self._cache_read = False
        self._run = threading.Lock()
        self._saved: Library | None = None  # the library the cache's snapshot holds
        self._partial_snapshots = True  # a growing library now and then while parsing (for the app)
        self._saved_at = 0.0

    # --- the public ways to run it -------------------------------------------

    def load(self) -> Library:
        """Run a load to the end: the complete library (or the last one, if cancelled)."""
        library = None
        self._partial_snapshots = False  # nobody looks at them: the parsing processes get the cores
        try:
            for event in self.events(first_screen=False):
                if isinstance(event, Library):
                    library = event
        finally:
            self._partial_snapshots = True
        if library is None:
            raise RuntimeError("the load was cancelled before anything was loaded")
        return library

    def first_screen(self, order: str = "quality") -> Library | None:
        """The top articles in ``order`` from the cache, for the very first frame (a few ms).

        Safe to call from any thread, also while a run goes on in another: it
        shares nothing with the run but the cache, which has a lock.
        """
        if self.cache is None:
            return None
        try:
            builder = SummaryBuilder()
            summaries = [builder.summary(r) for r in self.cache.first_records(self.root, FIRST_SCREEN_ROWS, order)]
        except _DAMAGED_ROW:
            return None  # events() finds the damage again and rebuilds the cache
        if not summaries:
            return None
        return Library(summaries, fetch=self.fetch, complete=False)

    def events(self, first_screen: bool = True) -> Iterator[LoadEvent]:
        """Load the folder, with progress and growing snapshots; the last event
        is ``LoadProgress(DONE)`` then the complete library. Run again, it is a
        rescan: the folder is walked again and only what changed is parsed.

        A problem with the cache never stops it (see ``take_warnings``). Any
        other failure raises, after the parsing processes have been stopped;
        the loader can then be run again.
        """
        with self._one_run():
            if not self._cache_read:
                yield from self._read_cache(first_screen)
            if self.cancelled.is_set():
                return
            yield LoadProgress(LoadStage.SCANNING)
            yield from self._update(self.records.walk(self.root), covers=None)
            if self.cache is not None and not self.cancelled.is_set():
                self.cache.prune_if_due(keep=self.root)

    def refresh(self, paths: Iterable[str | os.PathLike]) -> Iterator[LoadEvent]:
        """Bring some paths up to date: files or folders that were changed,
        added or deleted (relative to the library folder, or absolute within
        it), as a folder watcher reports them. Only those are looked at; the
        events are those of ``events()``."""
        with self._one_run():
            if not self._cache_read:
                yield from self._read_cache(first_screen=False)
            targets = sorted({t for t in (self._relative(p) for p in paths) if t is not None})
            if self.cancelled.is_set():
                return
            yield LoadProgress(LoadStage.SCANNING)
            if "" in targets:  # the folder itself: everything
                yield from self._update(walk(self.root), covers=None)
            else:
                yield from self._update(self._look(targets), covers=targets)

    def fetch(self, summary: ArticleSummary) -> Article | None:
        """The full article for the detail pane, read from its file (under a millisecond)."""
        outcome = load_file(self.root, summary.path, self.names)
        return outcome if isinstance(outcome, Article) else None

    @property
    def warnings(self) -> list[str]:
        """Every warning so far (the cache's problems): one line each, safe to show."""
        self._collect_warnings()
        return list(self._warnings)

    def take_warnings(self) -> list[str]:
        """The warnings not taken yet, each once: call it after each event to show them as they come."""
        self._collect_warnings()
        new = self._warnings[self._warnings_taken :]
        self._warnings_taken = len(self._warnings)
        return new

    def close(self) -> None:
        """Stop any run and close the cache. Safe to call from another thread, and more than once."""
        self.cancelled.set()
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> FolderLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the steps -----------------------------------------------------------

    @contextlib.contextmanager
    def _one_run(self) -> Iterator[None]:
        if not self._run.acquire(blocking=False):
            raise RuntimeError("this folder is already being loaded")
        try:
            yield
        finally:
            self._run.release()

    def _read_cache(self, first_screen: bool) -> Iterator[LoadEvent]:
        self._cache_read = True
        cache = self.cache
        if cache is None or not cache.available:
            return
        yield LoadProgress(LoadStage.CACHE)
        file = cache.open_snapshot(self.root)
        if file is not None:
            try:
                with file:
                    snapshot = read_snapshot(file, self.fetch)
            except SnapshotDamaged as error:
                # Only the start is slower: the rows are read instead, and the next load writes a new one.
                self._warnings.append(f"cache: {error}; read row by row this time")
                cache.store_snapshot(self.root, None)
            else:
                self._saved = self.records.start_from(snapshot)
                self._saved_at = time.monotonic()
                yield self._saved
                return
        if first_screen and (library := self.first_screen()) is not None:
            yield library
        try:
            self.records.apply(cache.records(self.root))
        except CacheReadFailed:
            self.records.clear()  # a damaged cache is only a slower start: parse everything
        except _DAMAGED_ROW as error:
            self.records.clear()
            cache.damaged(error)
        if len(self.records):
            yield self.records.snapshot(complete=False)

    def _update(
        self, found: Iterable[FileEntry | LoadError | Skipped], covers: Sequence[str] | None
    ) -> Iterator[LoadEvent]:
        """Parse what ``found`` shows changed; forget what it should have found
        and did not (everything, or the paths under ``covers``)."""
        loaded = self.records
        parser = _ChunkParser(self.root, self.workers, self.names)
        chunk: list[FileEntry] = []
        problems: list[Record] = []
        seen: set[str] = set()
        progress = _Progress(next_snapshot=max(loaded.articles, 1) * 2)
        try:
            # This loop runs once per file of every warm start: names are looked up once.
            stamp_of, is_cancelled = loaded.stamp, self.cancelled.is_set
            for item in found:
                if is_cancelled():
                    return
                path = item.path
                if path in seen:
                    continue  # a refresh can name a file and its folder
                seen.add(path)
                if item.__class__ is FileEntry:
                    if stamp_of(path) != item.stamp:
                        chunk.append(item)
                        progress.total += 1
                        if len(chunk) == CHUNK_FILES:
                            if to_parse := self._not_in_rows(chunk, progress):
                                parser.submit(to_parse)
                            chunk = []
                            for records in parser.finished():
                                yield from self._taken(records, progress, walking=True)
                else:
                    status = SKIPPED if isinstance(item, Skipped) else ERROR
                    record = problem_record(path, NO_STAMP, status, item.reason)
                    if loaded.problem(path) != record:
                        problems.append(record)
            if chunk and (to_parse := self._not_in_rows(chunk, progress)):
                parser.submit(to_parse)
            if covers is None:
                gone = loaded.not_seen(seen)
                loaded.walked()
            else:
                exact, under = set(covers), tuple(f"{c}/" for c in covers)
                gone = [p for p in loaded.paths() if p not in seen and (p in exact or p.startswith(under))]
            if gone:
                loaded.forget(gone)
                if self.cache is not None:
                    self.cache.forget(self.root, gone)
            if problems:
                # Kept in the cache too: a warm start then finds everything as it was, and re-indexes nothing.
                loaded.apply(problems)
                if self.cache is not None:
                    self.cache.store(self.root, problems)
            for records in parser.remaining():
                if self.cancelled.is_set():
                    return
                yield from self._taken(records, progress, walking=False)
        finally:
            parser.close()
        yield LoadProgress(LoadStage.DONE, progress.done, progress.total)
        library = loaded.snapshot(complete=True)
        yield library
        # A rescan or the first load writes at once; the watcher's refreshes at most
        # once a minute (a stale snapshot costs the next start only the files it missed).
        if covers is None or time.monotonic() - self._saved_at > SAVE_EVERY_S:
            self._save(library)

    def _save(self, library: Library) -> None:
        """Write the library whole to the cache, for the next start (when it changed since)."""
        if self.cache is None or library is self._saved or self.cancelled.is_set():
            return
        self._saved, self._saved_at = library, time.monotonic()
        try:
            data = encode_pieces(library, self.records.stamp, self.records.others(library))
            first_page = {
                order: [
                    summary_record(library.articles[index], self.records.stamp(library.articles[index].path))
                    for index in library.view(ALL, SortKey(order))[:FIRST_SCREEN_ROWS]
                ]
                for order in ("quality", "heat", "date")
            }
        except ValueError as error:  # a path the records have no stamp for: keep the rows only
            self._warnings.append(f"cache: library not saved whole ({safe_error(error)})")
            return
        self.cache.store_snapshot(self.root, data, first_page)

    def _not_in_rows(self, chunk: list[FileEntry], progress: _Progress) -> list[FileEntry]:
        """The files of ``chunk`` to parse: after a start from a snapshot older than the
        cache's rows (the watcher's last changes), the rows already have some of them."""
        if self.cache is None or self._saved is None:
            return chunk
        rows = self.cache.records_at(self.root, [entry.path for entry in chunk])
        fresh = [rows[entry.path] for entry in chunk if entry.path in rows and rows[entry.path].stamp == entry.stamp]
        if not fresh:
            return chunk
        try:
            self.records.apply(fresh)
        except _DAMAGED_ROW:
            return chunk  # parsed again; their rows are replaced
        progress.done += len(fresh)
        taken = {record.path for record in fresh}
        return [entry for entry in chunk if entry.path not in taken]

    def _taken(self, records: list[Record], progress: _Progress, walking: bool) -> Iterator[LoadEvent]:
        """Store and index one parsed chunk; now and then, a snapshot of the growing library."""
        if self.cache is not None:
            self.cache.store(self.root, records)
        self.records.apply(records)
        progress.done += len(records)
        # While walking, the total is still growing: the bar waits for it.
        yield LoadProgress(LoadStage.PARSING, progress.done, 0 if walking else progress.total)
        if (
            self._partial_snapshots
            and progress.done < progress.total
            and self.records.articles >= progress.next_snapshot
            and time.monotonic() - progress.last_snapshot > SNAPSHOT_EVERY_S
        ):
            yield self.records.snapshot(complete=False)
            progress.last_snapshot = time.monotonic()
            progress.next_snapshot = self.records.articles * 2

    def _look(self, targets: Sequence[str]) -> Iterator[FileEntry | LoadError | Skipped]:
        """What the walk would find at each target: a file, or everything in a folder."""
        for target in targets:
            try:
                mode = os.lstat(os.path.join(self.root, target)).st_mode
            except FileNotFoundError:
                continue  # gone: _update forgets it, and whatever was under it
            except OSError as error:
                yield LoadError(target, f"cannot read: {error.strerror or type(error).__name__}")
                continue
            if stat.S_ISDIR(mode):
                yield from walk(self.root, under=target)
            else:
                yield look_at(self.root, target)

    def _relative(self, path: str | os.PathLike) -> str | None:
        """A path as the records name it (relative, with "/"; "" for the folder
        itself), or None if it is outside the library or hidden (the walk skips
        names starting with a dot)."""
        text = os.fspath(path)
        if os.path.isabs(text):
            text = os.path.relpath(text, self.root)
        parts = [part for part in text.replace(os.sep, "/").split("/") if part and part != "."]
        if any(part.startswith(".") for part in parts):
            return None  # outside (".."), or hidden
        return "/".join(parts)

    def _collect_warnings(self) -> None:
        if self.cache is not None:
            self._warnings.extend(self.cache.take_warnings())
