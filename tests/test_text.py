"""reader.text: repairing mojibake, removing controls, and deciding which URLs may be opened."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.links import parse_link
from reader.text import (
    MAX_LINE_CHARS,
    MAX_URL_CHARS,
    clean_line,
    clean_text,
    identity_url,
    repair,
    safe_url,
    strip_controls,
)

# --- repair ----------------------------------------------------------------------


def test_repair_fixes_the_seed_mojibake_and_keeps_the_curly_apostrophe():
    assert repair("EUâ€™s data protection agencies") == "EU’s data protection agencies"


def test_repair_fixes_curly_double_quotes_without_straightening_them():
    assert repair("â€œquotedâ€\x9d") == "“quoted”"


@pytest.mark.parametrize(
    "text",
    [
        "EU’s data regulators",
        "“Curly quotes” and ‘single’ ones",
        "naïve café — déjà vu, Ångström, Ñandú",
        "Zürich, Kraków, İstanbul, Ελληνικά, 日本語, emoji 🚀",
        "plain ASCII text with [brackets] and $ymbols",
        "",
    ],
)
def test_repair_leaves_correct_text_untouched(text):
    assert repair(text) == text


def test_repair_is_idempotent_on_repaired_text():
    once = repair("EUâ€™s")
    assert repair(once) == once


# --- strip_controls ------------------------------------------------------------------


def test_strip_controls_removes_a_csi_colour_sequence_whole():
    assert strip_controls("\x1b[31mred\x1b[0m text") == "red text"


def test_strip_controls_removes_csi_with_parameters_and_intermediates():
    assert strip_controls("a\x1b[1;38;5;196mb\x1b[2Jc\x1b[?25ld") == "abcd"


def test_strip_controls_removes_an_osc_hyperlink_terminated_by_bel():
    text = "see \x1b]8;;https://evil.example/\x07here\x1b]8;;\x07 now"
    assert strip_controls(text) == "see here now"


def test_strip_controls_removes_an_osc_title_terminated_by_st():
    assert strip_controls("a\x1b]0;pwned title\x1b\\b") == "ab"


def test_strip_controls_removes_a_dcs_sequence():
    assert strip_controls("a\x1bPq#0;2;0;0;0\x1b\\b") == "ab"


def test_strip_controls_removes_two_character_escapes():
    # ESC c (reset), ESC 7 (save cursor), ESC M (reverse index): Fs, Fp and Fe finals.
    assert strip_controls("a\x1bcb\x1b7c\x1bMd") == "abcd"


def test_strip_controls_removes_charset_designations():
    # `tput sgr0` writes ESC ( B before ESC [ m: no "(B" may be left behind.
    assert strip_controls("bold\x1b(B\x1b[m text\x1b)0") == "bold text"


def test_strip_controls_keeps_newline_and_tab():
    assert strip_controls("line one\n\tline two\n") == "line one\n\tline two\n"


@pytest.mark.parametrize("code", [c for c in range(0x20) if c not in (0x09, 0x0A, 0x1B)])
def test_strip_controls_removes_every_other_c0_control(code):
    assert strip_controls(f"a{chr(code)}b") == "ab"


def test_strip_controls_removes_a_lone_escape():
    # ESC followed by a letter is a sequence (removed above); alone it still goes.
    assert strip_controls("a\x1b") == "a"
    assert strip_controls("a\x1b\nb") == "a\nb"


def test_strip_controls_removes_del():
    assert strip_controls("a\x7fb") == "ab"


@pytest.mark.parametrize("code", range(0x80, 0xA0))
def test_strip_controls_removes_every_c1_control(code):
    assert strip_controls(f"a{chr(code)}b") == "ab"


@pytest.mark.parametrize(
    "char",
    [
        "\u202e",
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u200e",
        "\u200f",
        "\u061c",
    ],
)
def test_strip_controls_removes_bidi_controls(char):
    # "Trojan Source": an override makes text display other than it reads.
    assert strip_controls(f"invoice{char}fdp.exe") == "invoicefdp.exe"


def test_strip_controls_leaves_ordinary_text_alone():
    text = "Ordinary text: [bold]not markup[/bold], ü, “quotes”, 日本語"
    assert strip_controls(text) == text


def test_clean_text_repairs_then_strips_and_trims():
    assert clean_text("  EUâ€™s\x1b[31m rules\x07\r\nnext  ") == "EU’s rules\nnext"


@pytest.mark.parametrize("value", [None, True, False, [1, 2], {"a": 1}])
def test_clean_text_gives_empty_text_for_non_text(value):
    assert clean_text(value) == ""


def test_clean_text_turns_numbers_into_text():
    assert clean_text(42) == "42"


# --- clean_line ------------------------------------------------------------------------


def test_clean_line_folds_newlines_and_runs_of_space():
    assert clean_line("Breaking:\nsomething\r\n  happened\tagain ") == "Breaking: something happened again"


def test_clean_line_folds_unicode_line_separators():
    assert "\u2028" not in clean_line("one\u2028two")
    assert "\n" not in clean_line("one\u2029two\x85three")


def test_clean_line_is_bounded():
    assert len(clean_line("word " * 10_000)) <= MAX_LINE_CHARS


# --- safe_url ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/",
        "https://www.itp.net/software/98431-eu-data?amp",
        "https://example.com:8443/a/b?c=d&e=f#frag",
        "https://[2001:db8::1]/x",
        "https://xn--bcher-kva.de/a",
        "https://example.com/.well-known/x",
    ],
)
def test_safe_url_keeps_http_and_https(url):
    assert safe_url(url) == url


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("http://example.com", "http://example.com/"),
        ("HTTPS://Example.COM/Path", "https://example.com/Path"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://bücher.de/a", "https://xn--bcher-kva.de/a"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a\\b", "https://example.com/a/b"),
        ("https://example.com/café?q=é#é", "https://example.com/caf%C3%A9?q=%C3%A9#%C3%A9"),
        ("http://0x7f.1/", "http://127.0.0.1/"),
        ("https://[2001:DB8:0:0::1]/x", "https://[2001:db8::1]/x"),
    ],
)
def test_safe_url_gives_the_normal_form_a_browser_would_request(url, normal):
    assert safe_url(url) == normal
    assert safe_url(normal) == normal


@pytest.mark.parametrize(
    "url",
    [
        "https://user@example.com/x",
        "https://good.example@evil.example/",
        "https://evil.example\\@good.example/",
        "https:\\\\evil.example/",
        "https:evil.example",
        "https://1.2.3.999/",
    ],
)
def test_safe_url_refuses_what_a_browser_reads_otherwise(url):
    assert safe_url(url) is None


def test_safe_url_trims_surrounding_whitespace():
    assert safe_url("  https://example.com/x  ") == "https://example.com/x"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "file:///etc/passwd",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com/file",
        "mailto:someone@example.com",
        "vbscript:msgbox",
        "//example.com/no-scheme",
        "/just/a/path",
        "example.com",
    ],
)
def test_safe_url_refuses_other_schemes_and_relative_urls(url):
    assert safe_url(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://exa mple.com/",
        "https://example.com/a b",
        "https://example.com/a\nb",
        "https://example.com/a\rb",
        "https://example.com/\tx",
        "https://example.com/\x00",
        "https://example.com/\x07",
        "https://example.com/\x1b[31m",
        "https://example.com/\x7f",
        "https://example.com/a\x85b",
        "https://example.com/\u202eexe.txt",
        "https://example.com/\u200bhidden",
    ],
)
def test_safe_url_refuses_spaces_newlines_and_controls(url):
    assert safe_url(url) is None


@pytest.mark.parametrize("url", ["http://", "https:///path", "https://:80/", "http:?q=1"])
def test_safe_url_refuses_urls_without_a_host(url):
    assert safe_url(url) is None


@pytest.mark.parametrize("url", ["https://example.com:99999/", "https://example.com:abc/", "https://example.com:-1/"])
def test_safe_url_refuses_a_bad_port(url):
    assert safe_url(url) is None


def test_safe_url_refuses_a_huge_url():
    assert safe_url("https://example.com/" + "a" * (MAX_URL_CHARS + 1)) is None


def test_safe_url_keeps_a_long_but_bounded_url():
    url = "https://example.com/" + "a" * 1_000
    assert safe_url(url) == url


@pytest.mark.parametrize("value", [None, "", "   ", 42, ["https://example.com"], {"url": "https://example.com"}])
def test_safe_url_refuses_non_strings_and_empty_text(value):
    assert safe_url(value) is None


# --- identity_url --------------------------------------------------------------------------


def test_identity_url_ignores_a_trailing_slash():
    assert identity_url("https://example.com/news/story/") == identity_url("https://example.com/news/story")


def test_identity_url_ignores_host_and_scheme_case():
    assert identity_url("HTTPS://WWW.Example.COM/a") == identity_url("https://www.example.com/a")


def test_identity_url_treats_http_and_https_as_the_same_page():
    assert identity_url("http://example.com/a") == identity_url("https://example.com/a")


def test_identity_url_drops_default_ports_and_fragment():
    assert identity_url("https://example.com:443/a#top") == identity_url("https://example.com/a")
    assert identity_url("http://example.com:80/a") == identity_url("https://example.com/a")


def test_identity_url_keeps_a_non_default_port():
    assert identity_url("https://example.com:8080/a") != identity_url("https://example.com/a")


def test_identity_url_keeps_path_case_and_query():
    assert identity_url("https://example.com/A") != identity_url("https://example.com/a")
    assert identity_url("https://example.com/a?id=1") != identity_url("https://example.com/a?id=2")


def test_identity_url_gives_a_root_path_for_a_bare_host():
    assert identity_url("https://example.com") == identity_url("https://example.com/") == "https://example.com/"


def test_identity_url_exact_form():
    assert identity_url("HTTP://WWW.Example.com:443/a/b/?q=1#frag") == "https://www.example.com/a/b?q=1"


def test_identity_url_ignores_credentials():
    assert identity_url("https://user:pw@Example.com/a/") == "https://example.com/a"


def _reference_identity(url: str) -> str:
    """identity_url as the format defines it, spelled out with urlsplit."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    netloc = host if parts.port in (None, 80, 443) else f"{host}:{parts.port}"
    return urlunsplit(("https", netloc, parts.path.rstrip("/") or "/", parts.query, ""))


