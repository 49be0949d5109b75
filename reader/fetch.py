"""Fetching feeds into article files: several at once, each with one line saying how it went.

``fetch_all`` is the one entry point, for ``reader fetch`` and for the app
(call it from a worker thread; ``on_progress`` is called in that thread, once
a feed, as each one finishes). Each feed is downloaded (``download.py``:
conditional, bounded in time and size), parsed with ``feedparser``, and its
entries written as article files (``feed_articles.py``) in
``<into>/<feed folder>/``. One feed's failure is its line and nothing more:
the others are fetched, and the files already there are never damaged.

What a feed's server last said (``ETag``, ``Last-Modified``) is kept per
feed folder in ``$XDG_DATA_HOME/reader-news/fetch-state.json`` and sent
back, so an unchanged feed costs a 304; it is only a saving, so a damaged
file is replaced (with a warning), and a feed whose folder has no articles
is fetched whole. Nothing here imports Textual.
"""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from .download import Cancelled, Download, DownloadError, DownloadLimits, download
from .feed_articles import MAX_ENTRIES, Written, source_of, write_entries
from .feeds import ARTICLE_SUFFIX, Feed, data_dir, locked, write_atomically
from .links import parse_link
from .text import escape_line, escape_name, safe_error

FETCH_STATE_FILE = "fetch-state.json"
_STATE_FORMAT = 1
_MAX_STATE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class FetchLimits(DownloadLimits):
    parallel: int = 4  # feeds downloaded at once
    max_entries: int = MAX_ENTRIES  # entries taken from one feed


@dataclass(frozen=True)
class FeedResult:
    """How one feed went. ``line`` is what to show: one line, safe to print."""

    feed: Feed
    status: str  # "fetched", "not modified" or "error"
    new: int = 0
    updated: int = 0
    error: str = ""
    notes: tuple[str, ...] = ()  # said after the counts: malformed XML taken anyway, entries left out

    @property
    def ok(self) -> bool:
        return self.status != "error"

    @property
    def line(self) -> str:
        name = escape_name(self.feed.name)
        if self.status == "error":
            return f"{name}: error: {self.error}"
        if self.status == "not modified":
            return f"{name}: not modified"
        notes = "".join(f"; {note}" for note in self.notes)
        return f"{name}: {self.new:,} new, {self.updated:,} updated{notes}"


@dataclass(frozen=True)
class FetchReport:
    """Every feed's result, in the order the feeds were given, and warnings (the fetch state)."""

    results: tuple[FeedResult, ...]
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def failed(self) -> tuple[FeedResult, ...]:
        return tuple(result for result in self.results if not result.ok)

    @property
    def new(self) -> int:
        return sum(result.new for result in self.results)

    @property
    def updated(self) -> int:
        return sum(result.updated for result in self.results)

    @property
    def lines(self) -> list[str]:
        return [result.line for result in self.results]


ProgressCallback = Callable[[int, int, str], None]


def fetch_state_path() -> Path:
    return data_dir() / FETCH_STATE_FILE


def fetch_all(
    feeds: Sequence[Feed],
    into: Path,
    *,
    on_progress: ProgressCallback | None = None,
    limits: FetchLimits = FetchLimits(),
    cancel: threading.Event | None = None,
    state_path: Path | None = None,
) -> FetchReport:
    """Fetch ``feeds`` (``limits.parallel`` at once) into ``into/<feed.folder>/``.

    ``on_progress(done, total, line)`` is called in the calling thread after
    each feed, with that feed's line. Setting ``cancel`` stops what has not
    finished (those feeds say "cancelled"). Never raises for anything a
    server, a feed or the disk does.
    """
    into = Path(into)
    state_path = state_path or fetch_state_path()
    state, warnings = _load_state(state_path)
    results: dict[int, FeedResult] = {}
    remembered: dict[str, dict[str, str] | None] = {}
    total = len(feeds)
    if not feeds:
        return FetchReport((), tuple(warnings))
    with ThreadPoolExecutor(max_workers=max(1, min(limits.parallel, total)), thread_name_prefix="fetch") as pool:
        futures = {
            pool.submit(_fetch_one, feed, into / feed.folder, state.get(_state_key(into, feed)), limits, cancel): index
            for index, feed in enumerate(feeds)
        }
        for done, future in enumerate(as_completed(futures), 1):
            index = futures[future]
            feed = feeds[index]
            try:
                result, validators = future.result()
            except Exception as error:  # a bug must cost one feed, not the fetch
                result, validators = FeedResult(feed, "error", error=f"failed ({safe_error(error)})"), None
            results[index] = result
            if result.status == "fetched" or validators is not None:
                remembered[_state_key(into, feed)] = validators
            if on_progress is not None:
                on_progress(done, total, result.line)
    problem = _save_state(state_path, remembered) if remembered else None
    if problem:
        warnings.append(problem)
    return FetchReport(tuple(results[i] for i in range(total)), tuple(warnings))


