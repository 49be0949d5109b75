"""Feed entries as article files in the seed's format, written so that nothing already there is damaged.

One entry is one file, ``<feed folder>/<key>.md``, where the key is a hash of
the entry's id (else its link, else its title and summary): the same entry
fetched again lands on the same file, which is rewritten only when what it
says changed, and never duplicated. Names are 20 hex digits and ``.md``:
no traversal, no control characters, no leading dot, whatever the feed says.

The front matter is built as data and written by PyYAML's safe dumper, never
by joining strings, and every value is one line of clean text first, so a
title such as ``---``, ``"``, ``key: value`` or a control code is only ever a
title. The fields: ``title``, ``excerpt`` (the summary as plain text),
``publishedDateTime`` (UTC; an entry without a date keeps the time it was
first fetched), ``webUrl`` (http(s) only, normalised), ``provider`` (the
feed's title and its site's host), ``topics`` (the entry's categories),
``authors``; the body is the content as Markdown (``html_markdown``).

Each file is written atomically (a hidden temporary file in the same folder,
then a rename), so a crash, a full disk or a reader scanning the folder
never sees half a file.
"""

from __future__ import annotations

import hashlib
import html
import os
import stat
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from .feeds import ARTICLE_SUFFIX, sync_directory, write_atomically
from .html_markdown import escape_markdown, html_to_markdown, html_to_text
from .links import parse_link
from .text import MAX_BODY_CHARS, MAX_LINE_CHARS, clean_line, strip_controls

MAX_ENTRIES = 1_000  # taken from one fetch of one feed; the newest come first in nearly every feed
MAX_EXCERPT_CHARS = 400
MAX_TOPICS = 20
MAX_AUTHORS = 10
KEY_DIGITS = 20
# Temporary files left by a process that was killed are removed after this long.
STALE_TEMPORARY_SECONDS = 3_600

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Source:
    """What every article of one feed shares."""

    provider_name: str
    provider_domain: str


@dataclass
class Written:
    """What writing a feed's entries did."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # entries over MAX_ENTRIES, or repeating an earlier entry's key


def source_of(parsed: Any, fallback_name: str, fetched_from: str) -> Source:
    """The provider of a parsed feed: its title (else ``fallback_name``) and its site's host
    (else the host it was fetched from), without ``www.``."""
    channel = parsed.get("feed", {}) or {}
    name = _text_of(channel.get("title"), channel.get("title_detail")) or clean_line(fallback_name)
    site = parse_link(channel.get("link")) or parse_link(fetched_from)
    domain = site.host.removeprefix("www.") if site is not None else ""
    return Source(provider_name=name, provider_domain=domain)


def entry_key(entry: Any) -> str:
    """The entry's file name: a hash of its id, else its link, else its title and summary."""
    identity = _string(entry.get("id")) or _string(entry.get("link"))
    if not identity:
        identity = "title:" + _string(entry.get("title")) + "\nsummary:" + _string(entry.get("summary"))
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:KEY_DIGITS] + ARTICLE_SUFFIX


def article_fields(entry: Any, source: Source, first_fetched: datetime) -> tuple[dict[str, Any], str]:
    """The front matter (as data) and the Markdown body of one entry."""
    fields: dict[str, Any] = {}
    title = _text_of(entry.get("title"), entry.get("title_detail"))
    if title:
        fields["title"] = title
    summary = entry.get("summary")
    summary_detail = entry.get("summary_detail")
    excerpt = _cut_words(_text_of(summary, summary_detail, limit=MAX_EXCERPT_CHARS * 10), MAX_EXCERPT_CHARS)
    if excerpt:
        fields["excerpt"] = excerpt
    published = _date(entry.get("published_parsed")) or _date(entry.get("updated_parsed")) or first_fetched
    fields["publishedDateTime"] = published.strftime("%Y-%m-%dT%H:%M:%SZ")
    link = parse_link(entry.get("link"))
    if link is not None:
        fields["webUrl"] = link.url
    provider = {"name": source.provider_name, "domain": source.provider_domain}
    fields["provider"] = {key: value for key, value in provider.items() if value}
    if not fields["provider"]:
        del fields["provider"]
    topics = _unique_lines((_category(tag) for tag in _records(entry.get("tags"))), MAX_TOPICS)
    if topics:
        fields["topics"] = topics
    authors = _unique_lines((author.get("name") for author in _records(entry.get("authors"))), MAX_AUTHORS)
    if not authors and entry.get("author"):
        authors = _unique_lines([entry.get("author")], 1)
    if authors:
        fields["authors"] = authors
    return fields, _body(entry, excerpt)


def render(fields: dict[str, Any], body: str) -> bytes:
    """The article file: YAML front matter between ``---`` lines, then the body."""
    # yaml.safe_dump's own dumper, in libyaml's C version where there is one (ten times faster).
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    front = yaml.dump(
        fields, Dumper=dumper, allow_unicode=True, sort_keys=False, width=1_000_000, default_flow_style=False
    )
    text = f"---\n{front}---\n" + (f"\n{body}\n" if body else "")
    return text.encode("utf-8")


