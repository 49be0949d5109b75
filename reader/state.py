"""Reading state: which articles are read, which are starred, and when each was first seen.

This is user data, unlike the cache: losing it is losing work. It lives in
one SQLite file in the user's data folder (never the cache folder, never the
articles folder), in WAL mode with ``synchronous=FULL``, so each change is on
disk before the call that makes it returns, ``kill -9`` loses at most the
change being made, and a bulk mark is all or nothing (one transaction).

State is keyed by the article's identity (``ArticleSummary.id``: the
normalised web URL, or the path inside the library), so it survives cache
rebuilds, rescans and moves. Nothing is ever deleted: an article the library
no longer shows keeps its state, for the day it comes back.

How it is stored, and why. Marking a whole view of 100,000 articles read must
take well under a frame-and-a-half of patience (200 ms). A row per article
costs a B-tree update per article: 400 to 800 ms for 100,000 (measured).
So each article gets a number, its position in the ``ids`` arrays, and the
state is kept in packed arrays of 1,024 64-bit integers, one row per chunk
and kind (``read``, ``starred``, ``first_seen``). A bulk mark rewrites about
a hundred 8 KB rows whatever its size; a single mark rewrites one. In the
``read`` and ``starred`` arrays, 0 means "never changed" (so: not read, not
starred); ``+t`` means set at ``t`` and ``-t`` cleared at ``t`` (microseconds
since the epoch): the flag and when it last changed in one number, which is
what "the newer change wins" needs when state is merged from another machine.

Every write runs in ``BEGIN IMMEDIATE`` and reads the arrays it changes inside
that transaction, so two processes marking at once never lose each other's
changes; ``PRAGMA data_version`` tells cheaply when another process wrote.

The schema carries a version (``PRAGMA user_version``) and is migrated forward
one step at a time; a new file is built by running every step from the first,
so the path an old file takes is the path every file takes. A damaged file is
moved aside (never deleted) and a new one started; a file that cannot be
written (read-only folder or file) leaves the store working in memory for the
run. Either way ``StateStore.warnings`` says so in ready-to-print sentences.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import compress
from pathlib import Path
from typing import TypeVar

CHUNK_BITS = 10
CHUNK = 1 << CHUNK_BITS  # articles per packed row: a single mark rewrites 8 KB
_INDEX_MASK = CHUNK - 1
_KINDS = ("read", "starred", "first_seen")
_BIG_ENDIAN = sys.byteorder == "big"  # the file is little-endian wherever it was written

BUSY_TIMEOUT = 10.0  # seconds a write waits for another process's transaction
EXPORT_FORMAT = "reader-news-state"
EXPORT_VERSION = 1

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)

_T = TypeVar("_T")


def default_state_path() -> Path:
    """The reading-state file: ``$XDG_DATA_HOME/reader-news/state.sqlite3`` (via platformdirs)."""
    import platformdirs

    from .config import APP_NAME

    return Path(platformdirs.user_data_dir(APP_NAME)) / "state.sqlite3"


# --- what callers get back ---------------------------------------------------


class StateError(Exception):
    """A change could not be saved, or the state could not be read; the message is ready to print."""


class StateImportError(ValueError):
    """An export file that cannot be merged; the message names what is wrong and is ready to print."""


class ReadingState:
    """An immutable view of the reading state, for the list, the tree and the CLI.

    ``read``, ``starred`` and ``new`` (first seen at or after the ``new_since``
    the snapshot was taken with) are frozensets of article ids: membership is
    all a row needs. ``first_seen(id)`` gives the moment an article was first
    seen, in seconds since the epoch, or None.
    """

    __slots__ = ("_first_seen", "_numbers", "new", "read", "starred")

    def __init__(
        self,
        read: frozenset[str] = frozenset(),
        starred: frozenset[str] = frozenset(),
        new: frozenset[str] = frozenset(),
        numbers: Mapping[str, int] | None = None,
        first_seen: Mapping[int, array] | None = None,
    ) -> None:
        self.read = read
        self.starred = starred
        self.new = new
        # The store's id -> number map only ever grows (a number never changes
        # meaning), so sharing it is safe; arrays are copies made for this view.
        self._numbers = numbers or {}
        self._first_seen = first_seen or {}

    def first_seen(self, article_id: str) -> float | None:
        number = self._numbers.get(article_id)
        if number is None:
            return None
        chunk = self._first_seen.get(number >> CHUNK_BITS)
        if chunk is None:
            return None
        micros = chunk[number & _INDEX_MASK]
        return micros / 1_000_000 if micros else None

    def __repr__(self) -> str:
        return f"ReadingState(read={len(self.read)}, starred={len(self.starred)}, new={len(self.new)})"


@dataclass(frozen=True, slots=True, eq=False)
class Change:
    """One mark as it was made: enough to undo exactly it, bulk marks included.

    ``ids`` are the articles whose flag this change turned (articles already in
    that state are not in it), so ``len(change)`` is "how many changed".
    """

    field: str  # "read" or "starred"
    value: bool
    ids: tuple[str, ...]
    at_micros: int
    previous: array  # the packed state of each article in ids before the change

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def changed_at(self) -> float:
        return self.at_micros / 1_000_000


@dataclass(frozen=True, slots=True)
class Run:
    """One start of the reader on a library folder."""

    started_at: float
    previous_started_at: float | None  # None: the first run on this folder

    @property
    def new_since(self) -> float | None:
        """The moment after which a first sighting is "new since last run".

        Articles first seen during this run (from its start) were not there
        last time. On the first run on a folder nothing is new: everything
        would be, which says nothing.
        """
        return self.started_at if self.previous_started_at is not None else None


@dataclass(frozen=True, slots=True)
class ImportCounts:
    """What an import changed: articles in the file, and how many flags or first sightings it changed."""

    articles: int
    read: int
    starred: int
    first_seen: int


# --- the store -----------------------------------------------------------------


class StateStore:
    """The reading-state file, or (when it cannot be written) the same thing in memory.

    Every method is safe to call from any thread. Marks return a ``Change``
    after they are committed; a ``StateError`` means nothing was saved.
    ``warnings`` collects ready-to-print sentences about the file (moved aside,
    not saved this run); new ones may appear after any call.
    """

    def __init__(self, path: Path | str | None) -> None:
        self.path = Path(path) if path is not None else None
        self.warnings: list[str] = []
        self.saved = False  # True while changes go to the file; False in memory
        self._lock = threading.RLock()
        self._db: sqlite3.Connection
        self._ids: list[str] = []
        self._numbers: dict[str, int] = {}
        self._partial_chunk_length = 0  # characters of the last, growing ids chunk
        self._data_version = 0
        self._open()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- reading -----------------------------------------------------------------

    def snapshot(self, new_since: float | None = None) -> ReadingState:
        """Read, starred and new (first seen at or after ``new_since``) articles, in one consistent read."""

        def read() -> ReadingState:
            self._data_version = self._db.execute("PRAGMA data_version").fetchone()[0]
            with self._transaction(write=False):
                ids = self._ids
                flagged = {}
                for kind in ("read", "starred"):
                    flagged[kind] = _ids_where(ids, self._all_arrays(kind), (0).__lt__)  # set: > 0
                first_seen = self._all_arrays("first_seen")
                new = frozenset()
                if new_since is not None:
                    new = _ids_where(ids, first_seen, _micros(new_since).__le__)  # seen at or after
                return ReadingState(flagged["read"], flagged["starred"], new, self._numbers, first_seen)

        return self._guarded(read, "read")

    def changed_elsewhere(self) -> bool:
        """Whether another process (or another store on this file) wrote since the last snapshot or call.

        A cheap check (no read of the data) for a timer: when it says True, take a new snapshot.
        """
        with self._lock:
            if not self._still_the_file():
                return True  # another window started a new file: the next snapshot opens it
            try:
                version = self._db.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error:
                return False  # the next real operation reports the trouble
            changed = version != self._data_version
            self._data_version = version
            return changed

    # --- marking -----------------------------------------------------------------

    def mark_read(self, ids: Iterable[str], read: bool = True, now: float | None = None) -> Change:
        return self._mark("read", ids, read, now)

    def star(self, ids: Iterable[str], starred: bool = True, now: float | None = None) -> Change:
        return self._mark("starred", ids, starred, now)

    def _mark(self, field: str, ids: Iterable[str], value: bool, now: float | None) -> Change:
        wanted = _id_list(ids)
        value = bool(value)
        at = _micros(time.time() if now is None else now)
        target = at if value else -at

        def write() -> Change:
            with self._transaction(write=True):
                # An article the store has never heard of is already unread and
                # unstarred: only setting a flag needs a number for it.
                numbers = self._numbers_for(wanted, create=value)
                chunks = set(numbers)
                chunks.discard(None)
                arrays = self._arrays(field, {n >> CHUNK_BITS for n in chunks})
                changed: list[str] = []
                previous = array("q")
                # The loop every bulk mark runs 100,000 times: local names only.
                add_changed, add_previous, bits, mask = changed.append, previous.append, CHUNK_BITS, _INDEX_MASK
                for article_id, number in zip(wanted, numbers, strict=True):
                    if number is not None:
                        values = arrays[number >> bits]
                        old = values[number & mask]
                        if (old > 0) is not value:
                            values[number & mask] = target
                            add_changed(article_id)
                            add_previous(old)
                # Rewriting a loaded chunk that did not change costs 8 KB; finding out costs more.
                self._store_arrays(field, arrays, arrays.keys() if changed else ())
                return Change(field, value, tuple(changed), at, previous)

        return self._guarded(write, "saved")

    def undo(self, change: Change) -> int:
        """Put back exactly what ``change`` replaced; returns how many articles were restored.

        An article changed again since (here or in another window) keeps that
        newer change: undo never overwrites what it did not do.
        """
        mark = change.at_micros if change.value else -change.at_micros

        def write() -> int:
            with self._transaction(write=True):
                numbers = self._numbers_for(change.ids, create=False)
                arrays = self._arrays(change.field, {n >> CHUNK_BITS for n in numbers if n is not None})
                touched = set()
                restored = 0
                for number, old in zip(numbers, change.previous, strict=True):
                    if number is None:
                        continue
                    values = arrays[number >> CHUNK_BITS]
                    index = number & _INDEX_MASK
                    if values[index] == mark:
                        values[index] = old
                        touched.add(number >> CHUNK_BITS)
                        restored += 1
                self._store_arrays(change.field, arrays, touched)
                return restored

        return self._guarded(write, "saved")

    # --- sightings and runs ----------------------------------------------------------

    def see(self, ids: Iterable[str], now: float | None = None) -> set[str]:
        """Record the first sighting of every id never seen before; returns those ids.

        Seeing only known ids reads and writes nothing but the first-seen
        arrays: cheap enough to call with every article of every load.
        """
        wanted = _id_list(ids)
        at = _micros(time.time() if now is None else now)

        def unseen(arrays: dict[int, array], numbers: list[int | None], bits: int = CHUNK_BITS) -> list[int]:
            mask = (1 << bits) - 1
            return [
                position
                for position, number in enumerate(numbers)
                if number is None or not arrays[number >> bits][number & mask]
            ]

        def look() -> bool:
            with self._transaction(write=False):
                numbers = self._numbers_for(wanted, create=False)
                arrays = self._arrays("first_seen", {n >> CHUNK_BITS for n in numbers if n is not None})
                return bool(unseen(arrays, numbers))

        def write() -> set[str]:
            with self._transaction(write=True):
                known = self._numbers_for(wanted, create=False)
                arrays = self._arrays("first_seen", {n >> CHUNK_BITS for n in known if n is not None})
                fresh = [wanted[position] for position in unseen(arrays, known)]
                numbers = self._numbers_for(fresh, create=True)
                arrays.update(self._arrays("first_seen", {n >> CHUNK_BITS for n in numbers} - arrays.keys()))
                for number in numbers:
                    arrays[number >> CHUNK_BITS][number & _INDEX_MASK] = at
                self._store_arrays("first_seen", arrays, {n >> CHUNK_BITS for n in numbers})
                return set(fresh)

        if not wanted or not self._guarded(look, "read"):
            return set()
        return self._guarded(write, "saved")

    def begin_run(self, library_folder: str | bytes | os.PathLike[str], now: float | None = None) -> Run:
        """Record that the reader starts on this folder now; returns this start and the previous one."""
        folder = os.fsencode(os.path.abspath(os.fsdecode(library_folder)))  # bytes: any name round-trips
        at = _micros(time.time() if now is None else now)

        def write() -> Run:
            with self._transaction(write=True):
                row = self._db.execute("SELECT started_at FROM libraries WHERE folder = ?", (folder,)).fetchone()
                self._db.execute("INSERT OR REPLACE INTO libraries (folder, started_at) VALUES (?, ?)", (folder, at))
            return Run(at / 1_000_000, row[0] / 1_000_000 if row else None)

        return self._guarded(write, "saved")

    # --- export and import -------------------------------------------------------

    def export(self) -> dict:
        """Every article with any state, as a JSON-ready dict (``json.dump`` it with the default ensure_ascii).

        Library run times are not exported: they name folders of this machine.
        """

        def read() -> dict:
            with self._transaction(write=False):
                arrays = {kind: self._all_arrays(kind) for kind in _KINDS}
                ids = self._ids
                iso: dict[int, str | None] = {}  # a bulk mark gives thousands of articles one time
                articles = {}
                for chunk in range(((len(ids) - 1) >> CHUNK_BITS) + 1):
                    base = chunk << CHUNK_BITS
                    columns = (arrays[kind][chunk] if chunk in arrays[kind] else _zeros() for kind in _KINDS)
                    for article_id, read_, starred, first_seen in zip(ids[base : base + CHUNK], *columns):
                        if read_ or starred or first_seen:
                            times = []
                            for micros in (abs(read_), abs(starred), first_seen):
                                if micros not in iso:
                                    iso[micros] = _iso(micros)
                                times.append(iso[micros])
                            articles[article_id] = {
                                "read": read_ > 0,
                                "read_changed": times[0],
                                "starred": starred > 0,
                                "starred_changed": times[1],
                                "first_seen": times[2],
                            }
            return {
                "format": EXPORT_FORMAT,
                "version": EXPORT_VERSION,
                "exported_at": _iso(_micros(time.time())),
                "articles": articles,
            }

        return self._guarded(read, "read")

    def import_(self, data: object) -> ImportCounts:
        """Merge an ``export()`` (from this machine or another): per field, the newer change wins.

        First sightings keep the earlier date. The whole file is checked first
        and merged in one transaction: a bad file changes nothing.
        """
        records = _parse_export(data)
        wanted = [record[0] for record in records]

        def write() -> ImportCounts:
            with self._transaction(write=True):
                numbers = self._numbers_for(wanted, create=True)
                chunks = {n >> CHUNK_BITS for n in numbers}
                arrays = {kind: self._arrays(kind, chunks) for kind in _KINDS}
                changed = dict.fromkeys(_KINDS, 0)
                touched: dict[str, set[int]] = {kind: set() for kind in _KINDS}
                for (_, *incoming), number in zip(records, numbers, strict=True):
                    chunk, index = number >> CHUNK_BITS, number & _INDEX_MASK
                    for kind, new in zip(_KINDS, incoming, strict=True):
                        values = arrays[kind][chunk]
                        old = values[index]
                        if kind == "first_seen":
                            if new and (old == 0 or new < old):
                                values[index] = new
                                changed[kind] += 1
                                touched[kind].add(chunk)
                        elif abs(new) > abs(old):
                            values[index] = new
                            changed[kind] += (new > 0) != (old > 0)
                            touched[kind].add(chunk)
                for kind in _KINDS:
                    self._store_arrays(kind, arrays[kind], touched[kind])
            return ImportCounts(len(records), changed["read"], changed["starred"], changed["first_seen"])

        return self._guarded(write, "saved")

    # --- transactions, the id map and the packed arrays -------------------------------

    def _transaction(self, write: bool) -> _Transaction:
        return _Transaction(self, write)

    def _refresh_ids(self) -> None:
        """Read the ids other processes added since we last looked (ids are only ever appended)."""
        known = len(self._ids)
        partial = known >> CHUNK_BITS
        rows = self._db.execute(
            "SELECT chunk, data FROM ids WHERE chunk > ? OR (chunk = ? AND length(data) != ?) ORDER BY chunk",
            (partial, partial, self._partial_chunk_length if known & _INDEX_MASK else -1),
        ).fetchall()
        for chunk, data in rows:
            try:
                entries = json.loads(data)
            except (TypeError, ValueError):
                raise _Damaged(f"the list of article ids is unreadable (part {chunk})") from None
            base = chunk << CHUNK_BITS
            if (
                not isinstance(entries, list)
                or len(entries) > CHUNK
                or base > len(self._ids)
                or base + len(entries) < len(self._ids)
                or not all(isinstance(entry, str) for entry in entries)
            ):
                raise _Damaged(f"the list of article ids is inconsistent (part {chunk})")
            for article_id in entries[len(self._ids) - base :]:
                self._numbers[article_id] = len(self._ids)
                self._ids.append(article_id)
            self._partial_chunk_length = len(data)
        if len(self._numbers) != len(self._ids):
            raise _Damaged("the list of article ids names an article twice")

    def _numbers_for(self, ids: Sequence[str], create: bool) -> list[int | None]:
        numbers = self._numbers
        found = list(map(numbers.get, ids))
        if not create or None not in found:
            return found
        first_new = len(self._ids)
        for position, number in enumerate(found):
            if number is None:
                article_id = ids[position]
                number = numbers.get(article_id)  # listed twice in ids
                if number is None:
                    number = numbers[article_id] = len(self._ids)
                    self._ids.append(article_id)
                found[position] = number
        rows = []
        for chunk in range(first_new >> CHUNK_BITS, ((len(self._ids) - 1) >> CHUNK_BITS) + 1):
            data = json.dumps(self._ids[chunk << CHUNK_BITS : (chunk + 1) << CHUNK_BITS])
            rows.append((chunk, data))
        self._db.executemany("INSERT OR REPLACE INTO ids (chunk, data) VALUES (?, ?)", rows)
        self._partial_chunk_length = len(rows[-1][1])
        return found

    def _forget_ids_after(self, count: int) -> None:
        """Drop ids added in a transaction that did not commit."""
        for article_id in self._ids[count:]:
            del self._numbers[article_id]
        del self._ids[count:]
        self._partial_chunk_length = -1  # re-read the last chunk next time

    def _arrays(self, kind: str, chunks: set[int]) -> dict[int, array]:
        """The arrays of ``kind`` for ``chunks``: zeros where none was written yet."""
        if len(chunks) <= 4:
            found = {}
            for chunk in chunks:
                row = self._db.execute("SELECT data FROM arrays WHERE kind = ? AND chunk = ?", (kind, chunk)).fetchone()
                found[chunk] = _unpack(row[0], kind, chunk) if row else _zeros()
            return found
        stored = self._all_arrays(kind)
        return {chunk: stored[chunk] if chunk in stored else _zeros() for chunk in chunks}

    def _all_arrays(self, kind: str) -> dict[int, array]:
        rows = self._db.execute("SELECT chunk, data FROM arrays WHERE kind = ?", (kind,))
        arrays = {chunk: _unpack(data, kind, chunk) for chunk, data in rows}
        if arrays and max(arrays) > (len(self._ids) - 1) >> CHUNK_BITS:
            raise _Damaged(f"the {kind.replace('_', '-')} marks name articles that are not in the list of ids")
        return arrays

    def _store_arrays(self, kind: str, arrays: dict[int, array], chunks: Iterable[int]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO arrays (kind, chunk, data) VALUES (?, ?, ?)",
            [(kind, chunk, _pack(arrays[chunk])) for chunk in sorted(chunks)],
        )

    # --- opening, damage, and running without a file --------------------------------

    def _guarded(self, operation: Callable[[], _T], done: str) -> _T:
        """Run one operation; a damaged file is set aside and the operation run once more on a fresh one."""
        with self._lock:
            if not self._still_the_file():
                # Another window set a damaged file aside (or the user removed
                # it): writing on into the old one would hide every mark.
                self._db.close()
                self._open()
            try:
                return operation()
            except (sqlite3.DatabaseError, _Damaged) as error:
                if isinstance(error, sqlite3.ProgrammingError):
                    raise
                if _is_damage(error):
                    self._recover(_reason(error))
                elif _primary_code(error) in _CANNOT_WRITE and self.saved:
                    self._db.close()
                    self._fall_back_to_memory(f"{_shown(self.path)} can no longer be written ({_reason(error)})")
                else:
                    raise StateError(f"Reading state could not be {done} ({_reason(error)}).") from None
            try:
                return operation()
            except (sqlite3.DatabaseError, _Damaged) as error:
                if isinstance(error, sqlite3.ProgrammingError):
                    raise
                raise StateError(f"Reading state could not be {done} ({_reason(error)}).") from None

    def _open(self) -> None:
        self._ids, self._numbers, self._partial_chunk_length = [], {}, 0
        self._file_identity = None
        if self.path is None:
            self._db = _connect_memory()
            self.saved = False
        else:
            try:
                self._db = self._open_file(self.path)
                self.saved = True
                self._file_identity = _identity(self.path)
            except _Unusable as problem:
                self._fall_back_to_memory(str(problem), copy=problem.readable)
        self._data_version = self._db.execute("PRAGMA data_version").fetchone()[0]

    def _still_the_file(self) -> bool:
        """Whether the path still names the file this store has open (one stat: cheap on every call)."""
        return not self.saved or _identity(self.path) == self._file_identity

    def _open_file(self, path: Path) -> sqlite3.Connection:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _Unusable(f"the folder {_shown(path.parent)} cannot be created ({_os_reason(error)})") from None
        try:
            not_a_file = (path.exists() or path.is_symlink()) and not path.is_file()
        except OSError as error:
            raise _Unusable(f"{_shown(path)} cannot be reached ({_os_reason(error)})") from None
        if not_a_file:
            self._set_aside(path, "it is not a file")
        try:
            return _connect_file_waiting(path)
        except _NewerVersion as error:
            # Not ours to read or to move: the newer reader will find it as it left it.
            raise _Unusable(f"{_shown(path)} {error}") from None
        except (sqlite3.DatabaseError, _Damaged) as error:
            if not _is_damage(error):
                raise _Unusable(f"{_shown(path)} cannot be written ({_reason(error)})", readable=True) from None
            self._set_aside(path, _reason(error))
        try:
            return _connect_file(path)
        except (sqlite3.DatabaseError, _Damaged, _NewerVersion) as error:
            raise _Unusable(f"{_shown(path)} cannot be started afresh ({_reason(error)})") from None

    def _set_aside(self, path: Path, reason: str) -> None:
        """Move a damaged state file (and its WAL) aside with the date in its name; never delete it."""
        stamp = datetime.now().strftime("%Y-%m-%dT%H%M%S")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        count = 1
        while aside.exists() or aside.is_symlink():
            count += 1
            aside = path.with_name(f"{path.name}.corrupt-{stamp}-{count}")
        # The WAL goes first: left beside a new file, it would be replayed into it.
        try:
            for suffix in ("-wal", "-shm", ""):
                try:
                    os.rename(f"{path}{suffix}", f"{aside}{suffix}")
                except FileNotFoundError:
                    if not suffix:
                        raise
        except OSError as error:
            raise _Unusable(
                f"{_shown(path)} could not be read ({reason}) nor moved aside ({_os_reason(error)})"
            ) from None
        self.warnings.append(
            f"The reading-state file {_shown(path)} could not be read ({reason}). It was moved to {_shown(aside)} "
            "and a new one was started."
        )

    def _recover(self, reason: str) -> None:
        """The open file turned out damaged: set it aside and start afresh (or in memory)."""
        self._db.close()
        if self.path is None or not self.saved:
            self._db = _connect_memory()  # a damaged memory database: start it again
            self._ids, self._numbers, self._partial_chunk_length = [], {}, 0
            return
        try:
            self._set_aside(self.path, reason)
        except _Unusable as problem:
            self._fall_back_to_memory(str(problem), copy=False)
            return
        self._open()

    def _fall_back_to_memory(self, problem: str, copy: bool = True) -> None:
        """Keep working in memory: with what the file holds, when it can still be read."""
        self.saved = False
        self._db = _connect_memory(self.path if copy else None)
        self._ids, self._numbers, self._partial_chunk_length = [], {}, 0
        self._data_version = self._db.execute("PRAGMA data_version").fetchone()[0]
        self.warnings.append(
            f"Reading state will not be saved this run: {problem}. Marks made now last until the reader quits."
        )


class _Transaction:
    """BEGIN (IMMEDIATE for a write) with the id map brought up to date; ROLLBACK undoes the map too."""

    def __init__(self, store: StateStore, write: bool) -> None:
        self._store = store
        self._write = write

    def __enter__(self) -> None:
        store = self._store
        store._db.execute("BEGIN IMMEDIATE" if self._write else "BEGIN")
        self._known = len(store._ids)
        try:
            store._refresh_ids()
        except BaseException:
            self.__exit__(True, None, None)
            raise

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        store = self._store
        if kind is None:
            try:
                store._db.execute("COMMIT")
                return
            except BaseException:
                self._roll_back()
                raise
        self._roll_back()

    def _roll_back(self) -> None:
        store = self._store
        if store._db.in_transaction:
            try:
                store._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # SQLite rolls back by itself when it cannot go on
        store._forget_ids_after(self._known)


# --- the schema, one step at a time ---------------------------------------------------


def _version_1(db: sqlite3.Connection) -> None:
    """A row per article, times in seconds (REAL). Marking 100,000 articles took 400-800 ms."""
    db.execute(
        "CREATE TABLE articles (id TEXT PRIMARY KEY, read INTEGER NOT NULL DEFAULT 0, read_at REAL, "
        "starred INTEGER NOT NULL DEFAULT 0, starred_at REAL, first_seen REAL) WITHOUT ROWID"
    )


def _version_2(db: sqlite3.Connection) -> None:
    """Packed arrays per 1,024 articles (see the module's docstring), and the libraries' last runs."""
    db.execute("CREATE TABLE ids (chunk INTEGER PRIMARY KEY, data TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE arrays (kind TEXT NOT NULL, chunk INTEGER NOT NULL, data BLOB NOT NULL, "
        "PRIMARY KEY (kind, chunk)) WITHOUT ROWID"
    )
    db.execute("CREATE TABLE libraries (folder BLOB PRIMARY KEY, started_at INTEGER NOT NULL) WITHOUT ROWID")
    ids: list[str] = []
    arrays: dict[str, dict[int, array]] = {kind: {} for kind in _KINDS}

    def put(kind: str, number: int, value: int) -> None:
        if value:
            chunk = arrays[kind].get(number >> CHUNK_BITS)
            if chunk is None:
                chunk = arrays[kind][number >> CHUNK_BITS] = _zeros()
            chunk[number & _INDEX_MASK] = value

    def flag(value: int, seconds: float | None) -> int:
        # A flag without a time keeps the oldest possible one: any real change wins over it.
        micros = max(1, round(seconds * 1_000_000)) if seconds is not None else (1 if value else 0)
        return micros if value else -micros

    rows = db.execute(
        "SELECT id, read, read_at, starred, starred_at, first_seen FROM articles "
        "ORDER BY first_seen IS NULL, first_seen, id"
    )
    for article_id, read, read_at, starred, starred_at, first_seen in rows:
        number = len(ids)
        ids.append(article_id)
        put("read", number, flag(read, read_at))
        put("starred", number, flag(starred, starred_at))
        put("first_seen", number, max(1, round(first_seen * 1_000_000)) if first_seen is not None else 0)
    db.executemany(
        "INSERT INTO ids (chunk, data) VALUES (?, ?)",
        [(start >> CHUNK_BITS, json.dumps(ids[start : start + CHUNK])) for start in range(0, len(ids), CHUNK)],
    )
    for kind, chunks in arrays.items():
        db.executemany(
            "INSERT INTO arrays (kind, chunk, data) VALUES (?, ?, ?)",
            [(kind, chunk, _pack(values)) for chunk, values in chunks.items()],
        )
    db.execute("DROP TABLE articles")


_MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_version_1, _version_2]
SCHEMA_VERSION = len(_MIGRATIONS)
_TABLES = {"ids", "arrays", "libraries"}


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a file to SCHEMA_VERSION, one step at a time, in one transaction."""
    db.execute("BEGIN IMMEDIATE")  # two readers starting at once: one migrates, the other waits
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise _NewerVersion(f"was written by a newer version of reader (schema {version})")
        if version == 0 and db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise _Damaged("it is not a reading-state file")
        for step in _MIGRATIONS[version:]:
            step(db)
        if version != SCHEMA_VERSION:
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables >= _TABLES:
            raise _Damaged(f"tables are missing ({', '.join(sorted(_TABLES - tables))})")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _connect_file_waiting(path: Path) -> sqlite3.Connection:
    """``_connect_file``, waiting while another process holds the file.

    Two readers starting at once on a new state file race to create it: the
    switch to WAL mode (and the schema's first write) can answer "database is
    locked" at once, without SQLite's busy handler. That is not a file that
    cannot be written: wait and try again, up to the usual busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    delay = 0.01
    while True:
        try:
            return _connect_file(path)
        except sqlite3.OperationalError as error:
            if _primary_code(error) not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _connect_file(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:  # before WAL mode, which would rewrite a newer reader's header
            raise _NewerVersion(f"was written by a newer version of reader (schema {version})")
        db.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
        db.execute("PRAGMA synchronous=FULL")  # user data: each commit is on disk when it returns
        _migrate(db)
        # A write rolled back at once (it never reaches the disk): a read-only
        # file or folder shows itself now, not at the first mark.
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT OR REPLACE INTO libraries (folder, started_at) VALUES (x'', 0)")
        finally:
            db.execute("ROLLBACK")
    except BaseException:
        db.close()
        raise
    return db


def _connect_memory(copy_from: Path | None = None) -> sqlite3.Connection:
    """A database in memory, with what ``copy_from`` holds when it can still be read."""
    db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    if copy_from is not None:
        uri = copy_from.absolute().as_uri()
        # mode=ro reads the WAL too; immutable=1 works where even that cannot
        # (a read-only folder without the WAL's index file).
        for options in ("mode=ro", "mode=ro&immutable=1"):
            try:
                source = sqlite3.connect(f"{uri}?{options}", uri=True)
                try:
                    source.backup(db)
                finally:
                    source.close()
                _migrate(db)
                return db
            except (sqlite3.Error, _Damaged, _NewerVersion):
                db.close()
                db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    _migrate(db)
    return db


# --- small helpers ------------------------------------------------------------------


class _Damaged(Exception):
    """The file opened, but what it holds is not what this module writes."""


class _NewerVersion(Exception):
    pass


class _Unusable(Exception):
    """The state file cannot be used this run; readable says whether its contents can still be read."""

    def __init__(self, message: str, readable: bool = False) -> None:
        super().__init__(message)
        self.readable = readable


_DAMAGE_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_CANNOT_WRITE = {3, 8, 14, 23}  # SQLITE_PERM, SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_AUTH


def _identity(path: Path | None) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except (OSError, TypeError):
        return None
    return (info.st_dev, info.st_ino)


def _primary_code(error: BaseException) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _is_damage(error: BaseException) -> bool:
    if isinstance(error, _Damaged):
        return True
    if isinstance(error, _NewerVersion):
        return False
    return _primary_code(error) in _DAMAGE_CODES or "malformed" in str(error) or "not a database" in str(error)


def _reason(error: BaseException) -> str:
    return _shown(str(error) or type(error).__name__)


def _os_reason(error: OSError) -> str:
    return _shown(error.strerror or str(error))


# Controls, bidi overrides and lone surrogates never reach the terminal from a path or a message.
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)


def _shown(text: object) -> str:
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    return _UNPRINTABLE.sub(lambda match: ascii(match.group())[1:-1], str(text))


def _id_list(ids: Iterable[str]) -> list[str]:
    """The ids as a list, checked. Repeats are harmless (the second finds the work done) and stay."""
    if isinstance(ids, str):
        raise TypeError("ids must be an iterable of article ids, not one string")
    listed = list(ids)
    for kind in set(map(type, listed)):  # one check per type, not per id: this runs for 100,000 ids
        if not issubclass(kind, str):
            raise TypeError(f"an article id must be a str, not {kind.__name__}")
    return listed


def _micros(seconds: float) -> int:
    micros = round(seconds * 1_000_000)
    if micros < 1:
        raise ValueError("a time must be after 1970-01-01")
    return micros


def _iso(micros: int) -> str | None:
    if not micros:
        return None
    return (_EPOCH + timedelta(microseconds=micros)).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _ids_where(ids: list[str], arrays: dict[int, array], test: Callable[[int], bool]) -> frozenset[str]:
    """The ids whose packed value passes ``test``; compress and map keep the loop in C."""
    found: list[str] = []
    for chunk, values in arrays.items():
        base = chunk << CHUNK_BITS
        names = ids[base : base + CHUNK]
        if len(names) < CHUNK and any(values[len(names) :]):
            raise _Damaged("marks name articles that are not in the list of ids")
        found += compress(names, map(test, values))
    return frozenset(found)


def _zeros() -> array:
    return array("q", bytes(CHUNK * 8))


def _pack(values: array) -> bytes:
    if _BIG_ENDIAN:
        values = array("q", values)
        values.byteswap()
    return values.tobytes()


def _unpack(data: object, kind: str, chunk: int) -> array:
    if not isinstance(data, bytes) or len(data) != CHUNK * 8:
        raise _Damaged(f"the {kind.replace('_', '-')} marks are unreadable (part {chunk})")
    values = array("q")
    values.frombytes(data)
    if _BIG_ENDIAN:
        values.byteswap()
    return values


def _parse_export(data: object) -> list[tuple[str, int, int, int]]:
    """(id, read, starred, first_seen) for every article of an export, packed as stored; or StateImportError."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise StateImportError(f"this is not a reading-state export (no \"format\": \"{EXPORT_FORMAT}\")")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StateImportError("the export has no valid \"version\"")
    if version > EXPORT_VERSION:
        raise StateImportError(f"the export was made by a newer version of reader (format version {version})")
    articles = data.get("articles")
    if not isinstance(articles, dict):
        raise StateImportError("the export has no \"articles\" object")
    records = []
    times: dict[object, int] = {}  # an export repeats the time of each bulk mark thousands of times
    for article_id, fields in articles.items():
        try:
            if not isinstance(article_id, str):
                raise _BadField("an id must be a string")
            read, starred, first_seen = _parse_fields(fields, times)
        except _BadField as problem:
            raise StateImportError(f"article {_short(article_id)}: {problem}") from None
        if read or starred or first_seen:
            records.append((article_id, read, starred, first_seen))
    return records


class _BadField(Exception):
    pass


def _parse_fields(fields: object, times: dict[object, int]) -> tuple[int, int, int]:
    """One article's read, starred and first_seen, packed as stored."""
    if not isinstance(fields, dict):
        raise _BadField("expected an object of fields")
    packed = []
    for name in ("read", "starred"):
        value = fields.get(name, False)
        if not isinstance(value, bool):
            raise _BadField(f'"{name}" must be true or false')
        changed = _parse_time(fields.get(f"{name}_changed"), f'"{name}_changed"', times)
        if value and not changed:
            raise _BadField(f'"{name}" is true but "{name}_changed" is missing')
        packed.append(changed if value else -changed)
    return packed[0], packed[1], _parse_time(fields.get("first_seen"), '"first_seen"', times)


def _parse_time(value: object, name: str, known: dict[object, int]) -> int:
    if value is None:
        return 0
    if not isinstance(value, str):
        raise _BadField(f"{name} must be a date and time (ISO 8601) or null")
    if value in known:
        return known[value]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _BadField(f"{name}: {_short(value)} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    micros = (moment - _EPOCH) // _ONE_MICROSECOND
    if micros < 1:
        raise _BadField(f"{name}: {_short(value)} is before 1970")
    known[value] = micros
    return micros


def _short(value: object) -> str:
    text = ascii(value)  # quoted, and nothing in it can act on a terminal
    return text if len(text) <= 80 else text[:77] + "..."
