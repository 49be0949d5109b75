"""reader.text: file and folder names shown escaped, and text cut to a number of cells as Textual measures it."""

from __future__ import annotations

import os
import re
import timeit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len, split_graphemes

from reader.text import MAX_LINE_CHARS, escape_line, escape_name, fit, safe_error

# --- escape_name ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "2021/06/ai-one.md",
        "My Article (final).md",
        "café/naïve — déjà vu.md",
        "日本語/記事.md",
        "emoji 🚀 and ✓.md",
        "/home/someone/news",
        "",
    ],
)
def test_escape_name_leaves_a_plain_name_as_it_is(name):
    assert escape_name(name) is name  # the fast path: the same object, nothing built


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("back\\slash.md", "back\\\\slash.md"),
        ("\x1b]52;c;cm0gLXJmIH4K\x1b\\broken.md", "\\e]52;c;cm0gLXJmIH4K\\e\\\\broken.md"),  # OSC 52: clipboard
        ("\x1b]0;owned\x07.md", "\\e]0;owned\\x07.md"),  # OSC 0: window title
        ("\x1b[2Jclear.md", "\\e[2Jclear.md"),
        ("two\nlines.md", "two\\nlines.md"),
        ("tab\there\r.md", "tab\\there\\r.md"),
        ("del\x7f.md", "del\\x7f.md"),
        ("nul\x00.md", "nul\\x00.md"),
        ("c1 csi\x9b31m.md", "c1 csi\\u009b31m.md"),
        ("invoice\u202efdp.exe.md", "invoice\\u202efdp.exe.md"),
        ("zero\u200bwidth.md", "zero\\u200bwidth.md"),
        ("\ufeffbom.md", "\\ufeffbom.md"),
        ("word\u2060joiner.md", "word\\u2060joiner.md"),
        ("isolate\u2066x\u2069.md", "isolate\\u2066x\\u2069.md"),
        ("arabic\u061cmark.md", "arabic\\u061cmark.md"),
        ("line\u2028separator.md", "line\\u2028separator.md"),
        ("tag\U000e0041.md", "tag\\U000e0041.md"),
    ],
)
def test_escape_name_shows_every_control_and_invisible_character_escaped(name, shown):
    assert escape_name(name) == shown


def test_escape_name_shows_bytes_that_are_not_utf8_as_hex():
    name = os.fsdecode(b"caf\xe9/\xff\xfe.md")  # Latin-1 names: lone surrogates from surrogateescape
    assert escape_name(name) == "caf\\xe9/\\xff\\xfe.md"
    escape_name(name).encode("utf-8")  # printable anywhere: no lone surrogate is left


def test_a_c1_control_and_the_same_raw_byte_look_different():
    c1 = os.fsdecode("\x9b".encode())  # U+009B, written in UTF-8
    raw = os.fsdecode(b"\x9b")  # the byte 0x9B alone: not UTF-8
    assert escape_name(c1) != escape_name(raw)


def test_escaped_names_reach_the_terminal_without_a_control_code():
    hostile = "\x1b]52;c;cm0gLXJmIH4K\x1b\\\x1b[2J\x07\x9b\x85\u202e\u2066\u200f\n" + os.fsdecode(b"\x1b\xc3")
    shown = escape_name(hostile)
    assert shown.isprintable()
    assert not re.search("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]", shown)


_ESCAPE = re.compile(r"\\(?:(\\)|e|n|t|r|x([0-9a-f]{2})|u([0-9a-f]{4})|U([0-9a-f]{8}))")


def _unescape(shown: str) -> str:
    """The inverse of escape_name: if it exists, two names can never be shown alike."""

    def one(match: re.Match[str]) -> str:
        backslash, byte, short, long = match.groups()
        if backslash:
            return "\\"
        if byte:
            code = int(byte, 16)
            return chr(code) if code < 0x80 else chr(0xDC00 + code)  # a raw byte, as os.fsdecode has it
        if short or long:
            return chr(int(short or long, 16))
        return {"e": "\x1b", "n": "\n", "t": "\t", "r": "\r"}[match.group(0)[1]]

    rest = _ESCAPE.sub("", shown)
    assert "\\" not in rest, f"a backslash that starts no escape in {shown!r}"
    return _ESCAPE.sub(one, shown)


