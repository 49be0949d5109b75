"""The feeds the user follows, and where their articles go.

The list is user data: ``$XDG_DATA_HOME/reader-news/feeds.json`` (through
platformdirs), a small JSON file of ``{"name", "url", "folder"}`` records. It
survives what user data must survive: every change is made under a lock
(``feeds.lock`` beside it), on the file as it is now, and written atomically
(a temporary file in the same folder, fsync, rename), so ``kill -9``, a full
disk or two ``reader feeds add`` at once lose nothing; a file that is not a
feed list is moved aside under a dated name, with a warning, never deleted;
a record that is not valid (a hand edit) is skipped with a warning and kept
in the file as it is.

Every feed has a name (unique, whatever the case), an http(s) URL in its
normal form (``links.parse_link``), and a folder under the feeds folder,
made from its name once, when it is added, and safe on every file system
(``safe_folder_name``). Fetched articles go to ``<feeds folder>/<folder>/``;
the feeds folder is the ``feeds_folder`` setting, else
``$XDG_DATA_HOME/reader-news/feeds``.

Nothing here reaches the network (``fetch.py`` does) or imports Textual.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from .config import APP_NAME, Config
from .text import clean_line, escape_line, escape_name, identity_url
from .userfiles import move_aside, sync_directory, write_atomically  # noqa: F401 (feed_articles, fetch use them from here)

FEEDS_FILE = "feeds.json"
FEEDS_FORMAT = 1
MAX_NAME_CHARS = 100
MAX_FOLDER_BYTES = 80
MAX_FEEDS = 10_000
MAX_FEEDS_FILE_BYTES = 16 * 1024 * 1024
ARTICLE_SUFFIX = ".md"

# Characters no folder name may hold on some file system (Windows, macOS's ":")
# or that a shell would misread; each becomes "_".
_UNSAFE_IN_NAMES = frozenset('/\\:*?"<>|')
# Names Windows keeps for devices, with or without an extension.
_RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)


class FeedError(Exception):
    """A change to the feed list that cannot be made; the message is one line, safe to print."""


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed followed: what it is called, where it is, and the folder its articles go to."""

    name: str
    url: str
    folder: str  # one path component, made by safe_folder_name


# --- where things are -------------------------------------------------------------------