def _fetch_one(
    feed: Feed, folder: Path, known: dict[str, str] | None, limits: FetchLimits, cancel: threading.Event | None
) -> tuple[FeedResult, dict[str, str] | None]:
    """One feed: (its result, the validators to remember for it, or None to forget them)."""
    if cancel is not None and cancel.is_set():
        return FeedResult(feed, "error", error="cancelled"), None
    etag = last_modified = None
    # A 304 would write nothing: a folder without articles (new, emptied, another
    # --into) gets the whole feed.
    if known and known.get("url") == feed.url and _has_articles(folder):
        etag, last_modified = known.get("etag"), known.get("last_modified")
    try:
        answer = download(
            feed.url,
            etag=etag,
            last_modified=last_modified,
            limits=limits,
            cancelled=cancel.is_set if cancel is not None else None,
        )
    except Cancelled:
        return FeedResult(feed, "error", error="cancelled"), None
    except DownloadError as error:
        return FeedResult(feed, "error", error=str(error)), None
    if answer.not_modified:
        return FeedResult(feed, "not modified"), known
    parsed, problem = _parse(answer)
    if problem is not None:
        return FeedResult(feed, "error", error=problem), None
    entries = list(parsed.get("entries", []))
    source = source_of(parsed, feed.name, answer.url)
    try:
        written = write_entries(folder, entries, source, max_entries=limits.max_entries)
    except OSError as error:
        reason = escape_line(error.strerror or str(error))
        return FeedResult(feed, "error", error=f"cannot write in {escape_name(str(folder))} ({reason})"), None
    notes = _notes(parsed, written, limits.max_entries)
    validators = {"url": feed.url}
    if answer.etag:
        validators["etag"] = answer.etag
    if answer.last_modified:
        validators["last_modified"] = answer.last_modified
    return FeedResult(feed, "fetched", new=written.new, updated=written.updated, notes=notes), validators


def _parse(answer: Download) -> tuple[Any, str | None]:
    """(feedparser's result, None), or (None, why this is not a feed)."""
    import feedparser  # only when a feed is fetched: it costs start-up time

    headers = {"content-location": answer.url}
    if answer.content_type:
        headers["content-type"] = answer.content_type
    try:
        # A stream, never bytes or a str: feedparser would take a str that looks
        # like a URL or a path as one to open.
        parsed = feedparser.parse(io.BytesIO(answer.body), response_headers=headers)
    except Exception as error:  # feedparser is meant never to raise; a hostile feed must not find out otherwise
        return None, f"cannot be parsed ({type(error).__name__})"
    if parsed.get("entries") or parsed.get("version"):
        return parsed, None
    if _looks_like_html(answer):
        found = discover_feed(answer.body, answer.url)
        hint = f" (it names a feed: {escape_name(found)})" if found else ""
        return None, f"an HTML page, not a feed{hint}"
    if not answer.body.strip():
        return None, "an empty answer, not a feed"
    if parsed.get("bozo"):
        return None, f"not a feed ({_bozo_message(parsed.get('bozo_exception'))})"
    return None, "not a feed (no RSS, Atom or RDF in it)"


def _notes(parsed: Any, written: Written, limit: int) -> tuple[str, ...]:
    notes = []
    if parsed.get("bozo") and _worth_saying(parsed.get("bozo_exception")):
        notes.append(f"malformed feed, entries taken anyway ({_bozo_message(parsed.get('bozo_exception'))})")
    if written.skipped:
        entries = "1 entry" if written.skipped == 1 else f"{written.skipped:,} entries"
        notes.append(f"{entries} left out (repeated, or past the first {limit:,})")
    return tuple(notes)