_NAME_CHARS = st.sampled_from(
    [
        *"ab.\\/ -_exnu0",
        *("\x1b", "\n", "\t", "\r", "\x00", "\x7f", "\x85", "\x9b", "\u202e", "\u200b", "\u200d", "\ufeff"),
        *("é", "日", "🚀", "\udce9", "\udc9b", "\udcff", "\U000e0041", "\xa0"),
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_NAME_CHARS, max_size=12))
def test_escape_name_can_be_read_back_so_two_names_never_look_the_same(name):
    shown = escape_name(name)
    assert shown.isprintable()
    assert _unescape(shown) == name


def test_a_plain_name_costs_next_to_nothing():
    name = "2021/06/000_3a2cf1b7735a9b42-some-long-article-name.md"
    seconds = min(timeit.repeat(lambda: escape_name(name), number=10_000, repeat=3)) / 10_000
    assert seconds < 2e-6  # a few hundred nanoseconds here; a slow path would be ~10 µs


# --- escape_line and safe_error ---------------------------------------------------------------


def test_escape_line_makes_a_message_one_printable_line():
    assert escape_line("plain message") == "plain message"
    assert escape_line("two\nlines\r\n  and\tmore") == "two lines and more"
    assert escape_line("C:\\path \x1b]0;x\x07 \u202e" + os.fsdecode(b"\xe9")) == "C:\\path \\e]0;x\\x07 \\u202e\\xe9"


def test_safe_error_names_an_exception_safely():
    assert safe_error(OSError(28, "No space left on device")) == "[Errno 28] No space left on device"
    assert safe_error(ValueError()) == "ValueError"
    hostile = RuntimeError("database disk image is malformed\n\x1b[2J" + "x" * 1000)
    shown = safe_error(hostile)
    assert shown.isprintable() and shown.startswith("database disk image is malformed \\e[2J")
    assert len(shown) == MAX_LINE_CHARS


# --- fit ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("\u200d👨 family", 8),  # a joiner with nothing before it
        ("👩\u200d", 6),  # a joiner with nothing after it would join the padding
        ("👩\u200d💻 coder\u200d", 12),
        ("\ufe0f\u200d🌈 flag", 10),
    ],
)
def test_fit_cuts_to_exactly_the_cells_textual_measures(text, width):
    shown = fit(text, width)
    assert cell_len(shown) == width  # what Textual's Strip measures (rich.cells.cell_len)
    assert split_graphemes(shown)[1] == width  # and what it cuts by


def test_fit_keeps_emoji_sequences_whole():
    assert fit("👩\u200d💻 coder", 8) == "👩\u200d💻 coder"
    assert fit("👨\u200d👩\u200d👧 family trip", 8) == "👨\u200d👩\u200d👧 fami…"
    assert fit("❤\ufe0f love", 4) == "❤\ufe0f …"


def test_fit_ascii_pads_and_cuts():
    assert fit("abc", 5) == "abc  "
    assert fit("abcdef", 4) == "abc…"
    assert fit("abc", 0) == ""
    assert fit("日本語", 5) == "日本…"
    assert fit("日本語", 4) == "日 …"


_FIT_CHARS = st.sampled_from(
    ["a", " ", "日", "\u200d", "\ufe0f", "👨", "👩", "❤", "🏳", "🌈", "\U0001f3fd", "\u0301", "…", "#", "\u20e3"]
)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=_FIT_CHARS, max_size=10), st.integers(min_value=0, max_value=12))
def test_fit_is_always_exactly_as_wide_as_asked(text, width):
    shown = fit(text, width)
    assert cell_len(shown) == width
    assert split_graphemes(shown)[1] == width