def write_entries(
    folder: Path, entries: list[Any], source: Source, *, max_entries: int = MAX_ENTRIES, now: datetime | None = None
) -> Written:
    """Write each entry as an article file in ``folder``: new, rewritten if changed, else left alone.

    Raises OSError when a file cannot be written (those written before stay, whole).
    """
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(folder)
    now = now or datetime.now(UTC)
    written = Written()
    keys: set[str] = set()
    for index, entry in enumerate(entries):
        if index >= max_entries:
            written.skipped += len(entries) - index
            break
        name = entry_key(entry)
        if name in keys:  # the same entry twice in one feed: the first (newest) wins
            written.skipped += 1
            continue
        keys.add(name)
        path = folder / name
        existing = _existing(path)
        first_fetched = now
        if existing is not None and not (_date(entry.get("published_parsed")) or _date(entry.get("updated_parsed"))):
            first_fetched = _date_in(existing) or now
        fields, body = article_fields(entry, source, first_fetched.replace(microsecond=0))
        document = render(fields, body)
        if existing == document:
            written.unchanged += 1
            continue
        write_atomically(path, document, sync_folder=False)
        if existing is None:
            written.new += 1
        else:
            written.updated += 1
    if written.new or written.updated:
        sync_directory(folder)
    return written


# --- the pieces ------------------------------------------------------------------------------


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _records(value: object) -> list[dict]:
    return [item for item in value if isinstance(item, dict)][:100] if isinstance(value, list) else []


def _is_html(detail: object) -> bool:
    kind = detail.get("type", "") if isinstance(detail, dict) else ""
    return str(kind).lower() in _HTML_TYPES


def _text_of(value: object, detail: object, limit: int = MAX_LINE_CHARS) -> str:
    """A title or summary as one line of plain text (its HTML read as HTML)."""
    text = _string(value)
    if not text:
        return ""
    if _is_html(detail) or (detail is None and "<" in text):
        text = html_to_text(text[: limit * 20], limit=limit * 2)
    return clean_line(text, limit)


def _cut_words(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def _unique_lines(values: Any, limit: int) -> list[str]:
    found: dict[str, str] = {}
    for value in values:
        line = clean_line(value, 100)
        if line and line.casefold() not in found:
            found[line.casefold()] = line
            if len(found) >= limit:
                break
    return list(found.values())


def _category(tag: dict) -> str:
    """A category's name. feedparser leaves entities in it when it reads a malformed feed
    (``Q&amp;A``); no category is meant to show one, so they are decoded."""
    name = _string(tag.get("label")) or _string(tag.get("term"))
    return html.unescape(name) if "&" in name else name


def _date(value: object) -> datetime | None:
    """A date feedparser parsed (a UTC struct_time), if it is one and is plausible."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        moment = datetime(*value[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    return moment if _EARLIEST <= moment < _LATEST else None


def _body(entry: Any, excerpt: str) -> str:
    """The entry's content as Markdown: its full content, else its summary when that says more than the excerpt."""
    contents = _records(entry.get("content"))
    # Prefer HTML (the richest) when a feed gives the content in several types.
    contents.sort(key=lambda content: not _is_html(content))
    for content in contents:
        value = _string(content.get("value"))
        if value.strip():
            return _as_markdown(value, content)
    summary = _string(entry.get("summary"))
    if not summary.strip():
        return ""
    markdown = _as_markdown(summary, entry.get("summary_detail"))
    plain = clean_line(html_to_text(summary) if _is_html(entry.get("summary_detail")) else summary, MAX_BODY_CHARS)
    return "" if plain == excerpt else markdown


def _as_markdown(value: str, detail: object) -> str:
    if _is_html(detail) or (not isinstance(detail, dict) and "<" in value):
        return html_to_markdown(value)
    text = strip_controls(value.replace("\r\n", "\n").replace("\r", "\n"))[:MAX_BODY_CHARS]
    paragraphs = [" ".join(part.split()) for part in text.split("\n\n")]
    return "\n\n".join(escape_markdown(part) for part in paragraphs if part)


def _existing(path: Path) -> bytes | None:
    """The bytes of the file already at ``path`` if it is a regular file (never following a link), else None."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > 4 * MAX_BODY_CHARS + 1_000_000:
            return None
        with open(descriptor, "rb", closefd=False) as file:
            return file.read()
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _date_in(document: bytes) -> datetime | None:
    """The ``publishedDateTime`` an article file we wrote gives (for an entry without a date of its own)."""
    for line in document.split(b"\n", 20)[:20]:
        if line.startswith(b"publishedDateTime: "):
            value = line.split(b": ", 1)[1].strip().strip(b"'\"").decode("ascii", "replace")
            try:
                moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            except ValueError:
                return None
            return moment if _EARLIEST <= moment < _LATEST else None
    return None


def _remove_stale_temporaries(folder: Path) -> None:
    """Temporary files a killed fetch left behind (hidden, ``.tmp``): removed once they are old."""
    limit = time.time() - STALE_TEMPORARY_SECONDS
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                    try:
                        if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < limit:
                            os.unlink(entry.path)
                    except OSError:
                        pass
    except OSError:
        pass
