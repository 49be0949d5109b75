"""The load cache: parsed articles kept in SQLite so a second start skips parsing.

One row per file, keyed by (library folder, relative path) and checked
against the file's size, modification time, change time and inode. Only what
the list, the tree and the sort orders need is kept, as real columns read in
one query at start-up. The rest of an article (excerpt, body, related
stories) is read from its file when the detail pane shows it: parsing one
file takes under a millisecond, while keeping every detail would make the
cache ten times larger and the cold load slower by the writing.

The cache lives in the user's cache folder, never in the articles folder. It
is only a cache, and nothing that goes wrong with it stops a load:

* a file from another version, or of another program, is replaced;
* a damaged file (SQLite finds it malformed, or a row is not what we wrote)
  is moved aside as ``<name>.damaged`` and rebuilt;
* a cache that cannot be opened or written (a full disk, a read-only file or
  folder, another reader holding it too long) is left alone and the load goes
  on without it for this run.

Each of these leaves one line in ``warnings`` for the caller to show.

File names that are not UTF-8 reach Python as text with lone surrogates
(``os.fsdecode``), which SQLite cannot take as text: such rows keep their text
as bytes (UTF-8 with the surrogates passed through) and flag it, so every name
round-trips exactly.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import BinaryIO, NamedTuple

from . import __version__
from .model import ArticleSummary, LoadError, Provider
from .text import safe_error

# Rows written by another version may have been normalised by other rules:
# the version is part of the schema, so an upgrade rebuilds the cache.
SCHEMA = f"reader-cache-8/{__version__}"


class RecordStatus(IntEnum):
    """What a file turned out to be."""

    ARTICLE = 0
    ERROR = 1  # meant to be an article, but cannot be read as one
    SKIPPED = 2  # not an article (another ending, no front matter)


ARTICLE, ERROR, SKIPPED = RecordStatus.ARTICLE, RecordStatus.ERROR, RecordStatus.SKIPPED
_ARTICLE = int(ARTICLE)  # records carry plain ints: they pickle smaller than enum members
NO_STAMP = (0, 0, 0, 0)  # a problem found by the walk, before any file was read


class Record(NamedTuple):
    """What a parsing process hands back and what a cache row holds.

    A named tuple: it pickles and inserts as cheaply as a plain tuple, which a
    cold load does once per file. The fields are the table's columns, in order.
    """

    path: str  # relative to the library folder; lone surrogates for bytes that are not UTF-8
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    status: int  # a RecordStatus
    reason: str | None = None  # why a file is an error or skipped
    id: str | None = None
    title: str | None = None
    provider_name: str | None = None
    provider_domain: str | None = None
    category: str | None = None
    type: str | None = None
    quality: int | None = None
    heat: int | None = None
    published: int | None = None
    published_ts: float | None = None
    topics: str | None = None  # joined with _TOPIC_SEPARATOR
    url: str | None = None
    authors: str | None = None  # joined with _TOPIC_SEPARATOR (blogs' authors; the seed format has none)

    @property
    def stamp(self) -> tuple[int, int, int, int]:
        """The file's size, modification time, change time and inode when it was read."""
        return self[1:5]  # type: ignore[return-value]


_TOPIC_SEPARATOR = "\x1f"  # a control character: cleaned text never contains one
# Cleaned text (titles, providers, topics, URLs) never holds a C0 or C1 control character.
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")
_WEB_SCHEMES = ("https://", "http://")
_MAX_SCORE = 1_000_000  # loading.to_score's range
_EARLIEST_TS, _LATEST_TS = 0.0, 4_102_444_800.0  # 1970 to 2100: loading.to_datetime's range
_TEXT_COLUMNS = frozenset(
    ("path", "reason", "id", "title", "provider_name", "provider_domain", "category", "type", "topics", "url", "authors")
)
_REAL_COLUMNS = frozenset(("published_ts",))
_COLUMNS = ", ".join(Record._fields)
# Damaged pages can give a value of another type than the one written. Text
# columns are read as text whatever they hold (bytes that are not UTF-8 then
# fail to decode: damage found); numbers are checked where they are used.
_COLUMNS_AS_WRITTEN = ", ".join(f"CAST({name} AS TEXT)" if name in _TEXT_COLUMNS else name for name in Record._fields)
# A row whose status is none of ours cannot be trusted: read as if absent, so the file is parsed again.
_VALID_ROWS = "status IN (0, 1, 2)"


def summary_record(article: ArticleSummary, stamp: Sequence[int]) -> Record:
    size, mtime_ns, ctime_ns, inode = stamp
    return Record(
        article.path,
        size,
        mtime_ns,
        ctime_ns,
        inode,
        _ARTICLE,
        None,
        article.id,
        article.title,
        article.provider.name,
        article.provider.domain,
        article.category,
        article.type,
        article.quality,
        article.heat,
        int(article.published),
        _timestamp(article.published_at),
        _TOPIC_SEPARATOR.join(article.topics),
        article.url,
        _TOPIC_SEPARATOR.join(article.authors) if article.authors else None,
    )


def problem_record(path: str, stamp: Sequence[int], status: int, reason: str) -> Record:
    size, mtime_ns, ctime_ns, inode = stamp
    return Record(path, size, mtime_ns, ctime_ns, inode, int(status), reason)


def record_error(record: Record) -> LoadError:
    return LoadError(record.path, record.reason or "unreadable")


class SummaryBuilder:
    """Turns records into summaries, sharing equal providers and topic tuples.

    At 100,000 articles most providers and topic combinations repeat; sharing
    one object for each saves tens of megabytes. A record read from a damaged
    cache can hold values of the wrong type: those raise ValueError here.
    """

    def __init__(self) -> None:
        self._providers: dict[tuple[str, str], Provider] = {}
        self._topics: dict[str, tuple[str, ...]] = {}

    def summary(self, record: Record) -> ArticleSummary:
        # What loading guarantees of every summary is checked again here, for a
        # row from the cache: a damaged page can change a value without SQLite
        # noticing, and a control character must never reach the terminal.
        # Providers and topics repeat: each is checked once, when first seen.
        provider_key = (record.provider_name or "", record.provider_domain or "")
        provider = self._providers.get(provider_key)
        if provider is None:
            if not _is_clean("".join(provider_key)):
                raise ValueError(f"cache row of {record.path!r} holds a provider that loading never gives")
            provider = self._providers[provider_key] = Provider(*provider_key)
        topics = record.topics or ""
        topic_tuple = self._topics.get(topics)
        if topic_tuple is None:
            topic_tuple = tuple(topics.split(_TOPIC_SEPARATOR)) if topics else ()
            if not _is_clean("".join(topic_tuple)):
                raise ValueError(f"cache row of {record.path!r} holds topics that loading never gives")
            self._topics[topics] = topic_tuple
        authors = self._names(record.authors, record.path) if record.authors else ()
        title, category, type_, url = record.title, record.category or "", record.type or "", record.url
        quality, heat, published_ts = record.quality, record.heat, record.published_ts
        if not (
            record.id.__class__ is str
            and (quality is None or (quality.__class__ is int and 0 <= quality <= _MAX_SCORE))
            and (heat is None or (heat.__class__ is int and 0 <= heat <= _MAX_SCORE))
            and (published_ts is None or _EARLIEST_TS <= published_ts < _LATEST_TS)
            and (url is None or url.startswith(_WEB_SCHEMES) or url[:8].lower().startswith(_WEB_SCHEMES))
            and _is_clean(title + category + type_ + (url or ""))  # (and a title that is not text raises)
        ):
            raise ValueError(f"cache row of {record.path!r} holds values that loading never gives")
        return ArticleSummary(
            id=record.id,
            path=record.path,
            title=title,
            provider=provider,
            category=category,
            type=type_,
            quality=quality,
            heat=heat,
            published=bool(record.published),
            published_at=_datetime(published_ts),
            topics=topic_tuple,
            url=url,
            authors=authors,
        )

    def _names(self, joined: str, path: str) -> tuple[str, ...]:
        """A list of names (authors) from a row, shared with every row that has the same list."""
        names = self._topics.get(joined)
        if names is None:
            names = tuple(joined.split(_TOPIC_SEPARATOR))
            if not _is_clean("".join(names)):
                raise ValueError(f"cache row of {path!r} holds names that loading never gives")
            self._topics[joined] = names
        return names


