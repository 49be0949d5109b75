"""One file -> one Article (or one reason it is not one); walking a library folder.

Nothing here writes anywhere. Every failure of one file is caught and turned
into a ``LoadError`` naming that file, so one bad file never stops the rest.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from .fields import DEFAULT_FIELDS, FieldNames
from .model import Article, ArticleSummary, LoadError, Provider, RelatedStory, name_key
from .text import (
    ESCAPE_SEQUENCE,
    MAX_BODY_CHARS,
    MAX_LINE_CHARS,
    clean_line,
    clean_text,
    identity_url,
    safe_url,
)

T = TypeVar("T")

ARTICLE_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
_SUFFIX_TUPLE = tuple(ARTICLE_SUFFIXES)  # for str.endswith: one C call per name on every warm start
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_TOPICS = 50
MAX_RELATED = 100
MAX_AUTHORS = 20

_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)

# Raw control characters make YAML refuse the whole file. C0 controls (but
# tab and newlines) and DEL carry nothing: drop them before parsing. C1
# controls are often part of mojibake (``â€\x9d`` is a closing quote read as
# cp1252), so they are parked in a private-use range that YAML accepts and
# ``text.repair`` maps back before ftfy mends the text.
_RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_RAW_CONTROL_MAP = {c: None for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}
_RAW_CONTROL_MAP.update({c: 0xE000 + c for c in range(0x80, 0xA0)})
_RAW_CONTROL_MAP.update({0xFFFE: None, 0xFFFF: None})


class NotAnArticle(Exception):
    """A file that is not meant to be an article (a README without front matter)."""


class RejectedFile(Exception):
    """A file meant to be an article that cannot be read as one."""


class FileEntry(NamedTuple):
    """One candidate file found by ``walk``: what the cache keys on.

    A named tuple, not a dataclass: a cold load makes one per file and sends
    them to the parsing processes, and a tuple is built and pickled fastest.
    """

    path: str  # relative to the library folder, with "/"; lone surrogates stand for bytes that are not UTF-8
    size: int
    mtime_ns: int
    # An edit that keeps size and mtime (``touch -r``), a chmod, or a file
    # replaced by another still changes one of these.
    ctime_ns: int
    inode: int

    @property
    def stamp(self) -> tuple[int, int, int, int]:
        """What says the file changed: size, modification time, change time and inode."""
        return self[1:]  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that is not an article; reported, not counted as an error."""

    path: str
    reason: str


def walk(root: Path, under: str = "") -> Iterator[FileEntry | LoadError | Skipped]:
    """Every file under ``root`` that could be an article, in a stable order.

    Hidden folders are skipped and symlinked folders are not followed, so a
    symlink loop cannot trap the walk. Files with other endings are reported
    as skipped; unreadable entries as errors. ``under`` walks one folder of
    the library only (a relative path, with "/").
    """
    stack = [under.strip("/")]
    while stack:
        relative_dir = stack.pop()
        # os.path.join, not Path: the walk is on the path of every warm start.
        directory = os.path.join(root, relative_dir) if relative_dir else root
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=_entry_name)
        except OSError as error:
            yield LoadError(relative_dir or ".", f"cannot list folder: {error.strerror or error}")
            continue
        subdirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            relative = f"{relative_dir}/{entry.name}" if relative_dir else entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(relative)
                    continue
            except OSError:
                pass
            yield _file_entry(relative, entry.name, entry.stat)
        stack.extend(reversed(subdirs))


_entry_name = attrgetter("name")


def walk_against(
    root: Path, index: dict[str, int], stamps: Sequence[Sequence[int]], seen: bytearray
) -> Iterator[FileEntry | LoadError | Skipped]:
    """``walk``, less the files that are as a snapshot has them: the check of a warm start.

    ``index`` gives each known file's position in ``stamps`` (its size, mtime,
    ctime and inode columns); ``seen[position]`` is set for each one found,
    changed or not. Everything else ``walk`` would give is given. The same walk,
    in one loop: at 100,000 files every call per file shows.
    """
    sizes, mtimes, ctimes, inodes = stamps
    is_regular, find = stat.S_ISREG, index.get
    stack = [""]
    while stack:
        relative_dir = stack.pop()
        directory = os.path.join(root, relative_dir) if relative_dir else root
        try:
            with os.scandir(directory) as scan:
                entries = list(scan)  # in the folder's order: only what changed is given, and the loader sorts
        except OSError as error:
            yield LoadError(relative_dir or ".", f"cannot list folder: {error.strerror or error}")
            continue
        prefix = f"{relative_dir}/" if relative_dir else ""
        subdirs = []
        for entry in entries:
            name = entry.name
            if name[0] == ".":
                continue
            relative = prefix + name
            try:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(relative)
                    continue
            except OSError:
                pass
            position = find(relative)
            if position is None or not name.lower().endswith(_SUFFIX_TUPLE):
                yield _file_entry(relative, name, entry.stat)
                continue
            try:
                info = entry.stat()
            except OSError as error:
                yield LoadError(relative, _os_reason(error))
                continue
            seen[position] = 1
            if (
                info.st_mtime_ns != mtimes[position]
                or info.st_size != sizes[position]
                or info.st_ctime_ns != ctimes[position]
                or info.st_ino != inodes[position]
                or not is_regular(info.st_mode)
            ):
                yield _file_entry(relative, name, lambda info=info: info)
        stack.extend(reversed(subdirs))