_url_piece = st.text(alphabet="abcXYZ019-._~:/?#@=&%", max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "Https"]),
    host=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,15}", fullmatch=True),
    port=st.sampled_from(["", ":80", ":443", ":8080"]),
    userinfo=st.sampled_from(["", "user@", "u:p@"]),
    rest=_url_piece,
)
def test_identity_url_matches_its_definition(scheme, host, port, userinfo, rest):
    url = f"{scheme}://{userinfo}{host}{port}{'/' if rest[:1] not in ('/', '?', '#') else ''}{rest}"
    if safe_url(url) is None:
        return  # only URLs the reader keeps ever get an identity
    # The identity of a URL is that of its normal form (0x7f.1 is 127.0.0.1, /a/../b is /b).
    assert identity_url(url) == _reference_identity(safe_url(url))
    assert identity_url(url) == identity_url(safe_url(url))


def test_identity_url_ignores_an_empty_query():
    assert identity_url("https://example.com/x?") == identity_url("https://example.com/x")


def _reference_safe_url(value: str) -> str | None:
    """safe_url as its docstring defines it: parse_link's verdict and normal form (its fast path must agree)."""
    link = parse_link(value)
    return link.url if link is not None else None


def _refused_by_the_old_rules(value: str) -> bool:
    """What safe_url refused before it parsed as browsers do; it still must."""
    url = value.strip()
    if not url or len(url) > MAX_URL_CHARS:
        return True
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Co", "Zl", "Zp") for ch in url):
        return True
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return True
    return parts.scheme.lower() not in ("http", "https") or not parts.hostname


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", ""]),
    sep=st.sampled_from(["://", ":", ":///", "//"]),
    rest=st.text(
        alphabet=st.sampled_from(list("aZ09-._~:/?#@[]%= \t\n\x00\x1b\x85\u202e\u200b\ue085é\\'^`{}\"<>")), max_size=20
    ),
)
def test_safe_url_matches_its_definition(scheme, sep, rest):
    url = f"{scheme}{sep}{rest}"
    assert safe_url(url) == _reference_safe_url(url)
    if _refused_by_the_old_rules(url):
        assert safe_url(url) is None


@settings(max_examples=500, deadline=None)
@given(
    host=st.from_regex(r"[a-z0-9][a-z0-9.\-]{0,12}[a-z][a-z0-9\-]{0,5}", fullmatch=True),
    rest=st.text(alphabet=st.sampled_from(list("aZ09-._~:/?#@[]%=!$&()*+,;|'^`{}\"<>\\")), max_size=20),
)
def test_the_fast_path_gives_what_the_full_parse_gives(host, rest):
    # The shapes the loader sees most: safe_url returns them without parsing
    # only when parse_link would return them unchanged.
    url = f"https://{host}/{rest}"
    assert safe_url(url) == _reference_safe_url(url)
    assert identity_url(url) == _reference_identity(safe_url(url) or url)