def _worth_saying(error: object) -> bool:
    """feedparser's bozo also flags things that lose nothing (a charset the server misnamed)."""
    try:
        from feedparser.exceptions import ThingsNobodyCaresAboutButMe
    except ImportError:  # pragma: no cover - feedparser's layout
        return True
    return not isinstance(error, ThingsNobodyCaresAboutButMe)


def _bozo_message(error: object) -> str:
    if error is None:
        return "malformed"
    get_message = getattr(error, "getMessage", None)
    message = get_message() if callable(get_message) else str(error)
    line = getattr(error, "getLineNumber", None)
    where = f" at line {line()}" if callable(line) else ""
    return escape_line(f"{message or type(error).__name__}{where}")[:200]


def _looks_like_html(answer: Download) -> bool:
    if answer.content_type.split(";", 1)[0].strip().lower() in ("text/html", "application/xhtml+xml"):
        return True
    start = answer.body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html"))


class _FeedLinks(HTMLParser):
    """The first ``<link rel="alternate" type="application/rss+xml" href="…">`` of a page."""

    TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"})

    def __init__(self) -> None:
        super().__init__()
        self.found: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link" or self.found is not None:
            return
        values = {name: value or "" for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        if "alternate" in rels and values.get("type", "").lower().strip() in self.TYPES and values.get("href"):
            self.found = values["href"]


def discover_feed(page: bytes, base: str) -> str | None:
    """The feed an HTML page names in its head (autodiscovery), as an http(s) URL, or None."""
    finder = _FeedLinks()
    try:
        finder.feed(page[:256 * 1024].decode("utf-8", "replace"))
    except Exception:  # a page too broken to read names nothing
        return None
    if finder.found is None:
        return None
    link = parse_link(urljoin(base, finder.found.strip()))
    return link.url if link is not None else None


def _has_articles(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(entry.name.endswith(ARTICLE_SUFFIX) and not entry.name.startswith(".") for entry in entries)
    except OSError:
        return False


# --- the fetch state -----------------------------------------------------------------------


def _state_key(into: Path, feed: Feed) -> str:
    try:
        base = into.expanduser().resolve()
    except (OSError, RuntimeError):
        base = into.absolute()
    return str(base / feed.folder)


def _load_state(path: Path) -> tuple[dict[str, dict[str, str]], list[str]]:
    """What servers last said, per feed folder; a file that is not one is a warning and nothing known."""
    try:
        with open(path, "rb") as file:
            source = file.read(_MAX_STATE_BYTES + 1)
    except FileNotFoundError:
        return {}, []
    except OSError as error:
        problem = escape_line(error.strerror or str(error))
        return {}, [f"{escape_name(str(path))}: cannot be read ({problem}); every feed is fetched whole"]
    try:
        data = json.loads(source.decode("utf-8"))
        folders = data["folders"] if isinstance(data, dict) and len(source) <= _MAX_STATE_BYTES else None
    except (UnicodeDecodeError, ValueError, RecursionError, KeyError):
        folders = None
    if not isinstance(folders, dict):
        return {}, [f"{escape_name(str(path))}: damaged; every feed is fetched whole and it is written anew"]
    state = {}
    for key, value in folders.items():
        if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            state[key] = value
    return state, []


def _save_state(path: Path, changes: dict[str, dict[str, str] | None]) -> str | None:
    """Merge ``changes`` into the file as it is now (another fetch may have written it), under its lock."""
    try:
        with locked(path):
            state, _ = _load_state(path)
            for key, value in changes.items():
                if value is None:
                    state.pop(key, None)
                else:
                    state[key] = value
            text = json.dumps({"version": _STATE_FORMAT, "folders": state}, indent=1, ensure_ascii=True)
            write_atomically(path, text.encode("ascii") + b"\n")
    except Exception as error:  # OSError, or FeedError from the lock: the saving is lost, nothing else
        return f"what the servers said cannot be remembered ({safe_error(error)}); the next fetch gets every feed whole"
    return None