def _is_clean(text: str) -> bool:
    """Whether text holds no control character, as cleaned text (text.clean_line) never does."""
    # ASCII is nearly all of it, and for ASCII isprintable() is exactly that test, at C speed.
    return text.isprintable() if text.isascii() else not _CONTROL_CHARACTER.search(text)


def default_cache_path(fields_signature: str = "") -> Path:
    """The cache file; a config with its own ``[fields]`` names gets a file of its own,
    since what an article says depends on them (switching back and forth costs nothing)."""
    from .config import cache_dir

    if not fields_signature:
        return cache_dir() / "articles.sqlite3"
    digest = hashlib.sha256(fields_signature.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return cache_dir() / f"articles-{digest}.sqlite3"


class CacheReadFailed(Exception):
    """Reading the cache failed part-way, and the cache has been dealt with
    (rebuilt, or switched off for this run): whatever was read from it must
    be dropped and the files parsed."""


@dataclass(frozen=True)
class Pruned:
    """What ``ArticleCache.prune`` forgot."""

    folders: list[str] = field(default_factory=list)  # the library folders, as stored (untrusted names)
    rows: int = 0


# How long the cache keeps a library that is not opened, and how many files
# it keeps in all (about 0.6 KB each on disk, indexes included).
LIBRARY_MAX_AGE_DAYS = 30
MAX_ROWS = 1_000_000
PRUNE_EVERY_S = 24 * 3600
_TOUCH_EVERY_S = 3600  # a library's last-opened time is written at most this often


class ArticleCache:
    """The SQLite file of parsed articles for any number of library folders.

    Never raises for a problem with the cache itself (see the module's
    docstring): ``available`` says whether it is in use, ``warnings`` what
    went wrong. One connection, shared by threads under a lock: a first
    screen may be read from another thread than the loading one.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.warnings: list[str] = []
        self._warnings_taken = 0
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._closed = False
        self._generation = 0  # changes whenever the connection is replaced or dropped
        self._roots: dict[str, int] = {}
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = self._open_waiting()
            except _NotOurs:
                self._replace()
            except Exception as error:
                self._failed(error, "opened")

    @property
    def available(self) -> bool:
        """False once the cache is switched off for this run (or closed)."""
        return self._db is not None

    def take_warnings(self) -> list[str]:
        """The warnings not taken yet, each once."""
        with self._lock:
            new = self.warnings[self._warnings_taken :]
            self._warnings_taken = len(self.warnings)
            return new

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop_connection()

    def __enter__(self) -> ArticleCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- opening, and refusing what we did not write -------------------------

    def _connect(self) -> sqlite3.Connection:
        """The one place a connection is made (tests wrap it to inject faults)."""
        return sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)

    def _open_waiting(self) -> sqlite3.Connection:
        return open_waiting(self._open)

    def _open(self) -> sqlite3.Connection:
        # auto_vacuum before WAL, which writes the header: only a new file takes it. Pages
        # freed by pruning can then be given back to the file system. 64 MB of page cache
        # (the default is 2 MB): a cold load of a million files inserts a million rows.
        # No integrity check: it reads the whole file (seconds at 100k articles); damage
        # found later is dealt with where it is found.
        return open_claimed(
            self._connect(),
            SCHEMA,
            self._create,
            "cache",
            ("auto_vacuum=INCREMENTAL", "journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"),
        )

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
        db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
        # folder: text, or bytes for a name that is not UTF-8 (see _stored)
        db.execute("CREATE TABLE roots (id INTEGER PRIMARY KEY, folder UNIQUE NOT NULL, last_opened REAL)")
        columns = ", ".join(
            f"{name} {'TEXT' if name in _TEXT_COLUMNS else 'REAL' if name in _REAL_COLUMNS else 'INTEGER'}"
            for name in Record._fields
        )
        # escaped: 1 when the row's text is stored as bytes (a name that is not UTF-8).
        db.execute(
            f"CREATE TABLE articles (root INTEGER NOT NULL, {columns}, escaped INTEGER NOT NULL DEFAULT 0, "
            "PRIMARY KEY (root, path)) WITHOUT ROWID"
        )
        # No index but the key: three indexes for the first screen made storing 100,000
        # rows five times slower. The first screen is a small file beside the snapshot.

    def _replace(self) -> None:
        """Another version's file, or another program's: start a new one, no questions."""
        self._drop_connection()
        try:
            _remove_database(self.path)
            self._db = self._open_waiting()
        except Exception as error:
            self._failed(error, "replaced")

    # --- when something goes wrong -------------------------------------------

    def damaged(self, error: BaseException) -> None:
        """Something read from the cache was not what we wrote: move it aside and rebuild."""
        with self._lock:
            if self._db is not None:
                self._rebuild(safe_error(error))

    def _failed(self, error: BaseException, doing: str) -> None:
        """Deal with an error of the cache: rebuild it if it is damaged, else do without it for this run."""
        if isinstance(error, _NotOurs):
            self._replace()
        elif _is_damage(error):
            self._rebuild(safe_error(error))
        else:
            self._switch_off(f"cache not {doing} ({safe_error(error)}); loading without it this time")

    def _rebuild(self, reason: str) -> None:
        self._drop_connection()
        aside = self.path.with_name(self.path.name + ".damaged")
        try:
            _remove_database(aside)
            if self.path.exists():
                os.replace(self.path, aside)
            with contextlib.suppress(FileNotFoundError):
                os.replace(f"{self.path}-wal", f"{aside}-wal")
            _remove_database(self.path)
            self._db = self._open_waiting()
        except Exception as error:
            self._switch_off(f"cache damaged ({reason}) and cannot be rebuilt ({safe_error(error)}); loading without it")
            return
        self.warnings.append(f"cache damaged ({reason}): moved aside to {aside.name} and rebuilt")

    def _switch_off(self, warning: str) -> None:
        self._drop_connection()
        self.warnings.append(warning)

    def _drop_connection(self) -> None:
        self._generation += 1
        self._roots.clear()
        if self._db is not None:
            with contextlib.suppress(Exception):
                self._db.close()
            self._db = None

    # --- reading -------------------------------------------------------------

    def _root_id(self, db: sqlite3.Connection, folder: Path, create: bool = False) -> int | None:
        key = str(folder)
        root = self._roots.get(key)
        if root is not None:
            return root
        stored = _stored(key)
        row = db.execute("SELECT id FROM roots WHERE folder=?", (stored,)).fetchone()
        if row is None and create:
            db.execute("INSERT OR IGNORE INTO roots (folder, last_opened) VALUES (?, ?)", (stored, time.time()))
            row = db.execute("SELECT id FROM roots WHERE folder=?", (stored,)).fetchone()
        if row is None:
            return None
        if not isinstance(row[0], int):
            raise ValueError("a library's id is not a number")
        self._roots[key] = row[0]
        return row[0]

    def records(self, folder: Path, *, now: float | None = None) -> Iterator[Record]:
        """Every cached record of a folder, and the folder marked as opened now.

        Raises CacheReadFailed if reading fails part-way (the cache has then
        been rebuilt or switched off, with a warning).
        """
        with self._lock:
            db, generation = self._db, self._generation
            if db is None:
                return
            try:
                root = self._root_id(db, folder)
                if root is None:
                    return
                self._touch(db, root, time.time() if now is None else now)
                plain = db.execute(
                    f"SELECT {_COLUMNS_AS_WRITTEN} FROM articles WHERE root=? AND escaped=0 AND {_VALID_ROWS}", (root,)
                )
            except Exception as error:
                self._failed(error, "read")
                raise CacheReadFailed(safe_error(error)) from error
        yield from self._rows(plain, generation, _record)
        with self._lock:
            db = self._db
            if db is None or self._generation != generation:
                raise CacheReadFailed("the cache was replaced while it was read")
            try:
                escaped = db.execute(
                    f"SELECT {_COLUMNS} FROM articles WHERE root=? AND escaped=1 AND {_VALID_ROWS}", (root,)
                )
            except Exception as error:
                self._failed(error, "read")
                raise CacheReadFailed(safe_error(error)) from error
        yield from self._rows(escaped, generation, _unescaped)

    def _rows(self, cursor: sqlite3.Cursor, generation: int, make) -> Iterator[Record]:
        while True:
            with self._lock:
                if self._closed:
                    return
                if self._generation != generation:
                    raise CacheReadFailed("the cache was replaced while it was read")
                try:
                    batch = [make(row) for row in cursor.fetchmany(_READ_BATCH)]
                except Exception as error:
                    self._failed(error, "read")
                    raise CacheReadFailed(safe_error(error)) from error
            if not batch:
                return
            yield from batch

    def first_records(self, folder: Path, limit: int, order: str = "quality") -> list[Record]:
        """The top articles in one order (quality, heat or date), as the last load left them
        (``store_snapshot``'s first page): a first screen while the rest loads. A few milliseconds."""
        if self._db is None or order not in _FIRST_SCREEN_ORDERS:
            return []
        try:
            with open(self._snapshot_path(folder).with_suffix(".first"), "rb") as file:
                page = json.loads(file.read(_MAX_FIRST_PAGE))
            if page.get("schema") != SCHEMA:
                return []
            records = [Record(*fields) for fields in page["orders"][order][:limit]]
            for record in records:
                _check_text(record)
            return records
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return []  # no first screen: the library comes a moment later all the same

    def open_snapshot(self, folder: Path) -> BinaryIO | None:
        """The folder's snapshot file, open for reading (snapshot.read), or None.

        A file beside the database, not a row: read at disk speed, array by
        array. It checks itself (snapshot.py), so it needs no transaction.
        """
        if self._db is None:
            return None
        try:
            return open(self._snapshot_path(folder), "rb")
        except OSError:
            return None

    def _snapshot_path(self, folder: Path) -> Path:
        name = hashlib.sha256(os.fsencode(folder)).hexdigest()[:32]
        return self.path.with_name(f"{self.path.name}.libraries") / f"{name}.snapshot"

    def records_at(self, folder: Path, paths: Sequence[str]) -> dict[str, Record]:
        """The cached records of these paths (those it has): a stale snapshot's files checked against the rows."""
        found: dict[str, Record] = {}
        with self._lock:
            db = self._db
            if db is None or not paths:
                return found
            try:
                root = self._root_id(db, folder)
                if root is None:
                    return found
                for start in range(0, len(paths), _LOOKUP_BATCH):
                    batch = [_stored(path) for path in paths[start : start + _LOOKUP_BATCH]]
                    rows = db.execute(
                        f"SELECT {_COLUMNS}, escaped FROM articles WHERE root=? AND {_VALID_ROWS} "
                        f"AND path IN ({', '.join('?' * len(batch))})",
                        (root, *batch),
                    ).fetchall()
                    for row in rows:
                        record = _unescaped(row[:-1]) if row[-1] else _as_written(row[:-1])
                        found[record.path] = record
            except Exception as error:
                self._failed(error, "read")
                return {}
        return found

    # --- writing -------------------------------------------------------------

    def store_snapshot(
        self,
        folder: Path,
        data: bytes | Sequence[bytes | memoryview] | None,
        first_page: dict[str, list[Record]] | None = None,
    ) -> None:
        """Keep the folder's whole library (None: forget it).

        Written to a new file then renamed over the old one: a reader sees one
        or the other. Not synced: a snapshot torn by a crash fails its checksum
        and the next start reads the rows. A full disk only means no snapshot:
        the rows are all stored, nothing is lost.
        """
        path = self._snapshot_path(folder)
        first = path.with_suffix(".first")
        try:
            if data is None:
                path.unlink(missing_ok=True)
                first.unlink(missing_ok=True)
                return
            if self._db is None:
                return
            path.parent.mkdir(mode=0o700, exist_ok=True)
            temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            try:
                with open(temporary, "wb") as file:
                    for piece in [data] if isinstance(data, bytes) else data:
                        file.write(piece)
                os.replace(temporary, path)
                if first_page is not None:
                    page = {"schema": SCHEMA, "orders": {order: [list(r) for r in rows] for order, rows in first_page.items()}}
                    temporary.write_text(json.dumps(page), encoding="utf-8")
                    os.replace(temporary, first)
            finally:
                temporary.unlink(missing_ok=True)
        except OSError:
            pass  # an older snapshot stays: the next start's walk finds what it misses

    def store(self, folder: Path, records: Sequence[Record]) -> None:
        """Keep these records (replacing older ones of the same paths)."""
        with self._lock:
            db = self._db
            if db is None or not records:
                return
            try:
                root = self._root_id(db, folder, create=True)
                try:
                    with _Transaction(db):
                        db.executemany(_INSERT, ((root, *record, 0) for record in records))
                except UnicodeEncodeError:
                    # A name or text with lone surrogates: this chunk row by row,
                    # those rows as bytes. Rare, so the common case pays nothing.
                    with _Transaction(db):
                        db.executemany(_INSERT, [_row(root, record) for record in records])
            except Exception as error:
                self._failed(error, "written")

    def forget(self, folder: Path, paths: Iterable[str]) -> None:
        with self._lock:
            db = self._db
            if db is None:
                return
            try:
                root = self._root_id(db, folder)
                if root is None:
                    return
                with _Transaction(db):
                    db.executemany("DELETE FROM articles WHERE root=? AND path=?", ((root, _stored(p)) for p in paths))
            except Exception as error:
                self._failed(error, "written")

    def _touch(self, db: sqlite3.Connection, root: int, now: float) -> None:
        """Note that a library was opened (what pruning goes by)."""
        row = db.execute("SELECT last_opened FROM roots WHERE id=?", (root,)).fetchone()
        last = row[0] if row else None
        if not isinstance(last, (int, float)) or now - last > _TOUCH_EVERY_S or last > now:
            try:
                db.execute("UPDATE roots SET last_opened=? WHERE id=?", (now, root))
            except sqlite3.DatabaseError as error:
                if _is_damage(error):
                    raise
                # A full disk, say: the cache can still be read, and a warm start
                # is worth more than this date. Writing will say what is wrong.

    # --- forgetting libraries ------------------------------------------------

    def libraries(self) -> list[tuple[str, int, float | None]]:
        """Each library folder the cache holds: (folder, files, last opened as a Unix time)."""
        with self._lock:
            db = self._db
            if db is None:
                return []
            try:
                rows = db.execute(
                    "SELECT folder, (SELECT COUNT(*) FROM articles WHERE root=roots.id), last_opened "
                    "FROM roots ORDER BY last_opened DESC"
                ).fetchall()
            except Exception as error:
                self._failed(error, "read")
                return []
        return [(_loaded_text(folder), count, last) for folder, count, last in rows]

    def prune(
        self,
        *,
        keep: Path | None = None,
        max_age_days: float = LIBRARY_MAX_AGE_DAYS,
        max_rows: int = MAX_ROWS,
        now: float | None = None,
    ) -> Pruned:
        """Forget the libraries whose folder is gone or that were not opened for
        ``max_age_days``; then, while the cache holds more than ``max_rows``
        files, the least recently opened ones (never ``keep``, the library
        being loaded). The space is given back to the file system. This is
        what ``reader cache prune`` runs."""
        now = time.time() if now is None else now
        keep_key = str(keep) if keep is not None else None
        with self._lock:
            db = self._db
            if db is None:
                return Pruned()
            try:
                libraries = db.execute(
                    "SELECT id, folder, last_opened, (SELECT COUNT(*) FROM articles WHERE root=roots.id) "
                    "FROM roots ORDER BY last_opened"
                ).fetchall()
                doomed: list[tuple[int, str, int]] = []
                kept: list[tuple[int, str, int]] = []
                for root, stored, last, count in libraries:
                    folder = _loaded_text(stored)
                    stale = not isinstance(last, (int, float)) or now - last > max_age_days * 86400
                    if folder != keep_key and (stale or not os.path.isdir(folder)):
                        doomed.append((root, folder, count))
                    else:
                        kept.append((root, folder, count))
                total = sum(count for *_, count in kept)
                for library in kept:  # oldest first
                    if total <= max_rows:
                        break
                    if library[1] != keep_key:
                        doomed.append(library)
                        total -= library[2]
                if doomed:
                    with _Transaction(db):
                        for root, _folder, _count in doomed:
                            db.execute("DELETE FROM articles WHERE root=?", (root,))
                            db.execute("DELETE FROM roots WHERE id=?", (root,))
                    self._roots.clear()
                    for _root, folder, _count in doomed:
                        self.store_snapshot(Path(folder), None)
                    # executescript steps the pragma to the end; execute would free one page only.
                    db.executescript("PRAGMA incremental_vacuum;")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('pruned_at', ?)", (now,))
            except Exception as error:
                self._failed(error, "pruned")
                return Pruned()
        return Pruned([folder for _root, folder, _count in doomed], sum(count for *_, count in doomed))

    def prune_if_due(self, *, keep: Path | None = None, now: float | None = None) -> Pruned | None:
        """``prune`` at most once a day (a loader calls this when a load is done)."""
        now = time.time() if now is None else now
        with self._lock:
            db = self._db
            if db is None:
                return None
            try:
                row = db.execute("SELECT value FROM meta WHERE key='pruned_at'").fetchone()
            except Exception as error:
                self._failed(error, "read")
                return None
            last = row[0] if row else None
            if isinstance(last, (int, float)) and 0 <= now - last < PRUNE_EVERY_S:
                return None
            return self.prune(keep=keep, now=now)


class NotOurs(sqlite3.DatabaseError):
    """Another version's file, or another program's database: replaced, no questions."""


_NotOurs = NotOurs


def open_waiting(open_once: Callable[[], sqlite3.Connection]) -> sqlite3.Connection:
    """``open_once()``, again while another process holds the file (it is starting too):
    wait, never replace a disposable database that someone else is using."""
    for attempt in range(_OPEN_ATTEMPTS):
        try:
            return open_once()
        except sqlite3.DatabaseError as error:
            if not _is_busy(error) or attempt == _OPEN_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def open_claimed(
    db: sqlite3.Connection,
    schema: str,
    create: Callable[[sqlite3.Connection], None],
    kind: str,
    pragmas: Sequence[str],
) -> sqlite3.Connection:
    """A disposable database of ours (the load cache, the full-text index), set up:
    ``pragmas`` run, then in one transaction (two readers starting at once: one creates,
    one waits) its schema is checked, or its tables made when it is new. Raises
    NotOurs for another version's file or another program's database (closed)."""
    try:
        for pragma in pragmas:
            db.execute(f"PRAGMA {pragma}")
        db.execute("BEGIN IMMEDIATE")
        try:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "meta" in tables:
                row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                if row is None or row[0] != schema:
                    raise NotOurs(f"{kind} schema {row and row[0]!r} is not {schema!r}")
            elif tables:
                raise NotOurs("another program's database")
            else:
                create(db)
            db.execute("COMMIT")
        except BaseException:
            _rollback(db)
            raise
    except BaseException:
        db.close()
        raise
    return db


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            self._db.execute("COMMIT")
        else:
            _rollback(self._db)  # the error that got us here is the one to report


def _rollback(db: sqlite3.Connection) -> None:
    # SQLite may have rolled back already (a full disk does that): nothing to undo then.
    with contextlib.suppress(Exception):
        if db.in_transaction:
            db.execute("ROLLBACK")


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")
    # and the libraries written whole beside it: nothing of a replaced cache is trusted
    shutil.rmtree(f"{path}.libraries", ignore_errors=True)


# --- text that SQLite cannot take ------------------------------------------


def _stored(text: str) -> str | bytes:
    """Text as SQLite takes it: itself, or its bytes when it has lone surrogates (a name that is not UTF-8)."""
    if text.isascii():
        return text
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")
    return text


def _loaded_text(value: str | bytes) -> str:
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else value


def _row(root: int, record: Record) -> tuple:
    """One row to insert, its text as bytes if any of it cannot be stored as text."""
    try:
        for value in record:
            if value.__class__ is str:
                value.encode()
    except UnicodeEncodeError:
        return (
            root,
            *(value.encode("utf-8", "surrogatepass") if value.__class__ is str else value for value in record),
            1,
        )
    return (root, *record, 0)


def _unescaped(row: Sequence) -> Record:
    record = Record._make(
        value.decode("utf-8", "surrogatepass") if value.__class__ is bytes else value for value in row
    )
    _check_text(record)
    return record


# A row of the right length as a Record, at C speed (Record._make checks the length in Python).
_record = functools.partial(tuple.__new__, Record)


def _as_written(row: Sequence) -> Record:
    record = _record(row)
    _check_text(record)
    return record


def _check_text(record: Record) -> None:
    for name in _TEXT_COLUMNS:
        value = getattr(record, name)
        if value is not None and value.__class__ is not str:
            raise ValueError(f"cache column {name} holds {type(value).__name__}, not text")


_INSERT = f"INSERT OR REPLACE INTO articles VALUES ({', '.join('?' * (len(Record._fields) + 2))})"
_READ_BATCH = 5_000
_LOOKUP_BATCH = 500  # paths per query (SQLite allows 32,766 parameters)

# The orders a first screen can be read in, each served by an index.
_FIRST_SCREEN_ORDERS = ("quality", "heat", "date")  # the orders the app can start in with a first screen
_MAX_FIRST_PAGE = 16 * 1024 * 1024  # three orders of 200 rows: far less
_OPEN_ATTEMPTS = 20
_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED
# What says the cache cannot be used now, not that it is damaged: permission,
# busy, locked, out of memory, read-only, interrupted, I/O error, full,
# cannot open, locking protocol, no large files, authorisation.
_UNUSABLE_CODES = frozenset((3, 5, 6, 7, 8, 9, 10, 13, 14, 15, 22, 23))
_UNUSABLE_WORDS = ("full", "readonly", "read-only", "unable to open", "i/o", "locked", "busy", "permission", "memory")


def _is_busy(error: BaseException) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return (code is not None and code & 0xFF in _BUSY_CODES) or "locked" in str(error)


def _is_damage(error: BaseException) -> bool:
    """Whether an error says the file is damaged (rebuild it), not that it cannot be used now (do without).

    Every statement here is ours and ran on the file we wrote: any other error
    (malformed pages, a schema that names other columns, text that is not
    UTF-8, a value of the wrong type) means the file is not what we wrote.
    """
    if isinstance(error, (sqlite3.ProgrammingError, sqlite3.InterfaceError)):
        return False  # used wrongly (closed, say): nothing wrong with the file
    if isinstance(error, sqlite3.DatabaseError):
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF not in _UNUSABLE_CODES
        text = str(error).lower()  # an error raised without a code: its message says which kind
        return not any(words in text for words in _UNUSABLE_WORDS)
    return isinstance(error, (ValueError, TypeError, IndexError, OverflowError, KeyError))


def _timestamp(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def _datetime(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp is not None else None
