"""The load cache: parsed articles kept in SQLite so a second start skips parsing.

One row per file, keyed by (library folder, relative path) and checked
against the file's size and modification time. Only what the list, the tree
and the sort orders need is kept, as real columns read in one query at
start-up. The rest of an article (excerpt, body, related stories) is read
from its file when the detail pane shows it: parsing one file takes under a
millisecond, while keeping every detail would make the cache ten times larger
and the cold load slower by the writing.

The cache lives in the user's cache folder, never in the articles folder. It
is only a cache: a file from another version, or a corrupt one, is deleted
and rebuilt rather than trusted.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .model import ArticleSummary, LoadError, Provider

# Rows written by another version may have been normalised by other rules:
# the version is part of the schema, so an upgrade rebuilds the cache.
SCHEMA = f"reader-cache-5/{__version__}"

# A record is what a parsing process hands back and what a row holds; it is a
# plain tuple so it pickles and inserts cheaply.
# (path, size, mtime_ns, status, reason, id, title, provider_name,
#  provider_domain, category, type, quality, heat, published, published_ts,
#  topics, url)
Record = tuple
ARTICLE, ERROR, SKIPPED = 0, 1, 2
_TOPIC_SEPARATOR = "\x1f"  # a control character: cleaned text never contains one

_COLUMNS = (
    "path, size, mtime_ns, status, reason, id, title, provider_name, provider_domain, "
    "category, type, quality, heat, published, published_ts, topics, url"
)


def summary_record(article: ArticleSummary, size: int, mtime_ns: int) -> Record:
    return (
        article.path,
        size,
        mtime_ns,
        ARTICLE,
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
    )


def problem_record(path: str, size: int, mtime_ns: int, status: int, reason: str) -> Record:
    return (path, size, mtime_ns, status, reason) + (None,) * 12


class SummaryBuilder:
    """Turns records into summaries, sharing equal providers and topic tuples.

    At 100,000 articles most providers and topic combinations repeat; sharing
    one object for each saves tens of megabytes.
    """

    def __init__(self) -> None:
        self._providers: dict[tuple[str, str], Provider] = {}
        self._topics: dict[str, tuple[str, ...]] = {}

    def summary(self, record: Sequence) -> ArticleSummary:
        (
            path,
            _size,
            _mtime,
            _status,
            _reason,
            article_id,
            title,
            provider_name,
            provider_domain,
            category,
            type_,
            quality,
            heat,
            published,
            published_ts,
            topics,
            url,
        ) = record[:17]
        provider_key = (provider_name or "", provider_domain or "")
        provider = self._providers.get(provider_key)
        if provider is None:
            provider = self._providers[provider_key] = Provider(*provider_key)
        topic_tuple = self._topics.get(topics)
        if topic_tuple is None:
            topic_tuple = self._topics[topics] = tuple(topics.split(_TOPIC_SEPARATOR)) if topics else ()
        return ArticleSummary(
            id=article_id,
            path=path,
            title=title,
            provider=provider,
            category=category or "",
            type=type_ or "",
            quality=quality,
            heat=heat,
            published=bool(published),
            published_at=_datetime(published_ts),
            topics=topic_tuple,
            url=url,
        )


def default_cache_path() -> Path:
    from .config import cache_dir

    return cache_dir() / "articles.sqlite3"


class ArticleCache:
    """The SQLite file of parsed articles for any number of library folders."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                self._db = self._open()
                return
            except sqlite3.DatabaseError as error:
                if _is_busy(error) and attempt < _OPEN_ATTEMPTS - 1:
                    # Another reader holds the file (it is starting too): wait,
                    # never delete a cache that someone else is using.
                    time.sleep(0.05 * (attempt + 1))
                    continue
                if _is_busy(error):
                    raise
                break
        self._discard()  # not a database, damaged, or another version's: rebuild
        self._db = self._open()

    # --- opening, and refusing what we did not write -------------------------

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
            db.execute("PRAGMA synchronous=NORMAL")  # a cache may lose its last write, never its shape
            db.execute("BEGIN IMMEDIATE")  # two readers starting at once: one creates, one waits
            try:
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                if "meta" in tables:
                    row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                    if row is None or row[0] != SCHEMA:
                        db.execute("ROLLBACK")
                        raise sqlite3.DatabaseError(f"cache schema {row and row[0]!r} is not {SCHEMA!r}")
                    # No integrity check here: it reads the whole file (seconds at
                    # 100k articles). Damage found later raises DatabaseError, and
                    # the loader calls reset().
                else:
                    self._create(db)
                db.execute("COMMIT")
            except sqlite3.DatabaseError:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        for table in ("articles", "roots", "meta"):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
        db.execute("CREATE TABLE roots (id INTEGER PRIMARY KEY, folder TEXT UNIQUE NOT NULL)")
        db.execute(
            "CREATE TABLE articles (root INTEGER NOT NULL, path TEXT NOT NULL, size INTEGER, "
            "mtime_ns INTEGER, status INTEGER, reason TEXT, id TEXT, title TEXT, provider_name TEXT, "
            "provider_domain TEXT, category TEXT, type TEXT, quality INTEGER, heat INTEGER, "
            "published INTEGER, published_ts REAL, topics TEXT, url TEXT, "
            "PRIMARY KEY (root, path)) WITHOUT ROWID"
        )
        # The first screen of the default order, read before everything else.
        for order, columns in _FIRST_SCREEN_ORDERS.items():
            db.execute(f"CREATE INDEX articles_by_{order} ON articles (root, status, {columns})")

    def reset(self) -> None:
        """Throw the cache file away and start an empty one (it was damaged)."""
        self.close()
        self._discard()
        self._db = self._open()

    def _discard(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")

    def close(self) -> None:
        self._db.close()

    # --- reading -------------------------------------------------------------

    def _root_id(self, folder: Path, create: bool = False) -> int | None:
        key = str(folder)
        row = self._db.execute("SELECT id FROM roots WHERE folder=?", (key,)).fetchone()
        if row is None and create:
            self._db.execute("INSERT OR IGNORE INTO roots (folder) VALUES (?)", (key,))
            row = self._db.execute("SELECT id FROM roots WHERE folder=?", (key,)).fetchone()
        return row[0] if row else None

    def records(self, folder: Path) -> Iterator[Record]:
        """Every cached record of a folder."""
        root = self._root_id(folder)
        if root is None:
            return iter(())
        return self._db.execute(f"SELECT {_COLUMNS} FROM articles WHERE root=?", (root,))

    def first_records(self, folder: Path, limit: int, order: str = "quality") -> list[Record]:
        """The top articles in one order (quality, heat or date): a first screen while the rest loads."""
        root = self._root_id(folder)
        if root is None or order not in _FIRST_SCREEN_ORDERS:
            return []
        return self._db.execute(
            f"SELECT {_COLUMNS} FROM articles WHERE root=? AND status=0 ORDER BY {_FIRST_SCREEN_ORDERS[order]} LIMIT ?",
            (root, limit),
        ).fetchall()

    # --- writing -------------------------------------------------------------

    def store(self, folder: Path, records: Iterable[Record]) -> None:
        root = self._root_id(folder, create=True)
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((root, *record) for record in records),
            )

    def forget(self, folder: Path, paths: Iterable[str]) -> None:
        root = self._root_id(folder)
        if root is None:
            return
        with self._transaction():
            self._db.executemany("DELETE FROM articles WHERE root=? AND path=?", ((root, p) for p in paths))

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


# The orders a first screen can be read in, each served by an index.
_FIRST_SCREEN_ORDERS = {
    "quality": "quality DESC, published_ts DESC",
    "heat": "heat DESC, published_ts DESC",
    "date": "published_ts DESC",
}
_OPEN_ATTEMPTS = 20
_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED


def _is_busy(error: sqlite3.DatabaseError) -> bool:
    return getattr(error, "sqlite_errorcode", None) in _BUSY_CODES or "locked" in str(error)


def record_error(record: Record) -> LoadError:
    return LoadError(record[0], record[4] or "unreadable")


def _timestamp(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def _datetime(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp is not None else None