def look_at(root: Path, relative: str) -> FileEntry | LoadError | Skipped:
    """What ``walk`` says of one file (relative to ``root``), without walking its folder."""
    path = os.path.join(root, relative)
    return _file_entry(relative, relative.rsplit("/", 1)[-1], lambda: os.stat(path))


def _file_entry(relative: str, name: str, stat_of: Callable[[], os.stat_result]) -> FileEntry | LoadError | Skipped:
    # (the walk never gives a hidden name, where this and os.path.splitext would differ)
    if not name.lower().endswith(_SUFFIX_TUPLE):
        return Skipped(relative, "not an article file")
    try:
        info = stat_of()  # follows a symlinked file to its target
    except OSError as error:
        return LoadError(relative, _os_reason(error))
    if not stat.S_ISREG(info.st_mode):
        return LoadError(relative, "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file")
    return FileEntry(relative, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def load_file(root: Path, relative: str, names: FieldNames = DEFAULT_FIELDS) -> Article | LoadError | Skipped:
    """Read one file as a full Article. Never raises for anything the file contains.

    ``names``: which front-matter keys each field is read from (the config's ``[fields]``).
    """
    return _load(root, relative, article_from_fields, names)


def load_summary(root: Path, relative: str, names: FieldNames = DEFAULT_FIELDS) -> ArticleSummary | LoadError | Skipped:
    """Read one file for the list only: the whole front matter is parsed (so a
    broken file is found), but excerpt, body and related stories are not
    normalised. That is a third of the work of a cold load, and the detail
    pane reads the full article when it shows it."""
    return _load(root, relative, _summary, names)


def _load(
    root: Path, relative: str, build: Callable[[dict, str, str, FieldNames], T], names: FieldNames
) -> T | LoadError | Skipped:
    try:
        # os.path.join, not Path: this runs once a file in a cold load, and pathlib costs ~8 µs.
        fields, body = parse_fields(read_text(os.path.join(root, relative)))
        return build(fields, body, relative, names)
    except NotAnArticle as reason:
        return Skipped(relative, str(reason))
    except RejectedFile as reason:
        return LoadError(relative, str(reason))
    except OSError as error:
        return LoadError(relative, _os_reason(error))
    except RecursionError:
        return LoadError(relative, "front matter is nested too deeply")
    except Exception as error:
        return LoadError(relative, f"unreadable: {type(error).__name__}: {_first_line(error)}")


def read_text(path: str | Path) -> str:
    """The file's text, whatever its encoding, or RejectedFile."""
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RejectedFile("not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise RejectedFile(f"too large ({info.st_size / 1e6:.1f} MB, limit {MAX_FILE_BYTES // 2**20} MB)")
        data = os.read(fd, MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if not data.strip():
        raise RejectedFile("empty file")
    return decode(data)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else cp1252; binary is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise RejectedFile("not valid UTF-16 text") from None
    if b"\x00" in data[:8192]:
        raise RejectedFile("binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Older exports are often Windows-1252; latin-1 maps every byte, so an
    # odd byte becomes an odd character rather than a lost article.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse_fields(text: str) -> tuple[dict[Any, Any], str]:
    """A file's front matter as a mapping, and its body; or NotAnArticle/RejectedFile."""
    # Imported here: the parsers cost start-up time that a warm start,
    # which parses nothing, should not pay.
    from . import frontmatter

    # Tested before replaced: two replace() passes over a 3 KB file cost ~3 µs
    # even with nothing to replace, one "in" costs 0.1 µs.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text.lstrip("\ufeff")
    if _RAW_CONTROL.search(text):
        if "\x1b" in text:
            # Whole sequences first: dropping ESC alone would leave "[31m" behind.
            text = ESCAPE_SEQUENCE.sub("", text)
        text = text.translate(_RAW_CONTROL_MAP)
    try:
        # YAML, TOML or JSON; each bounded in time and memory (see frontmatter.py).
        found = frontmatter.read(text)
    except frontmatter.FrontMatterError as error:
        raise RejectedFile(_first_line(error)) from None
    if found is None:
        raise NotAnArticle("no front matter")
    fields, body = found
    if fields is None:
        raise RejectedFile("front matter is empty")
    if not isinstance(fields, dict):
        raise RejectedFile(f"front matter is a {_yaml_kind(fields)}, not a mapping")
    return fields, body


def summary_from_fields(
    fields: dict[Any, Any], body: str, relative: str, names: FieldNames = DEFAULT_FIELDS
) -> ArticleSummary:
    """Normalise the fields the list, the tree and the sort orders need.

    Each field is read from the keys ``names`` gives it, the first usable one
    winning (topics: all of them, merged). Raises NotAnArticle for a file that
    is no article: a section's index page (Hugo's and Zola's ``_index.md``),
    or a front matter naming no title, date, excerpt or link over an empty
    body (a redirect stub such as ``redirect: /blog/x``).
    """
    return _summary(fields, body, relative, names)


_UNSET: Any = object()


def _summary(
    fields: dict[Any, Any], body: str, relative: str, names: FieldNames, web_url: str | None = _UNSET
) -> ArticleSummary:
    # This runs for every file of a cold load: plain loops, no call per name
    # where one can be saved (the seed format finds each field at its first name).
    get = fields.get  # _reader, inlined: a call less for every file
    for head in names.nests:
        if head in fields:
            get = partial(_get, fields)
            break
    else:
        names = names.flat
    if web_url is _UNSET:
        web_url = None
        for name in names.link:
            value = get(name)
            if value is not None and (web_url := safe_url(value)) is not None:
                break
    if "_index." in relative and relative.rpartition("/")[2].startswith("_index."):
        raise NotAnArticle("a section's index page, not an article")
    title = ""
    for name in names.title:
        value = get(name)
        if value is not None and (title := clean_line(value)):
            break
    published_at = None
    for name in names.date:
        value = get(name)
        if value is not None and (published_at := to_datetime(value)) is not None:
            break
    url = safe_url(fields.get("originalUrl")) or web_url
    if not title:
        if published_at is None and url is None and _is_stub(fields, get, body, names):
            raise NotAnArticle("not an article: no title, date, excerpt or link, and no text")
        title = clean_line(relative.rpartition("/")[2])
    if published_at is None:
        published_at = _date_in_path(relative, fields)
    published = to_bool(fields.get("published"), default=True)
    if published:
        for name in names.draft:
            value = get(name)
            if value is not None:
                published = not to_bool(value, default=False)
                break
    category = ""
    for name in names.category:
        value = get(name)
        if value is not None and (category := clean_line(value, 60)):
            break
    authors: tuple[str, ...] = ()
    for name in names.authors:
        value = get(name)
        if value is not None and (authors := to_authors(value)):
            break
    return ArticleSummary(
        id=identity_url(web_url) if web_url else relative,
        path=relative,
        title=title,
        provider=to_provider(fields.get("provider")),
        category=category or _first_category(get, names.categories),
        type=clean_line(fields.get("type"), 60),
        quality=to_score(fields.get("quality")),
        heat=to_score(fields.get("heat")),
        published=published,
        published_at=published_at,
        topics=to_topics(*[value for name in names.topics if (value := get(name)) is not None]),
        url=url,
        authors=authors,
    )


def article_from_fields(
    fields: dict[Any, Any], body: str, relative: str, names: FieldNames = DEFAULT_FIELDS
) -> Article:
    """Normalise every field of a parsed front matter to its one type.

    Without an excerpt in the front matter, one is made from the body: the
    text before ``<!--more-->``, else its first paragraph (see excerpt.py).
    """
    get, plain = _reader(fields, names)
    web_url = _first_url(get, plain.link)
    summary = _summary(fields, body, relative, names, web_url)
    body = clean_text(body, MAX_BODY_CHARS)
    excerpt = ""
    for name in plain.excerpt:
        excerpt = clean_text(get(name))
        if excerpt:
            break
    made = not excerpt and bool(body)
    if made:
        from .excerpt import excerpt_from_body  # only the detail pane and the CLI need it

        excerpt = excerpt_from_body(body)
    return Article(
        id=summary.id,
        path=relative,
        title=summary.title,
        excerpt=excerpt,
        body=body,
        category=summary.category,
        type=summary.type,
        quality=summary.quality,
        heat=summary.heat,
        published=summary.published,
        published_at=summary.published_at,
        provider=summary.provider,
        topics=summary.topics,
        web_url=web_url,
        original_url=safe_url(fields.get("originalUrl")),
        amp_url=safe_url(fields.get("ampWebUrl")),
        cdn_amp_url=safe_url(fields.get("cdnAmpWebUrl")),
        related=to_related(fields.get("related")),
        authors=summary.authors,
        secured=fields["secured"] if isinstance(fields.get("secured"), str) else "",
        excerpt_from_body=made,
    )


# --- reading a field by its names -------------------------------------------


def _reader(fields: dict[Any, Any], names: FieldNames) -> tuple[Callable[[str], Any], FieldNames]:
    """How to read this front matter's keys, and which names to try: plain dict
    lookups of the plain names, unless it holds a mapping that a dotted name
    reaches into (Zola's ``[taxonomies]``, Hugo's ``[params]``)."""
    for head in names.nests:
        if head in fields:
            return partial(_get, fields), names
    return fields.get, names.flat


def _get(fields: dict[Any, Any], name: str) -> Any:
    """The value of one key; a dotted name (``taxonomies.tags``) is also a path into mappings."""
    value = fields.get(name)
    if value is None and "." in name:
        value = fields
        for part in name.split("."):
            if value.__class__ is not dict:
                return None
            value = value.get(part)
    return value


def _first_url(get: Callable[[str], Any], names: tuple[str, ...]) -> str | None:
    """The first of these keys that holds an http(s) URL: a site-relative path is no link to open."""
    for name in names:
        value = get(name)
        if value is not None and (url := safe_url(value)) is not None:
            return url
    return None


def _first_category(get: Callable[[str], Any], names: tuple[str, ...]) -> str:
    """The first category a ``categories`` key lists: a list, or a string of names
    separated by commas (or by spaces, as Jekyll reads ``categories: news world``)."""
    for name in names:
        value = get(name)
        if isinstance(value, str):
            value = value.split(",", 1)[0] if "," in value else (value.split() or [""])[0]
        elif isinstance(value, list):
            value = next((item for item in value if clean_line(item, 60)), None)
        category = clean_line(value, 60)
        if category:
            return category
    return ""


def _is_stub(fields: dict[Any, Any], get: Callable[[str], Any], body: str, names: FieldNames) -> bool:
    """True for a front matter that names none of title, date, excerpt or link
    (whatever their values) over a body with no text: a redirect, say."""
    if body and not body.isspace():
        return False
    keys = (*names.title, *names.date, *names.excerpt, *names.link, "originalUrl")
    return not any(name in fields or ("." in name and get(name) is not None) for name in keys)


# Without a date field, a post's date is often in its address: a Jekyll
# post's name (2014-01-01-hello.md), a Hugo page bundle's folder
# (2014-01-01-hello/index.md), folders by day (2014/01/01/hello.md), or a
# path or permalink field (Zola's `path = "2014/01/01/hello"`).
_DATE_IN_PATH = re.compile(r"(?:^|/)(\d{4})[-/](\d{2})[-/](\d{2})(?=[-/_.]|$)")
_PATH_FIELDS = ("path", "permalink", "url", "slug")


def _date_in_path(relative: str, fields: dict[Any, Any]) -> datetime | None:
    for path in (relative, *(fields.get(name) for name in _PATH_FIELDS)):
        if path.__class__ is str and (match := _DATE_IN_PATH.search(path[:500])) is not None:
            try:
                return to_datetime(date(*map(int, match.groups())))
            except ValueError:  # 2021-13-45: no date
                continue
    return None


# --- one normaliser per kind of field -------------------------------------


def to_score(value: object) -> int | None:
    """quality and heat: a non-negative integer, or None (``heat: -1`` means no data)."""
    if type(value) is int:  # nearly every file: one test, not five
        return value if 0 <= value <= 1_000_000 else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        try:
            value = float(value) if value else None
        except ValueError:
            return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = round(value)
    if isinstance(value, int) and 0 <= value <= 1_000_000:
        return value
    return None


def to_bool(value: object, *, default: bool) -> bool:
    if type(value) is bool:
        return value
    if value is None:
        return default
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("true", "yes", "y", "on", "1"):
            return True
        if word in ("false", "no", "n", "off", "0"):
            return False
    return default


def to_datetime(value: object) -> datetime | None:
    """An aware UTC datetime from whatever shape a date comes in, or None."""
    try:
        moment = _as_datetime(value)
    except (ValueError, TypeError, OverflowError, OSError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is UTC:  # YAML's "...Z": nearly every file, and already UTC
        return moment if _EARLIEST <= moment < _LATEST else None
    if moment.tzinfo is None:  # the format says UTC; a missing zone means UTC
        moment = moment.replace(tzinfo=UTC)
    try:
        # Year 9999 behind UTC (or year 1 ahead of it) has no UTC form: it is
        # "no date", not a reason to lose the whole article.
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return moment if _EARLIEST <= moment < _LATEST else None


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds since the epoch
            seconds /= 1000
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        text = value.strip()[:64]
        if not text:
            return None
        if text.isdigit():
            return _as_datetime(int(text))
        try:
            return datetime.fromisoformat(text.replace(" UTC", "Z"))
        except ValueError:
            pass
        try:
            return parsedate_to_datetime(text)  # RSS style: "Wed, 23 Jun 2021 04:14:00 GMT"
        except (ValueError, TypeError, IndexError):
            pass
        # "Jul 08 2022" is how Astro's blog template writes pubDate.
        # "2024-4-09" (a Go blog post's date) is not ISO: one-digit months and days.
        for layout in (
            "%d %B %Y",
            "%d %b %Y",
            "%B %d, %Y",
            "%b %d, %Y",
            "%b %d %Y",
            "%B %d %Y",
            "%Y/%m/%d",
            "%d.%m.%Y",
            "%Y-%m-%d",
        ):
            try:
                return datetime.strptime(text, layout)
            except ValueError:
                continue
    return None


def to_topics(*values: object) -> tuple[str, ...]:
    """Unique, trimmed topic names from one or more fields (topics, tags, keywords),
    each a list or a string of names separated by commas.

    Names that differ only in case, spacing or Unicode form are one topic (the
    first spelling is kept), as the library's tree has them.
    """
    topics: dict[str, str] = {}
    for value in values:
        if isinstance(value, (list, tuple)):
            items: Any = value
        elif isinstance(value, str):
            items = value.split(",") if "," in value else (value,)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            items = (value,)
        else:
            continue
        for item in items[: MAX_TOPICS * 2]:
            if type(item) is str or (isinstance(item, (str, int, float)) and not isinstance(item, bool)):
                name = clean_line(item, 100)
                if name:
                    # A cleaned ASCII name has single spaces: its key is its lower case.
                    topics.setdefault(name.lower() if name.isascii() else name_key(name), name)
    return tuple(topics.values())[:MAX_TOPICS]


def to_authors(value: object) -> tuple[str, ...]:
    """Author names from a string, a list, or mappings with a ``name`` (Hugo's and
    Eleventy's author records); a string is one name, commas and all ("Smith, Jane")."""
    if isinstance(value, (str, int, float, dict)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return ()
    authors: dict[str, str] = {}
    for item in value[: MAX_AUTHORS * 2]:
        if isinstance(item, dict):
            item = item.get("name")
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            name = clean_line(item, 120)
            if name:
                authors.setdefault(name_key(name), name)
    return tuple(authors.values())[:MAX_AUTHORS]


def to_provider(value: object) -> Provider:
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, (dict, str))), None)
    if isinstance(value, dict):
        return Provider(name=clean_line(value.get("name"), 120), domain=clean_line(value.get("domain"), 120))
    if isinstance(value, str):
        return Provider(name=clean_line(value, 120))
    return Provider()


def to_related(value: object) -> tuple[RelatedStory, ...]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return ()
    stories = []
    for item in value[:MAX_RELATED]:
        if not isinstance(item, dict):
            continue
        url = safe_url(item.get("webUrl")) or safe_url(item.get("originalUrl"))
        title = clean_line(item.get("title"), MAX_LINE_CHARS)
        if not title and not url:
            continue
        stories.append(
            RelatedStory(
                title=title or url or "",
                excerpt=clean_text(item.get("excerpt"), 1_000),
                url=url,
                published_at=to_datetime(item.get("publishedDateTime")),
                provider=to_provider(item.get("provider")),
                quality=to_score(item.get("quality")),
                type=clean_line(item.get("type"), 60),
            )
        )
    return tuple(stories)


# --- messages ---------------------------------------------------------------


def _os_reason(error: OSError) -> str:
    if error.errno is not None and error.errno == 40:  # ELOOP
        return "symlink loop"
    if isinstance(error, FileNotFoundError):
        return "file vanished or is a broken symlink"
    if isinstance(error, PermissionError):
        return "permission denied"
    return f"cannot read: {error.strerror or error}"


def _first_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return clean_line(text, 160) or type(error).__name__


def _yaml_kind(value: object) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )
