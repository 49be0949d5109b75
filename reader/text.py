"""Neutralising untrusted text and deciding which URLs may be opened.

Everything an article file says is untrusted. Text is repaired and cleaned
once, at load time, so that nothing downstream (the list, the detail pane, the
CLI) has to think about mojibake, terminal escape sequences or bidi tricks.
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import urlsplit, urlunsplit

from rich.cells import cell_len, set_cell_size

# ftfy is the cost of repairing text (~160 µs an article). Mojibake is always
# made of a few tell-tale characters, so a ~3 µs search decides whether ftfy
# needs to run at all (measured on the development machine: same output, a
# third of the time).
_MOJIBAKE_HINT = re.compile("[ÂÃÅÎÏÐÑâï\x80-\x9f\ufffd\ue080-\ue09f]")

# loading.py parks raw C1 controls (which YAML refuses) in this private-use
# range; they are often half of a mojibake pair, so ftfy must see them again.
_PARKED_C1 = re.compile("[\ue080-\ue09f]")
_UNPARK_C1 = {0xE000 + c: c for c in range(0x80, 0xA0)}


@cache
def _fix_text():
    """ftfy, imported on first use: it costs ~60 ms of start-up, and a warm
    start (everything from the cache) never repairs any text."""
    import ftfy

    # ftfy's defaults would straighten the publisher's curly quotes; we keep them.
    config = ftfy.TextFixerConfig(uncurl_quotes=False, explain=False)
    return lambda text: ftfy.fix_text(text, config)


# A terminal escape sequence (CSI, OSC, DCS and friends, in their 7-bit
# forms) is removed whole, so that no stray "[31m" is left behind; but never
# past a line end, so an unterminated OSC in a file cannot swallow the rest of
# it (loading.py removes them from raw files before parsing, too).
ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST
    r"|[PX^_][^\x1b\n]*(?:\x1b\\)?"  # DCS, SOS, PM, APC ... ST
    # Any other escape: intermediates, then a final byte from "0" to "~" (ESC 7,
    # ESC c and ESC ( B are as common as ESC M; only removing them whole
    # leaves no stray "(B" behind).
    r"|[ -/]*[0-~])"
)

# Every C0 control but tab and newline, DEL, every C1 control, and the
# Unicode bidi controls that can make text display other than it reads
# (the "Trojan Source" characters), and the invisible characters that only
# serve to hide things: zero-width space, word joiner and its kin, BOM. The
# zero-width (non-)joiners stay: Persian and emoji sequences need them.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_SPACES = re.compile(r"\s+")
# A URL already in the normal form links.parse_link gives, which safe_url can
# return without parsing it (nearly every URL in the wild): lowercase http(s);
# a lowercase host of letters, digits, dots and hyphens whose last label starts
# with a letter (so no IPv4 address in any spelling); no port or credentials; a
# path; and only ASCII that no part of a URL percent-encodes (none of
# " ' < > \ ^ ` { }). Groups: host, path, query.
_NORMAL_WEB_URL = re.compile(
    r"https?://((?:[a-z0-9][a-z0-9.\-]*\.)?[a-z][a-z0-9\-]*)"
    r"(/[!$-&(-;=@-\[\]_a-z|~]*)(\?[!$-&(-;=?-\[\]_a-z|~]*)?(?:#[!#-&(-;=?-\[\]_a-z|~]*)?"
)
# ... unless it has what only the full parse can settle: a "." or ".." path
# segment (also spelled %2e) to resolve, or a punycode label to validate.
_NEEDS_PARSING = re.compile(r"/\.|%2[eE]|xn--")

# Bounds per field, so that a hostile file cannot make one article cost
# seconds to repair or megabytes to keep.
MAX_LINE_CHARS = 500
MAX_EXCERPT_CHARS = 4_000
MAX_BODY_CHARS = 200_000
MAX_URL_CHARS = 2_048


def fit(text: str, width: int) -> str:
    """Exactly ``width`` terminal cells: padded, or cut with an ellipsis (wide characters count twice).

    Cells are counted as Textual counts them when it draws (``rich.cells``), with
    emoji sequences (ZWJ, VS16) as one glyph, and never cut inside one.
    """
    if width <= 0:
        return ""
    if text.isascii() and text.isprintable():  # most titles: one cell a character
        return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"
    if "\u200d" in text or "\ufe0f" in text:
        text = _settle_joiners(text)
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def _settle_joiners(text: str) -> str:
    """The text without joiners that join nothing, which are invisible anyway.

    rich (so Textual) lets a ZWJ or VS16 with no character before it swallow the
    width of the next character, and a ZWJ at the end join the padding or the
    ellipsis that ``fit`` appends: the row would then be drawn at another width
    than the one counted.
    """
    return text.lstrip("\u200d\ufe0f").rstrip("\u200d")


_NAMED_ESCAPES = {"\\": "\\\\", "\x1b": "\\e", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def escape_name(name: str) -> str:
    """A file or folder name as it may be shown: every control and invisible character escaped.

    As ``ls -b`` shows names: ``\\\\`` for a backslash; ``\\e``, ``\\n``, ``\\t``,
    ``\\r`` and ``\\xNN`` for C0 controls and DEL; ``\\xNN`` for a byte that is not
    UTF-8 (the lone surrogate ``os.fsdecode`` made of it, U+DC80..U+DCFF);
    ``\\u009b`` for a C1 control (so that it never looks like the raw byte 0x9B);
    ``\\u202e`` or ``\\U000e0041`` for every other character that is not printable
    (bidi controls, zero-width and other format characters, separators other
    than the space, private use). Every escape starts with a backslash and a
    backslash is always escaped, so two different names never look the same.
    """
    if name.isprintable() and "\\" not in name:  # nearly every name: nothing to build
        return name
    return "".join(char if char.isprintable() and char != "\\" else _escape_char(char) for char in name)


def escape_line(text: str) -> str:
    """A message from outside (an OSError, a parser's complaint, a list of names) as one printable line.

    Runs of white space (newlines too) become one space and every other
    character that is not printable is escaped as ``escape_name`` escapes it;
    backslashes stay as they are (a message is read, not told apart from others).
    """
    if not text.isprintable():
        text = " ".join(text.split())
        text = "".join(char if char.isprintable() else _escape_char(char) for char in text)
    return text


def safe_error(error: BaseException) -> str:
    """An exception as one printable line: its message (its type when it has none), escaped and bounded.

    For errors from outside (SQLite, the OS, a parser), whose messages may quote
    a path or a file's bytes.
    """
    return escape_line(str(error) or type(error).__name__)[:MAX_LINE_CHARS]


def _escape_char(char: str) -> str:
    named = _NAMED_ESCAPES.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def counted(number: int, noun: str) -> str:
    """``1 duplicate``, ``2 duplicates``, ``1,204 articles``."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def repair(text: str) -> str:
    """Fix mojibake (``EUâ€™s`` → ``EU’s``) without touching correct text."""
    if _MOJIBAKE_HINT.search(text):
        if _PARKED_C1.search(text):
            text = text.translate(_UNPARK_C1)
        text = _fix_text()(text)
    return text


def strip_controls(text: str) -> str:
    """Remove escape sequences and control characters, keeping tab and newline."""
    if "\x1b" in text:
        text = ESCAPE_SEQUENCE.sub("", text)
    return _CONTROL.sub("", text)


def clean_text(value: object, limit: int = MAX_EXCERPT_CHARS) -> str:
    """Any value from YAML as safe multi-line text ('' when it is not text)."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        return ""
    if value.isascii() and value.isprintable():  # most fields: nothing to repair or strip
        return value.strip()[:limit]
    text = value[: limit * 2]  # repair works on a bounded slice; trimmed below
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = strip_controls(repair(text))
    return text.strip()[:limit]


def clean_line(value: object, limit: int = MAX_LINE_CHARS) -> str:
    """Any value from YAML as one line of safe text: newlines and runs of space folded."""
    if value.__class__ is str and value.isascii() and value.isprintable() and "  " not in value:
        return value.strip()[:limit]  # the common case: nothing to repair, strip or fold
    return _SPACES.sub(" ", clean_text(value, limit * 2)).strip()[:limit]


def safe_url(value: object) -> str | None:
    """The URL in its normal form if it is an http(s) link that may be opened, else None.

    The loader's gate for every URL field, with the same verdict as
    ``links.parse_link`` (whose normalised ``url`` this is): nothing else
    (``javascript:``, ``file:``, ``data:``, a bare path) is ever handed to a
    browser; nor is a URL that browsers and urllib.parse would read with
    different hosts (a backslash in the authority, credentials). Spaces,
    controls and newlines disqualify a URL rather than being silently removed:
    a URL that needed cleaning is not trusted.
    """
    if not isinstance(value, str):
        return None
    url = value.strip()
    if len(url) > MAX_URL_CHARS:
        return None
    if _NORMAL_WEB_URL.fullmatch(url) and not _NEEDS_PARSING.search(url):
        return url  # the common case, already in normal form: nothing to parse
    from .links import parse_link  # here, not at the top: links imports this module

    link = parse_link(url)
    return link.url if link is not None else None


def identity_url(url: str) -> str:
    """The form of a URL used to tell whether two articles are the same story.

    Worked out from the URL's normal form (safe_url), so that every spelling
    of one address (``bücher.de`` and ``xn--bcher-kva.de``, ``/a/../b`` and
    ``/b``) is one story. Scheme and host are case-insensitive, a default port
    and a fragment say nothing about the page, and a trailing slash is the
    same page.
    """
    plain = _NORMAL_WEB_URL.fullmatch(url)
    if plain is not None and not _NEEDS_PARSING.search(url):  # the common case, already normal
        host, path, query = plain.groups()
        # An empty query ("x?") is no query, as urlunsplit has it below.
        return f"https://{host}{path.rstrip('/') or '/'}{query if query and query != '?' else ''}"
    parts = urlsplit(safe_url(url) or url)
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https", netloc, path, parts.query, ""))