def data_dir() -> Path:
    """The reader's user-data folder: ``$XDG_DATA_HOME/reader-news`` (the reading state lives here too)."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def feeds_path() -> Path:
    return data_dir() / FEEDS_FILE


def default_feeds_folder() -> Path:
    """Where fetched articles go unless the ``feeds_folder`` setting or ``--into`` says otherwise."""
    return data_dir() / "feeds"


def feeds_folder(config: Config) -> Path:
    """The folder fetched articles go to: the ``feeds_folder`` setting, else the default."""
    return Path(config.feeds_folder).expanduser() if config.feeds_folder else default_feeds_folder()


def feeds_folder_has_articles(folder: Path, *, max_folders: int = 1_000) -> bool:
    """Whether ``folder`` holds at least one fetched article (``<feed>/<name>.md``).

    Cheap enough for every start-up: it stops at the first article, looks at
    no more than ``max_folders`` feed folders, and never raises.
    """
    try:
        with os.scandir(folder) as feeds:
            for index, entry in enumerate(feeds):
                if index >= max_folders:
                    return False
                if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                    continue
                with suppress(OSError), os.scandir(entry.path) as files:
                    for file in files:
                        if file.name.endswith(ARTICLE_SUFFIX) and not file.name.startswith("."):
                            return True
    except OSError:
        return False
    return False


def _parse_link(raw: object):  # -> links.Link | None
    """``links.parse_link``, imported when first needed: every start of the app checks the
    feeds folder (``feeds_folder_has_articles``) and should not pay for importing it."""
    from .links import parse_link

    return parse_link(raw)


# --- names -------------------------------------------------------------------------------


def clean_feed_name(raw: object) -> str:
    """A name from the user or an OPML file as it may be kept and shown: one line, no controls, bounded."""
    return clean_line(raw, MAX_NAME_CHARS)


def safe_folder_name(name: str) -> str:
    """A folder name made from a feed's name: one path component that every file system takes.

    No separator, no control or invisible character, no leading dot (the
    library walk skips hidden folders) and no trailing dot or space, not a
    Windows device name, at most ``MAX_FOLDER_BYTES`` bytes of UTF-8;
    ``feed`` when nothing is left.
    """
    text = clean_line(name, MAX_FOLDER_BYTES * 2)
    text = "".join("_" if char in _UNSAFE_IN_NAMES or not char.isprintable() else char for char in text)
    text = _cut_utf8(text.strip(" ."), MAX_FOLDER_BYTES).rstrip(" .")
    if not text:
        return "feed"
    if text.split(".", 1)[0].casefold() in _RESERVED_NAMES:
        text = _cut_utf8("_" + text, MAX_FOLDER_BYTES)
    return text


def _cut_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", "ignore")


def _unique(candidate: str, taken: set[str], *, separator: str, limit: int, in_bytes: bool) -> str:
    """``candidate``, or it with `` 2``, `` 3``… appended, whichever is not in ``taken`` (casefolded);
    never longer than ``limit`` characters (bytes of UTF-8 with ``in_bytes``)."""
    if candidate.casefold() not in taken:
        return candidate
    for number in range(2, MAX_FEEDS + 2):
        suffix = f"{separator}{number}"
        room = limit - len(suffix)
        made = (_cut_utf8(candidate, room) if in_bytes else candidate[:room]).rstrip(" .") + suffix
        if made.casefold() not in taken:
            return made
    raise FeedError("too many feeds with the same name")


def name_from_url(url: str) -> str:
    """The name a feed gets when none is given: its host, without ``www.``."""
    link = _parse_link(url)
    host = link.host if link is not None else url
    return host.removeprefix("www.") or "feed"


# --- reading and writing the list -----------------------------------------------------------


@dataclass
class FeedList:
    """The list as read: valid feeds, records kept as they are (not valid), and what was said."""

    feeds: list[Feed]
    kept: list[Any]  # records that are not valid feeds: written back untouched
    warnings: list[str]

    def find(self, name_or_url: str) -> Feed | None:
        """The feed with this name (exactly, else whatever the case), or with this URL."""
        for feed in self.feeds:
            if feed.name == name_or_url:
                return feed
        folded = name_or_url.casefold()
        for feed in self.feeds:
            if feed.name.casefold() == folded:
                return feed
        link = _parse_link(name_or_url)
        if link is not None:
            wanted = identity_url(link.url)
            for feed in self.feeds:
                if identity_url(feed.url) == wanted:
                    return feed
        return None


def load_feeds(path: Path | None = None) -> FeedList:
    """The feeds in the list (none when there is no list yet). Never raises.

    A file that cannot be read is a warning (and an empty list); a damaged
    one is moved aside (see the module's docstring).
    """
    path = path or feeds_path()
    try:
        return _read(path)
    except _Damaged as damage:
        return FeedList([], [], [move_aside(path, str(damage), then="the feed list starts empty", otherwise="no feeds are followed")])
    except _Unreadable as problem:
        return FeedList([], [], [str(problem)])


def add_feed(url: str, name: str | None = None, path: Path | None = None) -> tuple[Feed, list[str]]:
    """Add one feed and save the list; the feed as added (its name and folder made unique) and warnings.

    Raises FeedError when the URL is not an http(s) feed URL, the feed is
    already in the list, the name is taken or empty, or the list cannot be saved.
    """
    added, refused, warnings = add_feeds([(url, name)], path)
    if refused:
        raise FeedError(refused[0])
    return added[0], warnings


def add_feeds(
    candidates: Iterable[tuple[str, str | None]], path: Path | None = None, *, rename: bool = False
) -> tuple[list[Feed], list[str], list[str]]:
    """Add several feeds at once, under one lock: (added, one line per feed refused, warnings).

    ``rename``: a name already taken gets `` 2`` appended rather than being
    refused (for an OPML import, whose names often repeat). A feed whose URL
    is already in the list is refused either way. Raises FeedError when the
    list cannot be saved (nothing is added then).
    """
    path = path or feeds_path()
    with locked(path):
        current = load_feeds(path)
        names = {feed.name.casefold() for feed in current.feeds}
        folders = {feed.folder.casefold() for feed in current.feeds}
        urls = {identity_url(feed.url): feed for feed in current.feeds}
        added: list[Feed] = []
        refused: list[str] = []
        for raw_url, raw_name in candidates:
            link = _parse_link(raw_url)
            if link is None:
                refused.append(f"'{escape_name(str(raw_url)[:200])}' is not an http(s) URL a feed can have")
                continue
            known = urls.get(identity_url(link.url))
            if known is not None:
                refused.append(f"{escape_name(link.url)} is already followed as '{escape_name(known.name)}'")
                continue
            if len(current.feeds) + len(added) >= MAX_FEEDS:
                refused.append(f"{escape_name(link.url)}: the list already has {MAX_FEEDS:,} feeds")
                continue
            name = clean_feed_name(raw_name) if raw_name is not None else ""
            if raw_name is not None and not name and not rename:
                refused.append("a feed's name must have something printable in it")
                continue
            name = name or name_from_url(link.url)
            if name.casefold() in names:
                if not rename and raw_name is not None:
                    refused.append(f"there is already a feed named '{escape_name(name)}'")
                    continue
                name = _unique(name, names, separator=" ", limit=MAX_NAME_CHARS, in_bytes=False)
            folder = _unique(safe_folder_name(name), folders, separator="-", limit=MAX_FOLDER_BYTES, in_bytes=True)
            feed = Feed(name=name, url=link.url, folder=folder)
            names.add(name.casefold())
            folders.add(folder.casefold())
            urls[identity_url(link.url)] = feed
            added.append(feed)
        if added:
            _write(path, [*current.feeds, *added], current.kept)
    return added, refused, current.warnings


def remove_feed(name_or_url: str, path: Path | None = None) -> tuple[Feed, list[str]]:
    """Remove a feed (by name, in any case, or by URL) from the list; its articles stay where they are.

    Raises FeedError when there is no such feed or the list cannot be saved.
    """
    path = path or feeds_path()
    with locked(path):
        current = load_feeds(path)
        feed = current.find(name_or_url)
        if feed is None:
            raise FeedError(_no_such_feed(name_or_url, current.feeds))
        _write(path, [f for f in current.feeds if f != feed], current.kept)
    return feed, current.warnings


def _no_such_feed(name: str, feeds: list[Feed], shown: int = 10) -> str:
    message = f"no feed '{escape_name(name)}'"
    if not feeds:
        return message + " (no feeds are followed yet: reader feeds add URL)"
    names = ", ".join(escape_name(f.name) for f in feeds[:shown])
    more = f", … ({len(feeds):,} in all)" if len(feeds) > shown else ""
    return f"{message}. Feeds: {names}{more}"


def select_feeds(feed_list: FeedList, names: Iterable[str]) -> tuple[list[Feed], list[str]]:
    """The feeds named (each once, in the list's order) and one line per name that is no feed."""
    chosen: set[Feed] = set()
    problems = []
    for name in names:
        feed = feed_list.find(name)
        if feed is None:
            problems.append(_no_such_feed(name, feed_list.feeds))
        else:
            chosen.add(feed)
    return [feed for feed in feed_list.feeds if feed in chosen], problems


class _Damaged(Exception):
    pass


class _Unreadable(Exception):
    pass


def _read(path: Path) -> FeedList:
    shown = escape_name(str(path))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)  # a FIFO cannot hang it
    try:
        with open(os.open(path, flags), "rb") as file:
            if not _is_regular(file.fileno()):
                raise _Unreadable(f"{shown}: not a regular file; no feeds are followed")
            source = file.read(MAX_FEEDS_FILE_BYTES + 1)
    except FileNotFoundError:
        return FeedList([], [], [])
    except OSError as error:
        reason = escape_line(error.strerror or str(error))
        raise _Unreadable(f"{shown}: cannot be read ({reason}); no feeds are followed") from None
    if len(source) > MAX_FEEDS_FILE_BYTES:
        raise _Damaged("far too large")
    try:
        data = json.loads(source.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _Damaged("not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("version"), int) or "feeds" not in data:
        raise _Damaged("not a feed list")
    records = data["feeds"]
    if not isinstance(records, list):
        raise _Damaged("its feeds are not a list")
    feeds: list[Feed] = []
    kept: list[Any] = []
    warnings: list[str] = []
    names: set[str] = set()
    folders: set[str] = set()
    urls: set[str] = set()
    for number, record in enumerate(records, 1):
        feed, problem = _feed_from(record)
        if feed is not None:
            if feed.name.casefold() in names:
                problem = f"the name '{escape_name(feed.name)}' is taken by an earlier feed"
            elif feed.folder.casefold() in folders:
                problem = f"the folder '{escape_name(feed.folder)}' is taken by an earlier feed"
            elif identity_url(feed.url) in urls:
                problem = f"{escape_name(feed.url)} is an earlier feed's URL"
        if problem is not None or feed is None:
            warnings.append(f"{shown}: feed {number:,} skipped ({problem}); it stays in the file")
            kept.append(record)
            continue
        names.add(feed.name.casefold())
        folders.add(feed.folder.casefold())
        urls.add(identity_url(feed.url))
        feeds.append(feed)
    return FeedList(feeds, kept, warnings)


def _feed_from(record: object) -> tuple[Feed | None, str | None]:
    if not isinstance(record, dict):
        return None, "not a record"
    name, url, folder = record.get("name"), record.get("url"), record.get("folder")
    if not isinstance(name, str) or not name or clean_feed_name(name) != name:
        return None, "its name is missing or not one line of printable text"
    link = _parse_link(url)
    if link is None or link.url != url:
        return None, "its url is not an http(s) URL in normal form"
    if not isinstance(folder, str) or safe_folder_name(folder) != folder:
        return None, "its folder is not a safe folder name"
    return Feed(name=name, url=url, folder=folder), None


def _is_regular(descriptor: int) -> bool:
    return stat.S_ISREG(os.fstat(descriptor).st_mode)


def _write(path: Path, feeds: list[Feed], kept: list[Any]) -> None:
    records: list[Any] = [{"name": f.name, "url": f.url, "folder": f.folder} for f in feeds]
    data = {"version": FEEDS_FORMAT, "feeds": records + kept}
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        write_atomically(path, text.encode("utf-8"))
    except OSError as error:
        problem = escape_line(error.strerror or str(error))
        raise FeedError(f"the feed list cannot be saved in {escape_name(str(path))} ({problem})") from None


# --- files ---------------------------------------------------------------------------------


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path``'s lock file (``name.lock`` beside it) while inside.

    Another process waits at the same place, then reads what this one wrote.
    Without ``fcntl`` (Windows) it does not lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    lock_path = path.with_name(path.stem + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as error:
        problem = escape_line(error.strerror or str(error))
        raise FeedError(f"{escape_name(str(lock_path))}: cannot be opened ({problem})") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
