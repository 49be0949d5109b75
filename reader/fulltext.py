"""The full-text index: every article file's words in SQLite FTS5, so that search finds
words in excerpts, and with ``in:body`` in bodies, which the in-memory index
(``query.SearchIndex``, built from the list's fields) does not hold.

One row per file in ``files``, keyed by (library folder, relative path) and
checked against the file's size, modification time, change time and inode,
as the load cache is; its words in the FTS5 table ``words`` under the same
rowid: title, excerpt, provider, authors, topics and body, tokenized by
``unicode61 remove_diacritics 2``. Text goes in folded as search folds it
(``query.tokens``: case, compatibility forms, accents; ``Straße`` is
``strasse``) and every word and phrase is asked as a quoted FTS5 phrase, so
the index and the in-memory search agree on what a word is, and no text typed
into the search line is ever FTS5 syntax. Several values of one field
(topics, authors) are kept apart by a token no query can contain, so a
phrase never spans two of them.

``FullTextIndex.sync`` brings one folder in step: only files whose stamp
changed are read again (``loading.load_file``, in a process when there are
many), files gone are forgotten, and every batch is one transaction, so a
``kill -9`` loses at most a batch and a warm start reads nothing. The index is
disposable, like the load cache beside it: another version's file is
replaced, a damaged one is moved aside (``fulltext.sqlite3.damaged``) and
rebuilt, and one that cannot be written (a full disk) is left alone for the
run; each leaves one line in ``warnings``.

Where SQLite has no FTS5 (``READER_NO_FTS5=1`` pretends so), search still
works: words match in memory only, and ``in:body`` reads the files
(``FileScan``); ``warnings`` says so once.

``LiveFullText`` is the app's side (a thread of its own, fed each complete
library by the session); ``cli_full_text`` is ``reader list --query``'s.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import struct
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .cache import (
    LIBRARY_MAX_AGE_DAYS,
    NotOurs,
    _is_damage,
    _remove_database,
    _rollback,
    open_claimed,
    open_waiting,
)
from .query import Text, article_paths, found_in, tokens
from .text import safe_error

if TYPE_CHECKING:
    from .fields import FieldNames
    from .library import Library
    from .model import Article
    from .query import Query

# Folding and the fields' normalisation are part of what is stored: a new
# version of the reader builds the index again.
SCHEMA = f"reader-fulltext-1/{__version__}"
COLUMNS = ("title", "excerpt", "provider", "authors", "topics", "body")
TOKENIZER = "unicode61 remove_diacritics 2"
# What a word is looked for in: the in-memory index answers for the title,
# provider, topics and authors already, so the index is asked only for what
# that one lacks (fewer rows to hand back on every keystroke).
WORD_COLUMNS = ("excerpt",)
BODY_COLUMNS = ("excerpt", "body")
BATCH_FILES = 256  # files per transaction: a kill -9 loses at most this many
PARALLEL_FROM = 512  # fewer changed files are read in the syncing thread (processes take ~0.5 s to start)
NO_FTS5_VARIABLE = "READER_NO_FTS5"  # set (to anything but "" or 0): behave as if SQLite had no FTS5
NO_FTS5_WARNING = (
    "full-text search unavailable (this SQLite has no FTS5): words match titles, providers, topics "
    "and authors, not excerpts; in:body reads the files"
)
# Between two values of one column (topics, authors): a private-use character
# is a token to unicode61 but never part of a query's token (query._TOKEN), so
# no phrase matches across it.
_VALUE_SEPARATOR = " \ue000 "
_SQLITE_ERROR = 1
_DELETE_BATCH = 500
_PRUNE_EVERY_S = 24 * 3600


def fts5_available() -> bool:
    """Whether this Python's SQLite has FTS5 (and ``READER_NO_FTS5`` does not say to do without)."""
    if os.environ.get(NO_FTS5_VARIABLE, "") not in ("", "0"):
        return False
    return _sqlite_has_fts5()


@functools.lru_cache(maxsize=1)
def _sqlite_has_fts5() -> bool:
    try:
        db = sqlite3.connect(":memory:")
        try:
            db.execute(f"CREATE VIRTUAL TABLE probe USING fts5(text, tokenize = '{TOKENIZER}')")
        finally:
            db.close()
    except sqlite3.Error:
        return False
    return True


def default_index_path(fields_signature: str = "", beside: Path | None = None) -> Path:
    """The index file, in the cache folder beside the load cache; a config with its own
    ``[fields]`` names gets a file of its own, as the load cache does. ``beside``: a load
    cache given by name (tests, benchmarks): the index goes next to it."""
    from .config import cache_dir

    if beside is not None:
        return beside.with_name(f"{beside.stem}-fulltext.sqlite3")
    if not fields_signature:
        return cache_dir() / "fulltext.sqlite3"
    import hashlib

    digest = hashlib.sha256(fields_signature.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return cache_dir() / f"fulltext-{digest}.sqlite3"


# --- what goes in, and what is asked ---------------------------------------------------


def index_columns(article: Article) -> tuple[str, ...]:
    """An article's text as the index keeps it, one string per column (``COLUMNS``): folded tokens."""
    return (
        _folded(article.title),
        _folded(article.excerpt),
        _folded(article.provider.label),
        _VALUE_SEPARATOR.join(filter(None, map(_folded, article.authors))),
        _VALUE_SEPARATOR.join(filter(None, map(_folded, article.topics))),
        _folded(article.body),
    )


def _folded(text: str) -> str:
    return " ".join(tokens(text)) if text else ""


def fts_query(term: Text, columns: Sequence[str] | None = None) -> str:
    """The FTS5 query for a word or phrase: one quoted phrase (``*`` after it for a prefix),
    within ``columns`` (None: every column). Never FTS5 syntax from the user: the phrase holds
    the term's tokens (letters and digits only, as ``query.tokens`` cuts them; cut again
    here, so a term made elsewhere cannot bring a quote or a NUL in)."""
    words = [word for token in term.tokens for word in tokens(token)]
    phrase = '"' + " ".join(word.replace('"', '""') for word in words) + '"'
    if term.prefix:
        phrase += " *"
    if columns is None:
        return phrase
    return "{" + " ".join(columns) + "} : " + phrase


def article_reader(root: Path, names: FieldNames | None = None) -> Callable[[str], Article | None]:
    """Reads one file of ``root`` as a full Article (None: not an article, or unreadable); it can
    be sent to another process."""
    return functools.partial(_read_article, Path(root), names)


def _read_article(root: Path, names: FieldNames | None, relative: str) -> Article | None:
    from .fields import DEFAULT_FIELDS
    from .loading import load_file
    from .model import Article

    found = load_file(root, relative, names or DEFAULT_FIELDS)
    return found if isinstance(found, Article) else None


def read_columns(read: Callable[[str], Article | None], paths: Sequence[str]) -> list[tuple[str, ...] | None]:
    """``index_columns`` of each file (None: nothing to index). Runs in a worker process too."""
    found: list[tuple[str, ...] | None] = []
    for path in paths:
        try:
            article = read(path)
        except Exception:  # a file is untrusted input: one that breaks the reader is left out, not the sync
            article = None
        found.append(index_columns(article) if article is not None else None)
    return found


def _stamps_of(root: Path, paths: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """The stamps of some files, each looked at (those gone, or not article files, left out)."""
    from .loading import FileEntry, look_at

    stamps = {}
    for path in paths:
        entry = look_at(root, path)
        if isinstance(entry, FileEntry):
            stamps[path] = entry.stamp
    return stamps


def file_stamps(root: Path, paths: Collection[str] | None = None) -> dict[str, tuple[int, ...]]:
    """The stamp of each article file under ``root`` (only ``paths``, when given), as ``loading.walk`` sees it."""
    return dict(walk_stamps(root, paths))


def walk_stamps(root: Path, paths: Collection[str] | None = None) -> Iterator[tuple[str, tuple[int, ...]]]:
    """(path, stamp) of each article file under ``root`` (only ``paths``), as the walk finds them:
    ``FullTextIndex.sync`` takes them one at a time, and no dict of them all is made on the way."""
    from .loading import FileEntry, walk

    for entry in walk(root):
        if isinstance(entry, FileEntry) and (paths is None or entry.path in paths):
            yield entry.path, entry.stamp


# A stamp as the sync keeps it for every file while it compares: 4 numbers packed in 32 bytes
# (a tuple of 4 ints is about 200: 20 MB at 100,000 files, in the app's memory).
_STAMP = struct.Struct("<qqqq")


def _packed(stamp: Sequence[int | None]) -> bytes | tuple:
    try:
        return _STAMP.pack(*stamp)
    except (struct.error, TypeError):  # not 4 numbers that fit (a NULL read back): kept as it is
        return tuple(stamp)


def _unpacked(stamp: bytes | tuple) -> tuple:
    return _STAMP.unpack(stamp) if isinstance(stamp, bytes) else stamp


# --- the index ---------------------------------------------------------------------------




class _Restart(Exception):
    """The index was rebuilt while a sync was writing to it: that sync starts again."""


class FullTextIndex:
    """The SQLite file of every library's words. Never raises for a problem with the file itself:
    ``available`` says whether it is in use, ``warnings`` what went wrong.

    Safe to use from two threads at once: ``sync`` writes in one (the index's
    connection), ``match`` reads in another (a connection of its own, which
    never waits for a write: WAL).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.warnings: list[str] = []
        self._warnings_taken = 0
        self._lock = threading.RLock()  # the writing connection, and opening or rebuilding the file
        self._read_lock = threading.Lock()  # the reading connection (taken after _lock, never before)
        self._db: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._reader_roots: dict[str, int] = {}
        self._generation = 0  # changes whenever the file is replaced or dropped
        self._version = 0  # changes whenever what a match may answer has changed
        if not fts5_available():
            self.warnings.append(NO_FTS5_WARNING)
            return
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = self._open_waiting()
            except NotOurs:
                self._replace()
            except Exception as error:
                self._failed(error, "opened", self._generation)

    @property
    def available(self) -> bool:
        """False without FTS5, and once the index is switched off for this run (or closed)."""
        return self._db is not None

    @property
    def version(self) -> int:
        """Changes after every change to the index: an answer ``match`` gave may be out of date."""
        return self._version

    def take_warnings(self) -> list[str]:
        """The warnings not taken yet, each once."""
        with self._lock:
            new = self.warnings[self._warnings_taken :]
            self._warnings_taken = len(self.warnings)
            return new

    def close(self) -> None:
        with self._lock, self._read_lock:
            self._drop_connections()

    def __enter__(self) -> FullTextIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- opening -----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        """The one place a connection is made (tests wrap it to inject faults)."""
        return sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)

    def _open_waiting(self) -> sqlite3.Connection:
        return open_waiting(self._open)

    def _open(self) -> sqlite3.Connection:
        # WAL: the search reads while the sync writes; an index may lose its last batch, never its shape.
        return open_claimed(self._connect(), SCHEMA, self._create, "index", ("journal_mode=WAL", "synchronous=NORMAL"))

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
        db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
        # Names are text, or UTF-8 bytes for a name that is not UTF-8 (lone
        # surrogates passed through), so every name round-trips exactly.
        db.execute("CREATE TABLE roots (id INTEGER PRIMARY KEY, folder UNIQUE NOT NULL, synced REAL)")
        db.execute(
            "CREATE TABLE files (id INTEGER PRIMARY KEY, root INTEGER NOT NULL, path NOT NULL, "
            "size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, inode INTEGER, UNIQUE (root, path))"
        )
        db.execute(f"CREATE VIRTUAL TABLE words USING fts5({', '.join(COLUMNS)}, tokenize = '{TOKENIZER}')")

    def _replace(self) -> None:
        """Another version's file, or another program's: start a new one, no questions."""
        self._drop_connections()
        try:
            _remove_database(self.path)
            self._db = self._open_waiting()
        except Exception as error:
            self._failed(error, "replaced", self._generation)

    # --- when something goes wrong -------------------------------------------------

    def _failed(self, error: BaseException, doing: str, generation: int) -> None:
        """Rebuild a damaged file; do without one that cannot be used now, for this run.

        ``generation``: the file the error came from; dealt with already if it is not the current one.
        """
        with self._lock, self._read_lock:
            if generation != self._generation:
                return
            if isinstance(error, NotOurs):
                self._replace()
            elif _is_damage(error):
                self._rebuild(safe_error(error))
            else:
                self._switch_off(
                    f"full-text index not {doing} ({safe_error(error)}); words match titles, providers, "
                    "topics and authors only this time"
                )

    def _rebuild(self, reason: str) -> None:
        self._drop_connections()
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
            self._switch_off(
                f"full-text index damaged ({reason}) and cannot be rebuilt ({safe_error(error)}); "
                "words match titles, providers, topics and authors only this time"
            )
            return
        self.warnings.append(f"full-text index damaged ({reason}): moved aside to {aside.name} and rebuilt")

    def _switch_off(self, warning: str) -> None:
        self._drop_connections()
        self.warnings.append(warning)

    def _drop_connections(self) -> None:
        self._generation += 1
        self._version += 1
        self._reader_roots.clear()
        for db in (self._db, self._reader):
            if db is not None:
                with contextlib.suppress(Exception):
                    db.close()
        self._db = self._reader = None

    # --- keeping it in step ---------------------------------------------------------

    def sync(
        self,
        root: Path,
        stamps: Mapping[str, Sequence[int]] | Iterable[tuple[str, Sequence[int]]],
        read: Callable[[str], Article | None],
        cancelled: threading.Event | None = None,
        *,
        workers: int = 1,
        only: Collection[str] | None = None,
        apart: bool = False,
    ) -> int:
        """Bring the index of one library folder in step with its files: ``stamps`` is every file
        to index (relative path -> its stamp), ``read`` reads one (``article_reader``).

        Files whose stamp changed (or that are new) are read and indexed again, the
        others left alone; files not in ``stamps`` are forgotten. ``only``: these files
        alone are in question (those seen to change; ``stamps`` then holds the ones
        still there), the others are left as they are. With ``workers`` > 1 and many
        files, they are read in that many processes (``read`` must then be picklable,
        else they are read here); ``apart``: many files are read in another process even with
        one worker (the app: its interpreter and its memory stay the UI's). Returns how many files were indexed or forgotten;
        stops between batches once ``cancelled`` is set.
        """
        wanted = {path: _packed(stamp) for path, stamp in (stamps.items() if isinstance(stamps, Mapping) else stamps)}
        done = 0
        for _ in range(3):  # after a rebuild, from the start (the file is empty)
            if self._db is None:
                return done
            try:
                return done + self._sync(Path(root), wanted, read, cancelled, workers, only, apart)
            except _Restart as restart:
                done += restart.args[0] if restart.args else 0
        return done

    def _sync(
        self,
        root: Path,
        wanted: dict[str, bytes | tuple],
        read: Callable[[str], Article | None],
        cancelled: threading.Event | None,
        workers: int,
        only: Collection[str] | None,
        apart: bool = False,
    ) -> int:
        with self._lock:
            generation = self._generation
            try:
                db = self._require(generation)
                root_id = self._root_id(db, root)
                if only is None:  # a cursor: the rows of 100,000 files are never all in memory at once
                    rows = db.execute(
                        "SELECT id, path, size, mtime_ns, ctime_ns, inode FROM files WHERE root=?", (root_id,)
                    )
                else:
                    rows = [
                        row
                        for path in {*only, *wanted}
                        for row in db.execute(
                            "SELECT id, path, size, mtime_ns, ctime_ns, inode FROM files WHERE root=? AND path=?",
                            (root_id, _stored(path)),
                        )
                    ]
                known = {
                    _name(path): (rowid, _packed((size, mtime, ctime, inode)))
                    for rowid, path, size, mtime, ctime, inode in rows
                }
            except _Restart:
                raise
            except Exception as error:
                self._failed(error, "read", generation)
                raise _Restart(0) from None
        gone = [rowid for path, (rowid, _) in known.items() if path not in wanted]
        changed = sorted(path for path, stamp in wanted.items() if (path not in known or known[path][1] != stamp))
        done = 0
        for start in range(0, len(gone), _DELETE_BATCH):
            self._write(generation, lambda db, rows=gone[start : start + _DELETE_BATCH]: _forget(db, rows), done)
            done += len(gone[start : start + _DELETE_BATCH])
            if cancelled is not None and cancelled.is_set():
                return done
        for paths, columns in _columns_in_batches(changed, read, workers, cancelled, apart=apart):
            rows = [(path, _unpacked(wanted[path]), found) for path, found in zip(paths, columns, strict=True)]
            self._write(generation, lambda db, rows=rows: _index(db, root_id, rows), done)
            done += len(rows)
            if cancelled is not None and cancelled.is_set():
                return done
        self._write(generation, lambda db: self._synced(db, root_id), done, quiet=True)
        return done

    def _write(
        self, generation: int, change: Callable[[sqlite3.Connection], None], done: int, *, quiet: bool = False
    ) -> None:
        """One transaction; the index rebuilt or switched off (and this sync restarted or ended) if it fails."""
        with self._lock:
            db = self._require(generation, done)
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    change(db)
                    db.execute("COMMIT")
                except BaseException:
                    _rollback(db)
                    raise
            except Exception as error:
                self._failed(error, "written", generation)
                raise _Restart(done) from None
            if not quiet:
                self._version += 1

    def _require(self, generation: int, done: int = 0) -> sqlite3.Connection:
        db = self._db
        if db is None or generation != self._generation:
            raise _Restart(done)
        return db

    def _root_id(self, db: sqlite3.Connection, root: Path) -> int:
        folder = _stored(str(root))
        row = db.execute("SELECT id FROM roots WHERE folder=?", (folder,)).fetchone()
        if row is None:
            db.execute("INSERT OR IGNORE INTO roots (folder) VALUES (?)", (folder,))
            row = db.execute("SELECT id FROM roots WHERE folder=?", (folder,)).fetchone()
        if not isinstance(row[0], int):
            raise ValueError("a library's id is not a number")
        return row[0]

    def _synced(self, db: sqlite3.Connection, root_id: int) -> None:
        """Note the folder as in step now; forget folders not seen for a while (their files stay out of every answer anyway)."""
        now = time.time()
        db.execute("UPDATE roots SET synced=? WHERE id=?", (now, root_id))
        row = db.execute("SELECT value FROM meta WHERE key='pruned'").fetchone()
        if row is not None and isinstance(row[0], (int, float)) and 0 <= now - row[0] < _PRUNE_EVERY_S:
            return
        db.execute("INSERT OR REPLACE INTO meta VALUES ('pruned', ?)", (now,))
        old = now - LIBRARY_MAX_AGE_DAYS * 86400
        for (stale,) in db.execute(
            "SELECT id FROM roots WHERE id != ? AND (synced IS NULL OR synced < ?)", (root_id, old)
        ).fetchall():
            db.execute("DELETE FROM words WHERE rowid IN (SELECT id FROM files WHERE root=?)", (stale,))
            db.execute("DELETE FROM files WHERE root=?", (stale,))
            db.execute("DELETE FROM roots WHERE id=?", (stale,))

    # --- asking it -----------------------------------------------------------------

    def match(self, root: Path, query: str) -> list[str] | None:
        """The paths (relative to ``root``) of the files an FTS5 query matches; None when the
        index cannot answer (unavailable, busy, just found damaged). A query FTS5 cannot
        read matches nothing (``fts_query`` makes none)."""
        failure: Exception | None = None
        with self._read_lock:
            if self._db is None:
                return None
            generation = self._generation
            try:
                reader = self._reader_connection()
                root_id = self._reader_roots.get(str(root))
                if root_id is None:
                    row = reader.execute("SELECT id FROM roots WHERE folder=?", (_stored(str(root)),)).fetchone()
                    if row is None:
                        return []
                    root_id = self._reader_roots[str(root)] = row[0]
                # CROSS JOIN: the match first, then each row's file by its id. Left to
                # itself SQLite runs the match once per file of the folder (100 times slower).
                rows = reader.execute(
                    "SELECT files.path FROM words CROSS JOIN files ON files.id = words.rowid "
                    "WHERE words MATCH ? AND files.root = ?",
                    (query, root_id),
                ).fetchall()
                return [path if path.__class__ is str else _name(path) for path in map(itemgetter(0), rows)]
            except sqlite3.OperationalError as error:
                # A plain SQL error here is about the query (FTS5 read it otherwise than
                # meant): it matches nothing. A missing table is a damaged file.
                if (getattr(error, "sqlite_errorcode", 1) & 0xFF) == _SQLITE_ERROR and "no such" not in str(error):
                    return []
                failure = error
            except Exception as error:
                failure = error
        if _is_damage(failure):
            self._failed(failure, "read", generation)
        return None

    def _reader_connection(self) -> sqlite3.Connection:
        if self._reader is None:
            reader = self._connect()
            reader.execute("PRAGMA query_only=1")
            self._reader = reader
        return self._reader


def _forget(db: sqlite3.Connection, rowids: Sequence[int]) -> None:
    db.executemany("DELETE FROM words WHERE rowid=?", ((rowid,) for rowid in rowids))
    db.executemany("DELETE FROM files WHERE id=?", ((rowid,) for rowid in rowids))


_INSERT_WORDS = f"INSERT INTO words (rowid, {', '.join(COLUMNS)}) VALUES (?{', ?' * len(COLUMNS)})"


# A file's row whether it is new or known (another reader syncing the same folder may have added it).
_UPSERT_FILE = (
    "INSERT INTO files (root, path, size, mtime_ns, ctime_ns, inode) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (root, path) DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns, "
    "ctime_ns=excluded.ctime_ns, inode=excluded.inode RETURNING id"
)


def _index(db: sqlite3.Connection, root_id: int, rows: Iterable[tuple[str, tuple[int, ...], tuple | None]]) -> None:
    for path, stamp, columns in rows:
        (rowid,) = db.execute(_UPSERT_FILE, (root_id, _stored(path), *stamp)).fetchone()
        db.execute("DELETE FROM words WHERE rowid=?", (rowid,))
        if columns is not None:  # an unreadable file keeps its stamp, so it is not read again until it changes
            db.execute(_INSERT_WORDS, (rowid, *columns))


def _stored(name: str) -> str | bytes:
    """A name as SQLite takes it: itself, or its UTF-8 bytes with the surrogates passed through (not UTF-8)."""
    if name.isascii():
        return name
    try:
        name.encode()
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogatepass")
    return name


def _name(value: bytes | str) -> str:
    if isinstance(value, str):
        return value
    return bytes(value).decode("utf-8", "surrogatepass")


def _columns_in_batches(
    paths: Sequence[str],
    read: Callable[[str], Article | None],
    workers: int,
    cancelled: threading.Event | None,
    *,
    apart: bool = False,
) -> Iterator[tuple[Sequence[str], list[tuple[str, ...] | None]]]:
    """(paths, their ``index_columns``) a batch at a time, in order: read here, or in processes for many files
    (``apart``: in a process even with one worker; reading 100,000 files in the app's own thread took
    its interpreter from the UI and left ~80 MB more in its memory)."""
    batches = [paths[start : start + BATCH_FILES] for start in range(0, len(paths), BATCH_FILES)]
    if (workers <= 1 and not apart) or len(paths) < PARALLEL_FROM:
        for batch in batches:
            if cancelled is not None and cancelled.is_set():
                return
            yield batch, read_columns(read, batch)
        return
    pool = _start_pool(workers)
    if pool is None:
        yield from _columns_in_batches(paths, read, 1, cancelled)
        return
    try:
        queued = deque(batches)
        waiting: deque = deque()  # (batch, its future or None): a few ahead, so results do not pile up
        while queued or waiting:
            while queued and len(waiting) < 2 * max(1, workers):
                batch = queued.popleft()
                try:
                    waiting.append((batch, pool.submit(read_columns, read, batch)))
                except Exception:  # the pool broke
                    waiting.append((batch, None))
            if cancelled is not None and cancelled.is_set():
                return
            batch, future = waiting.popleft()
            found = None
            if future is not None:
                try:
                    found = future.result()
                except Exception:  # a process died, or ``read`` cannot travel to one: read here
                    found = None
            yield batch, found if found is not None else read_columns(read, batch)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _start_pool(workers: int):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .folder_loader import start_parsing_process

    try:
        # "spawn": the app has threads running, and forking a threaded process is unsafe.
        return ProcessPoolExecutor(
            max_workers=max(1, workers),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_parsing_process,
            initargs=(os.getpid(),),
        )
    except OSError:
        return None


# --- answering SearchIndex (query.FullText) ----------------------------------------------

# Threads where an answer may take its time (the index's own, the one computing answers):
# there a word is answered at once; anywhere else (the UI thread) it is answered later.
_may_wait = threading.local()
KEEP_ANSWERS = 256  # answers kept per lookup: the words of the last searches, saved searches included
_PENDING = 32  # words asked for while the last ones were being answered: the newest this many are answered


class _Answers:
    """Answers to words, kept (the newest ``KEEP_ANSWERS``) until ``forget``.

    ``find(terms)`` gives the answers (a word left out has none now). In the
    foreground (``reader list``), or in a thread that may wait, a word is found
    when asked. In the background (the app's UI thread), asking starts finding
    it in a thread and answers None (not yet); ``on_done`` is called once
    answers are in, and the next ask has them.
    """

    def __init__(
        self,
        find: Callable[[list[Text]], dict[Text, Collection[str]]],
        *,
        background: bool,
        on_done: Callable[[], None] | None,
    ) -> None:
        self.find = find
        self.background = background
        self.on_done = on_done
        self.closed = threading.Event()
        self._found: OrderedDict[Text, Collection[str]] = OrderedDict()
        self._wanted: dict[Text, None] = {}
        self._lock = threading.Lock()
        self._running = False
        self._generation = 0

    def forget(self) -> None:
        with self._lock:
            self._found.clear()
            self._generation += 1

    def get(self, term: Text) -> Collection[str] | None:
        with self._lock:
            found = self._found.get(term)
            if found is not None:
                self._found.move_to_end(term)
                return found
            if self.background and not getattr(_may_wait, "value", False):
                self._wanted[term] = None
                if not self._running:
                    self._running = True
                    threading.Thread(target=self._find_while_wanted, name="full-text answers", daemon=True).start()
                return None
            generation = self._generation
        answers = self.find([term])
        self._keep(answers, generation)
        return answers.get(term)

    def _keep(self, answers: dict[Text, Collection[str]], generation: int) -> bool:
        with self._lock:
            if generation != self._generation:
                return False  # the files changed while finding: asked again, found again
            for term, found in answers.items():
                self._found[term] = found
                self._found.move_to_end(term)
            while len(self._found) > KEEP_ANSWERS:
                self._found.popitem(last=False)
            return True

    def _find_while_wanted(self) -> None:
        _may_wait.value = True
        while not self.closed.is_set():
            with self._lock:
                terms = list(self._wanted)[-_PENDING:]
                self._wanted.clear()
                generation = self._generation
                if not terms:
                    self._running = False
                    return
            try:
                answers = self.find(terms)
            except Exception:  # never a traceback for a search: the words stay answered from memory
                answers = {}
            if self.closed.is_set():
                return
            if answers and self._keep(answers, generation) and self.on_done is not None:
                self.on_done()


class IndexLookup:
    """One library's words, as ``query.SearchIndex`` asks for them (``query.FullText``): from a FullTextIndex.

    Answers are kept until ``refresh`` (after a sync): a word typed again, or a
    saved search counted again, costs nothing.
    """

    def __init__(
        self,
        index: FullTextIndex,
        root: Path,
        *,
        background: bool = False,
        on_done: Callable[[], None] | None = None,
    ) -> None:
        self.index = index
        self.root = Path(root)
        self._answers = _Answers(self._find, background=background, on_done=on_done)
        self._version = 0

    @property
    def version(self) -> int:
        return self._version

    def refresh(self) -> None:
        """The index changed: every answer is found again."""
        self._answers.forget()
        self._version += 1

    def close(self) -> None:
        self._answers.closed.set()

    def __call__(self, term: Text) -> Collection[str] | None:
        return self._answers.get(term)

    def _find(self, terms: list[Text]) -> dict[Text, Collection[str]]:
        answers = {}
        for term in terms:
            found = self.index.match(self.root, fts_query(term, BODY_COLUMNS if term.body else WORD_COLUMNS))
            if found is not None:
                answers[term] = JoinedPaths(found)
        return answers


class JoinedPaths(Collection[str]):
    """Paths kept as one string (a name never holds NUL): about half the memory of a list of
    strings (an answer of 100,000 paths ~13 MB as a list); the newest ``KEEP_ANSWERS`` answers
    stay in the app's memory."""

    __slots__ = ("_count", "_joined")

    def __init__(self, paths: Sequence[str]) -> None:
        self._joined = "\0".join(paths)
        self._count = len(paths)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        return iter(self._joined.split("\0") if self._count else ())

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and path in self._joined.split("\0")


class FileScan:
    """Without the index: ``in:body`` words looked for in the files' excerpts and bodies, all read
    again for each new word (the words asked for at once share one reading); other words are
    left to the in-memory index."""

    def __init__(
        self,
        root: Path,
        paths: Sequence[str],
        read: Callable[[str], Article | None],
        *,
        background: bool = False,
        on_done: Callable[[], None] | None = None,
        workers: int = 1,
        apart: bool = False,
    ) -> None:
        self.root = Path(root)
        self.read = read
        self.workers = workers
        self.apart = apart
        self._paths = list(paths)
        self._answers = _Answers(self._scan, background=background, on_done=on_done)
        self._version = 0

    @property
    def version(self) -> int:
        return self._version

    def use_paths(self, paths: Sequence[str]) -> None:
        """The library changed: these files now, and every answer found again."""
        self._paths = list(paths)
        self._answers.forget()
        self._version += 1

    def close(self) -> None:
        self._answers.closed.set()

    def __call__(self, term: Text) -> Collection[str] | None:
        if not term.body:
            return ()
        return self._answers.get(term)

    def _scan(self, terms: list[Text]) -> dict[Text, Collection[str]]:
        found: dict[Text, list[str]] = {term: [] for term in terms}
        closed = self._answers.closed
        for batch, columns in _columns_in_batches(self._paths, self.read, self.workers, closed, apart=self.apart):
            for path, column in zip(batch, columns, strict=True):
                if column is None:
                    continue
                excerpt, body = f" {column[1]} ", f" {column[5]} "
                for term in terms:
                    if found_in(term, excerpt) or found_in(term, body):
                        found[term].append(path)
        if closed.is_set():
            return {}
        return {term: frozenset(matched) for term, matched in found.items()}


# --- the app's side --------------------------------------------------------------------


class LiveFullText:
    """The full-text search of one library folder in the app: the index opened, and brought in
    step with each complete library it is given, in a thread of its own, never the UI's.

    ``follow(library)`` makes the library's SearchIndex ask it (right away: what the
    index held from the last run answers until the sync is done). A word asked for
    on the UI thread is answered later, in a thread (a common word is tens of
    thousands of rows at 100,000 articles, tens of milliseconds): the in-memory
    index answers meanwhile. ``on_change(library)`` is called, in a thread that may
    wait for answers, with the newest library once they may have changed (answers
    found, a sync that changed the index), so the screen can show its search again;
    ``on_warning`` with each line to show, once.
    """

    def __init__(
        self,
        root: Path,
        names: FieldNames | None = None,
        *,
        index_path: Path | None = None,
        beside: Path | None = None,
        use_index: bool = True,
        on_change: Callable[[Library], None] | None = None,
        on_warning: Callable[[str], None] | None = None,
        workers: int | None = None,
    ) -> None:
        self.root = Path(root)
        self.names = names
        self.index_path = index_path
        self.beside = beside
        self.use_index = use_index
        self.on_change = on_change
        self.on_warning = on_warning
        # One process reads files beside the thread that writes: the other core stays the UI's.
        self.workers = workers if workers is not None else max(1, (os.cpu_count() or 2) - 1)
        self._read = article_reader(self.root, names)
        self._answer: IndexLookup | FileScan | None = None
        self._switched = 0
        self._library: Library | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._index: FullTextIndex | None = None
        self._looked_at: set[str] | None = None  # files to look at again before the next sync (None: walk)
        self.synced = threading.Event()  # set after each sync (tests wait for it)

    # query.FullText: what the SearchIndex of each followed library asks
    @property
    def version(self) -> tuple[int, int]:
        answer = self._answer
        return (self._switched, answer.version if answer is not None else 0)

    def __call__(self, term: Text) -> Collection[str] | None:
        answer = self._answer
        return answer(term) if answer is not None else None

    def follow(self, library: Library, changed: Collection[str] | None = None) -> None:
        """Search this library (the newest, complete) with the index, and bring the index in step with it.

        ``changed``: the only files that may have changed since the library before
        (relative paths, as the watcher saw them); those alone are looked at again.
        None: every file is (a walk of the folder).
        """
        # Without FTS5 only in:body is answered (reading every file): its paths are mapped then.
        library.search_index.use_full_text(self, map_paths=self.use_index and fts5_available())
        with self._lock:
            self._library = library
            if changed is None or self._looked_at is None:
                self._looked_at = None
            else:
                self._looked_at.update(changed)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="full-text index", daemon=True)
                self._thread.start()
        self._wake.set()

    def close(self) -> None:
        """Stop: a sync ends after the batch it is writing (the next start goes on from there)."""
        self._stop.set()
        self._wake.set()
        answer = self._answer
        if answer is not None:
            answer.close()
        index = self._index
        if index is not None:
            index.close()

    def _run(self) -> None:
        _may_wait.value = True
        try:
            self._open()
            if self._answer is not None:
                # A search typed before now was answered from memory alone: the index as
                # the last run left it answers it now (a warm one is in step already).
                self._changed()
            while not self._stop.is_set():
                self._wake.wait()
                self._wake.clear()
                if self._stop.is_set():
                    return
                with self._lock:
                    library = self._library
                if library is not None:
                    self._sync(library)
                self.synced.set()
        except Exception as error:  # the folder vanished, the disk failed: search goes on in memory
            self._warn(f"full-text index stopped: {safe_error(error)}")

    def _open(self) -> None:
        if self.use_index:
            signature = "" if self.names is None else _signature(self.names)
            self._index = FullTextIndex(self.index_path or default_index_path(signature, self.beside))
            self._take_warnings()
        if self._index is not None and self._index.available:
            self._switch(IndexLookup(self._index, self.root, background=True, on_done=self._changed))

    def _sync(self, library: Library) -> None:
        index = self._index
        if index is None or not index.available:
            self._scan_files(article_paths(library.articles))
            return
        with self._lock:
            only, self._looked_at = self._looked_at, set()
        # The first time and after a rescan, a walk (1.6 s at 100,000 files), its stamps taken
        # one at a time, the library's files told by the search index's map of them (no list or
        # set of 100,000 more names); else the files the watcher saw change, a look at each.
        if only is None:
            stamps = walk_stamps(self.root, library.search_index.path_indexes())
        else:
            stamps = _stamps_of(self.root, only)
        changed = index.sync(self.root, stamps, self._read, self._stop, workers=self.workers, only=only, apart=True)
        self._take_warnings()
        if not index.available:  # switched off while syncing (a full disk): in:body reads the files
            self._scan_files(article_paths(library.articles))
            changed = 1
        elif changed and isinstance(self._answer, IndexLookup):
            self._answer.refresh()
        if changed and not self._stop.is_set():
            self._changed()

    def _scan_files(self, paths: Sequence[str]) -> None:
        answer = self._answer
        if isinstance(answer, FileScan):
            answer.use_paths(paths)
        else:
            self._switch(
                FileScan(
                    self.root,
                    paths,
                    self._read,
                    background=True,
                    on_done=self._changed,
                    workers=self.workers,
                    apart=True,
                )
            )

    def _switch(self, answer: IndexLookup | FileScan) -> None:
        previous, self._answer = self._answer, answer
        self._switched += 1
        if previous is not None:
            previous.close()

    def _changed(self) -> None:
        if self.on_change is None or self._stop.is_set():
            return
        with self._lock:
            library = self._library
        if library is not None:
            self.on_change(library)

    def _take_warnings(self) -> None:
        if self._index is not None:
            for warning in self._index.take_warnings():
                self._warn(warning)

    def _warn(self, text: str) -> None:
        if self.on_warning is not None:
            self.on_warning(text)


def _signature(names: FieldNames) -> str:
    from .fields import DEFAULT_FIELDS

    return "" if names == DEFAULT_FIELDS else names.signature()


# --- reader list --query ---------------------------------------------------------------


def cli_full_text(
    root: Path,
    library: Library,
    query: Query,
    names: FieldNames | None = None,
    *,
    use_index: bool = True,
    say: Callable[[str], None] | None = None,
) -> FileScan | IndexLookup | None:
    """What ``reader list --query`` searches words with, besides the list's fields: the index,
    brought in step first (a warm one reads nothing), else the files for ``in:body``.
    None when the query has no words. Warnings go to ``say``."""
    if not query.has_words:
        return None
    root = Path(root)
    read = article_reader(root, names)
    workers = max(1, os.cpu_count() or 1)
    paths = article_paths(library.articles)
    if use_index:
        index = FullTextIndex(default_index_path("" if names is None else _signature(names)))
        stamps = file_stamps(root, set(paths))
        index.sync(root, stamps, read, workers=workers)
        for warning in index.take_warnings():
            if say is not None:
                say(warning)
        if index.available:
            return IndexLookup(index, root)
        index.close()
    return FileScan(root, paths, read, workers=workers)
