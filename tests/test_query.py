"""reader.query: the search language, matching one article, and filtering a whole library.

The brute-force tests build random queries as small trees, spell them as a user
would, and compare what ``filter_indexes`` and ``matches`` find with a reference
written here from the language's rules alone (``reference``), over a generated
corpus of summaries and a random reading state.

``python tests/test_query.py --bench 100000`` prints the timings the report quotes.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.model import ArticleSummary, Provider
from reader.query import (
    EVERYTHING,
    QUERY_HELP,
    Query,
    QueryError,
    SearchIndex,
    filter_indexes,
    highlight_terms,
    match_spans,
    matches,
    parse,
)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "bench"))

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class Marks:
    read: frozenset[str] = frozenset()
    starred: frozenset[str] = frozenset()
    new: frozenset[str] = frozenset()


def summary(
    title: str = "A title",
    *,
    id: str | None = None,
    provider: Provider = Provider("Wire", "wire.example"),
    category: str = "news",
    type: str = "article",
    quality: int | None = 50,
    heat: int | None = 50,
    published: bool = True,
    published_at: datetime | None = datetime(2024, 3, 10, 8, 0, tzinfo=UTC),
    topics: tuple[str, ...] = (),
    url: str | None = None,
    authors: tuple[str, ...] = (),
) -> ArticleSummary:
    article_id = id or f"https://wire.example/{title}"
    return ArticleSummary(
        id=article_id,
        path=f"{title}.md",
        title=title,
        provider=provider,
        category=category,
        type=type,
        quality=quality,
        heat=heat,
        published=published,
        published_at=published_at,
        topics=topics,
        url=url if url is not None else article_id,
        authors=authors,
    )


def found(query: str, articles: list[ArticleSummary], state=None, *, prefix_last=False) -> list[str]:
    """Titles matched, by the index and (checked to agree) one article at a time."""
    parsed = parse(query, prefix_last=prefix_last)
    by_index = [articles[i].title for i in filter_indexes(parsed, SearchIndex(articles), state, now=NOW)]
    one_by_one = [a.title for a in articles if matches(parsed, a, state, now=NOW)]
    assert by_index == one_by_one, query
    return by_index


# --- the language, construct by construct --------------------------------------------------

ARTICLES = [
    summary(
        "Glacier sensors map the melt in Zürich",
        topics=("Climate", "Edge AI"),
        provider=Provider("Threat Horizon", "threathorizon.com"),
        quality=85,
        heat=60,
        authors=("Jane Doe",),
        url="https://www.threathorizon.com/glacier",
    ),
    summary(
        "Crypto glaciers: a sensor-free market",
        topics=("Cryptocurrency",),
        quality=40,
        heat=None,
        category="analysis",
        published_at=datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
        url="https://news.example.com/crypto",
    ),
    summary(
        "ＡＩ robots learn to sort waste",
        topics=("AI", "Robotics"),
        quality=None,
        heat=90,
        type="video",
        published_at=datetime(2024, 6, 14, 12, 0, tzinfo=UTC),
        authors=("José Álvarez",),
        url="https://example.com/robots",
    ),
    summary(
        "Covid-19 e-mail scam targets Straße addresses",
        provider=Provider("", "bare.example"),
        quality=80,
        heat=10,
        published=False,
        published_at=None,
        url="https://bare.example:8443/scam",
    ),
]
GLACIER, CRYPTO, ROBOTS, COVID = (a.title for a in ARTICLES)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [GLACIER, CRYPTO, ROBOTS, COVID]),
        ("glacier", [GLACIER]),  # a whole word: not "glaciers"
        ("GLACIER sensors", [GLACIER]),  # every word, any case
        ("zurich", [GLACIER]),  # any accents
        ("ai", [GLACIER, ROBOTS]),  # full-width ＡＩ in a title, "Edge AI" among the topics
        ("strasse", [COVID]),  # ß folds to ss
        ("horizon", [GLACIER]),  # the provider
        ("doe", [GLACIER]),  # the authors
        ("alvarez", [ROBOTS]),
        ("robotics", [ROBOTS]),  # the topics
        ('"glacier sensors"', [GLACIER]),
        ('"sensors glacier"', []),  # a phrase is in order
        ('"sensor free"', [CRYPTO]),  # across punctuation, as the words of "sensor-free"
        ("covid-19", [COVID]),  # a word with punctuation is the phrase of its words
        ('"melt zurich"', []),  # "in" stands between them
        ('"climate edge"', []),  # a phrase never spans two topics
        ("-glacier", [CRYPTO, ROBOTS, COVID]),
        ("glaciers OR robots", [CRYPTO, ROBOTS]),
        ("glaciers OR robots -crypto", [ROBOTS]),
        ("glacier OR robots waste", [ROBOTS]),  # OR binds closer: (glacier OR robots) waste
        ("glacier OR (robots waste)", [GLACIER, ROBOTS]),
        ("-(glacier OR robots)", [CRYPTO, COVID]),
        ("--glacier", [GLACIER]),
        ("glacier AND sensors", [GLACIER]),
        ("glacier - sensors", [GLACIER]),  # a lone "-" is no condition
        ("topic:AI", [GLACIER, ROBOTS]),  # a word within a topic: "AI" and "Edge AI"
        ('topic:"edge ai"', [GLACIER]),
        ("-topic:AI", [CRYPTO, COVID]),
        ("topic:crypto", []),  # whole words: the topic is "Cryptocurrency"
        ('provider:"Threat Horizon"', [GLACIER]),
        ("provider:threathorizon.com", [GLACIER]),  # or the provider's domain
        ("provider:wire", [CRYPTO, ROBOTS]),
        ("category:analysis", [CRYPTO]),
        ("author:doe", [GLACIER]),
        ('author:"jose alvarez"', [ROBOTS]),
        ("type:video", [ROBOTS]),
        ("domain:threathorizon.com", [GLACIER]),  # www. is ignored
        ("domain:example.com", [CRYPTO, ROBOTS]),  # and hosts under it
        ("domain:news.example.com", [CRYPTO]),
        ("domain:bare.example", [COVID]),  # a port is not part of the host
        ("domain:com", [GLACIER, CRYPTO, ROBOTS]),
        ("quality>=80", [GLACIER, COVID]),
        ("quality>80", [GLACIER]),
        ("quality<80", [CRYPTO]),  # no quality: never matched by a comparison
        ("quality<=80", [CRYPTO, COVID]),
        ("quality=85", [GLACIER]),
        ("quality:85", [GLACIER]),
        ("quality:40..80", [CRYPTO, COVID]),
        ("quality:80..", [GLACIER, COVID]),
        ("quality:..40", [CRYPTO]),
        ("quality:>=85", [GLACIER]),
        ("heat>50", [GLACIER, ROBOTS]),
        ("-quality>50", [CRYPTO, ROBOTS]),  # the complement: quality 50 or less, or none
        ("after:2024-01-01", [GLACIER, CRYPTO, ROBOTS]),  # the day itself included
        ("after:2024-01-02", [GLACIER, ROBOTS]),
        ("before:2024-01-01", []),  # before the day
        ("before:2024-01-02", [CRYPTO]),
        ("date:2024-03", [GLACIER]),
        ("date:2024-03-10", [GLACIER]),
        ("date:2024", [GLACIER, CRYPTO, ROBOTS]),
        ("date:2023", []),
        ("date:2024-01..2024-03", [GLACIER, CRYPTO]),  # both months included
        ("date>2024-03", [ROBOTS]),
        ("date>=2024-03", [GLACIER, ROBOTS]),
        ("date<2024-03", [CRYPTO]),
        ("date<=2024-03", [GLACIER, CRYPTO]),
        ("-date:2024", [COVID]),  # no date: matched only by the complement
        ("age<7d", [ROBOTS]),  # 1 day old at NOW
        ("age<24h", []),  # exactly 24 hours old
        ("age<=24h", [ROBOTS]),
        ("age<1441m", [ROBOTS]),
        ("age>1w", [GLACIER, CRYPTO]),
        ("age:1d..100d", [GLACIER, ROBOTS]),
        ("is:draft", [COVID]),
        ("-is:draft", [GLACIER, CRYPTO, ROBOTS]),
        ("Topic:AI QUALITY>=80", [GLACIER]),  # field names in any case
        ("topic:AI quality>=80 after:2024-01-01 glacier", [GLACIER]),
    ],
)
def test_each_construct(query, expected):
    assert found(query, ARTICLES) == expected


def test_reading_state():
    ids = [a.id for a in ARTICLES]
    state = Marks(read=frozenset(ids[:2]), starred=frozenset([ids[1], "elsewhere"]), new=frozenset([ids[3]]))
    assert found("is:read", ARTICLES, state) == [GLACIER, CRYPTO]
    assert found("is:unread", ARTICLES, state) == [ROBOTS, COVID]
    assert found("is:starred", ARTICLES, state) == [CRYPTO]
    assert found("is:new", ARTICLES, state) == [COVID]
    assert found("is:unread -is:new", ARTICLES, state) == [ROBOTS]
    assert found("is:unread", ARTICLES) == [GLACIER, CRYPTO, ROBOTS, COVID]  # no state: nothing read
    assert found("is:starred", ARTICLES) == []


def test_the_last_word_is_a_prefix_while_typing():
    assert found("glacier sens", ARTICLES) == []
    assert found("glacier sens", ARTICLES, prefix_last=True) == [GLACIER]
    assert found("glac", ARTICLES, prefix_last=True) == [GLACIER, CRYPTO]
    assert found("sens glacier", ARTICLES, prefix_last=True) == []  # only the last word
    assert found("glac ", ARTICLES, prefix_last=True) == []  # a space ends the word
    assert found('"glacier sens"', ARTICLES, prefix_last=True) == []  # so does a closing quote
    assert found("covid-1", ARTICLES, prefix_last=True) == [COVID]
    assert found("-glac", ARTICLES, prefix_last=True) == [ROBOTS, COVID]
    assert found("topic:rob", ARTICLES, prefix_last=True) == [ROBOTS]
    assert found("topic:edge a", ARTICLES, prefix_last=True) == [GLACIER]  # "a" is a word of its own: AI
    assert found('topic:"edge a"', ARTICLES, prefix_last=True) == []
    assert found("domain:threath", ARTICLES, prefix_last=True) == [GLACIER]
    assert found("domain:exa", ARTICLES, prefix_last=True) == [CRYPTO, ROBOTS, COVID]  # bare.example too
    assert found("quality>8", ARTICLES, prefix_last=True) == [GLACIER, CRYPTO, COVID]  # numbers are numbers
    assert found("(glac)", ARTICLES, prefix_last=True) == []


def test_excerpts_are_searched_when_the_index_has_them():
    excerpts = ["", "Ice shelves and café owners", "", ""]
    index = SearchIndex(ARTICLES, excerpts=excerpts)
    assert [ARTICLES[i].title for i in index.filter(parse("cafe owners"))] == [CRYPTO]
    assert [ARTICLES[i].title for i in index.filter(parse('"shelves and cafe"'))] == [CRYPTO]
    assert list(SearchIndex(ARTICLES).filter(parse("cafe"))) == []
    assert matches(parse("cafe"), ARTICLES[1], excerpt=excerpts[1])


def test_candidates_keep_their_order_and_count_counts():
    index = SearchIndex(ARTICLES)
    query = parse("-is:draft")
    assert list(index.filter(query, candidates=[2, 3, 0])) == [2, 0]
    assert list(index.filter(EVERYTHING, candidates=[3, 1])) == [3, 1]
    assert index.count(query) == 3 and index.count(EVERYTHING) == 4
    assert list(filter_indexes(query, [])) == []


# --- the parse result -------------------------------------------------------------------------


def test_the_normal_spelling():
    cases = {
        "  AI   Robots ": "ai robots",
        'Zürich "Climate  Change"': 'zurich "climate change"',
        "topic:AI Provider:'x'": 'topic:ai provider:x',
        'provider:"Threat Horizon"': 'provider:"threat horizon"',
        "quality>79": "quality>=80",
        "quality:80": "quality=80",
        "heat<10 heat:5..7": "heat<=9 heat:5..7",
        "after:2024-1-5 date:2024-3": "after:2024-01-05 date:2024-03",
        "age<168h age>2w": "age<7d age>14d",
        "a OR (b OR c) (d e)": "a OR b OR c d e",
        "(a b) OR c": "(a b) OR c",
        "-(a OR b) --c": "-(a OR b) c",
        "a a A": "a",
        "Is:Unread": "is:unread",
        "domain:WWW.Example.COM.": "domain:example.com",
        "+++ a —": "a",
    }
    for text, spelled in cases.items():
        assert parse(text).text == spelled, text
    assert parse("+++ —").text == "" and parse("+++").is_everything


def test_queries_are_values():
    assert parse("AI quality>79") == parse("ai  quality>=80")
    assert hash(parse("Zürich")) == hash(parse("zurich"))
    assert parse("a b") != parse("b a")  # the order of terms is kept (it is the order shown)
    assert parse("glac", prefix_last=True) != parse("glac")
    assert parse("glac", prefix_last=True).text == parse("glac").text
    assert {parse("x"): 1}[parse("X")] == 1
    assert parse("") is EVERYTHING and EVERYTHING.is_everything
    with pytest.raises(AttributeError):
        parse("x").text = "y"  # type: ignore[misc]


def test_what_a_query_depends_on():
    assert parse("is:unread").uses_state and parse("-(a OR is:new)").uses_state
    assert not parse("is:draft").uses_state and not parse("a").uses_state
    assert parse("a OR age<7d").relative and not parse("date:2024").relative


def test_highlight_terms():
    query = parse('Glacier "sensor free" -crypto topic:AI (robots OR -waste) sen', prefix_last=True)
    assert highlight_terms(query) == ["glacier", "sensor free", "robots", "sen*"]
    assert highlight_terms(parse("-(a OR -b)")) == ["b"]
    assert highlight_terms(EVERYTHING) == []


# --- errors --------------------------------------------------------------------------------------


AGE_UNITS_MESSAGE = "age needs a number and a unit: m (minutes), h (hours), d (days) or w (weeks), as in age<7d"


@pytest.mark.parametrize(
    ("query", "message", "column"),
    [
        ("qualty>80", "unknown field qualty: did you mean quality?", 1),
        ("a topc:AI", "unknown field topc: did you mean topic?", 3),
        ("quality>=high", "quality needs a whole number, as in quality>=80; not high", 10),
        ("quality>=8.5", "quality needs a whole number, as in quality>=80; not 8.5", 10),
        ("quality>", "quality needs a whole number, as in quality>=80", 9),
        ("quality:80..50", "quality:80..50 is empty: did you mean quality:50..80?", 9),
        ("quality:..", "quality: a range needs a number on at least one side, as in quality:50..80", 9),
        ('a "glacier sensors', 'unclosed quote: add a closing "', 3),
        ('provider:"Threat', 'unclosed quote: add a closing "', 10),
        ("a )", 'unmatched ")": remove it or add a "(" before it', 3),
        ("(a))", 'unmatched ")": remove it or add a "(" before it', 4),
        ("(a", 'unclosed "(": add a ")"', 1),
        ("-(a", 'unclosed "(": add a ")"', 2),
        ("()", "empty parentheses", 1),
        ("a OR", "OR needs a term after it", 3),
        ("a OR )", "OR needs a term after it", 3),
        ("a OR OR b", "OR needs a term after it", 3),
        ("OR a", "OR needs a term before it", 1),
        ("(OR a)", "OR needs a term before it", 2),
        ("a AND", "AND needs a term after it", 3),
        ("AND a", "AND needs a term before it", 1),
        ("age<7x", f"{AGE_UNITS_MESSAGE}; not 7x", 5),
        ("age<7", f"{AGE_UNITS_MESSAGE}; not 7", 5),
        ("age:7d", "age needs a comparison, as in age<7d (or a range, age:1d..7d)", 1),
        ("age:7d..1d", "age:7d..1d is empty: the shorter age comes first", 5),
        ("topic:", "topic: needs a value, as in topic:AI; for several, write (topic:a OR topic:b)", 7),
        ('topic:""', "topic: needs a value, as in topic:AI", 8),
        ("topic:--", "topic: needs a letter or digit, as in topic:AI", 7),
        ("topic>AI", "topic takes topic:AI, not topic>", 1),
        ("after:2024-13-01", "after needs a date: a year, month or day, as in after:2024-03-15; not 2024-13-01", 7),
        ("after:yesterday", "after needs a date: a year, month or day, as in after:2024-03-15; not yesterday", 7),
        ("before:2024-02-30", "before needs a date: a year, month or day, as in before:2024-03-15; not 2024-02-30", 8),
        ("date:2024-03..2024-01", "date:2024-03..2024-01 is empty: the earlier date comes first", 6),
        ("after>2024", "after takes after:2024-01-01, not after>", 1),
        ("is:unraed", "unknown state unraed: did you mean is:unread?", 4),
        ("is:whatever", "unknown state whatever (is:unread, is:read, is:starred, is:new, is:draft)", 4),
        ("domain:a/b", "domain needs a host name, as in domain:example.com; not a/b", 8),
        ("(" * 21 + "a" + ")" * 21, "too many nested parentheses (at most 20)", 21),
    ],
)
def test_errors_name_the_problem_and_where_it_is(query, message, column):
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert caught.value.message == message
    assert caught.value.position == column - 1
    assert str(caught.value) == f"{message} (column {column})"


def test_an_unknown_field_with_nothing_near_lists_the_fields():
    with pytest.raises(QueryError) as caught:
        parse("https://example.com")
    assert caught.value.message.startswith("unknown field https (fields: topic, provider, category,")
    assert caught.value.message.endswith('; put text with ":" in quotes')
    assert found('"https://www.threathorizon.com"', ARTICLES) == []  # quoted, it is a phrase of words
    assert parse('"https://example.com"').text == '"https example com"'


def test_error_messages_are_one_printable_bounded_line():
    hostile = "\x1b[31mred\x07\n\u202e" + "x" * 500
    for query in (f"date:{hostile}", f"domain:{hostile}", f"quality>{hostile}", f"is:{hostile}", f"age<{hostile}"):
        with pytest.raises(QueryError) as caught:
            parse(query.replace("\n", ""))
        text = str(caught.value)
        assert text.isprintable() and "\x1b" not in text and len(text) < 300, text


def test_nesting_up_to_the_limit_is_fine():
    deep = "(" * 20 + "a" + ")" * 20
    assert parse(deep).text == "a"
    assert parse("-(" * 20 + "a" + ")" * 20).text == "a"
    assert parse("-(" * 19 + "a b" + ")" * 19).text == "-(a b)"


def test_a_query_too_long_is_refused():
    with pytest.raises(QueryError, match="too long"):
        parse("a " * 6000)


def test_query_help_rows_parse_and_the_readme_shows_them():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for example, meaning in QUERY_HELP:
        parts = re.split(r"\s{2,}", example)
        for part in parts:
            parse(part)
        row = f"| {' '.join(f'`{part}`' for part in parts)} | {meaning} |"
        assert row in readme, row


# --- any string --------------------------------------------------------------------------------

QUERY_ALPHABET = st.sampled_from(
    [*'abcAZ09 -"():<>=.._\t\n', "OR", "AND", "topic:", "quality", "age<", "is:"]
    + ["é", "ß", "\u0301", "\x00", "\U0001f600"]
)
query_texts = st.one_of(
    st.text(max_size=1000),
    st.lists(QUERY_ALPHABET, max_size=300).map("".join).map(lambda s: s[:1000]),
)


def parse_time(text: str, prefix_last: bool = True) -> float:
    """Seconds to parse (or refuse) a text: the best of up to three tries, as the machine is shared."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        try:
            parse(text, prefix_last=prefix_last)
        except QueryError:
            pass
        best = min(best, time.perf_counter() - started)
        if best < 0.05:
            break
    return best


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=query_texts, prefix_last=st.booleans())
def test_any_string_parses_or_gives_a_query_error_quickly(text, prefix_last):
    assert parse_time(text, prefix_last) < 0.05
    try:
        query = parse(text, prefix_last=prefix_last)
    except QueryError as error:
        assert str(error).isprintable()
        assert 0 <= error.position <= len(text)
        return
    assert isinstance(query, Query)
    hash(query)
    again = parse(query.text)  # the normal spelling means the same
    if not prefix_last:
        assert again == query
    assert parse(again.text) == again
    # and it runs
    assert isinstance(matches(query, ARTICLES[0], now=NOW), bool)
    SearchIndex(ARTICLES).filter(query, now=NOW)


def test_worst_cases_stay_fast():
    worst = [
        "(" * 20 + "a " * 480,
        "-" * 1000,
        "a OR " * 199 + "a",
        '"' + "a " * 499 + '"',
        "topic:" + "x" * 994,
        "x:" * 500,
        "quality:" + "9" * 992,
        "a b c d e f g h " * 62,
        "-(" * 20 + "a " * 460 + ")" * 20,
        "(a OR (b " * 10 + ")) " * 10,
    ]
    for text in worst:
        assert parse_time(text[:1000]) < 0.05, text[:40]


# --- match spans -------------------------------------------------------------------------------


def spans_text(text: str, terms: list[str]) -> list[str]:
    return [text[a:b] for a, b in match_spans(text, terms)]


def test_match_spans_ignore_case_and_accents():
    text = "Glacier sensors in ZÜRICH and zurich"
    assert spans_text(text, ["glacier", "zurich"]) == ["Glacier", "ZÜRICH", "zurich"]
    assert spans_text("Straße and STRASSE", ["strasse"]) == ["Straße", "STRASSE"]
    assert spans_text("ＡＩ and AI", ["ai"]) == ["ＡＩ", "AI"]
    decomposed = unicodedata.normalize("NFD", "café crème")
    assert spans_text(decomposed, ["cafe"]) == [unicodedata.normalize("NFD", "café")]  # the accent goes with it


def test_match_spans_whole_words_prefixes_and_phrases():
    text = "Glaciers: glacier sensor-free sensors, glacier"
    assert spans_text(text, ["glacier"]) == ["glacier", "glacier"]
    assert spans_text(text, ["glac*"]) == ["Glac", "glac", "glac"]
    assert spans_text(text, ["sensor free"]) == ["sensor-free"]
    assert spans_text(text, ["glacier sensor*"]) == ["glacier sensor"]
    assert match_spans(text, ["glacier", "glacier sensor"]) == [(10, 24), (39, 46)]  # overlapping spans merge
    assert match_spans(text, []) == [] and match_spans("", ["a"]) == [] and match_spans(text, ["--"]) == []
    assert spans_text("Straße", ["stras*"]) == ["Straß"]  # a prefix ending inside "ß" (ss) takes the whole letter


def test_match_spans_agree_with_matching():
    for article in ARTICLES:
        for query in ("glacier", "ai", '"sensor free"', "zurich", "glac", "covid-1"):
            parsed = parse(query, prefix_last=True)
            in_title = bool(match_spans(article.title, highlight_terms(parsed)))
            if in_title:
                assert matches(parsed, article, now=NOW), (query, article.title)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200), term=st.text(max_size=20))
def test_match_spans_of_anything(text, term):
    spans = match_spans(text, [term, term + "*"])
    for start, end in spans:
        assert 0 <= start < end <= len(text)
    assert spans == sorted(spans)
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))


# --- brute force: the reference ---------------------------------------------------------------


def ref_fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if unicodedata.combining(c) == 0)


def ref_words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", ref_fold(text))


def ref_has_run(values: list[list[str]], wanted: list[str], prefix: bool) -> bool:
    """Whether the words come one after another in one value (the last as a prefix)."""
    size = len(wanted)
    for words in values:
        for start in range(len(words) - size + 1):
            window = words[start : start + size]
            if window[:-1] == wanted[:-1] and (
                window[-1].startswith(wanted[-1]) if prefix else window[-1] == wanted[-1]
            ):
                return True
    return False


def ref_period(text: str) -> tuple[datetime, datetime]:
    parts = [int(p) for p in text.split("-")]
    start = datetime(*parts, *[1] * (3 - len(parts)), tzinfo=UTC)
    if len(parts) == 3:
        end = start + timedelta(days=1)
    elif len(parts) == 2:
        end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
    else:
        end = datetime(start.year + 1, 1, 1, tzinfo=UTC)
    return start, end


def ref_host(url: str | None) -> str:
    if not url:
        return ""
    host = url.split("//", 1)[1].split("/", 1)[0].split(":", 1)[0].lower()
    return host[4:] if host.startswith("www.") else host


UNIT = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "=": lambda a, b: a == b,
}


class Reference:
    """One article, as the language's rules describe matching it."""

    def __init__(self, article: ArticleSummary, state: Marks) -> None:
        self.a = article
        self.state = state
        self.words = [ref_words(v) for v in (article.title, article.provider.name or article.provider.domain)]
        self.words += [ref_words(v) for v in (*article.topics, *article.authors)]
        self.fields = {
            "topic": [ref_words(t) for t in article.topics],
            "provider": [ref_words(article.provider.name), ref_words(article.provider.domain)],
            "category": [ref_words(article.category)],
            "author": [ref_words(t) for t in article.authors],
            "type": [ref_words(article.type)],
        }

    def test(self, spec: tuple) -> bool:
        kind, *rest = spec
        a = self.a
        if kind == "and":
            return all(self.test(s) for s in rest[0])
        if kind == "or":
            return any(self.test(s) for s in rest[0])
        if kind == "not":
            return not self.test(rest[0])
        if kind in ("word", "phrase"):
            text, prefix = rest
            return ref_has_run(self.words, ref_words(text), prefix)
        if kind == "field":
            name, value, prefix = rest
            return ref_has_run(self.fields[name], ref_words(value), prefix)
        if kind == "domain":
            wanted, prefix = rest
            wanted = wanted.lower().removeprefix("www.")
            host = ref_host(a.url)
            if not host:
                return False
            if prefix:
                return any(label.startswith(wanted) for label in [host, *(host.split(".", i)[-1] for i in range(1, 9))])
            return host == wanted or host.endswith("." + wanted)
        if kind == "number":
            name, op, number = rest
            value = getattr(a, name)
            return value is not None and COMPARE[op](value, number)
        if kind == "range":
            name, low, high = rest
            value = getattr(a, name)
            return value is not None and (low is None or value >= low) and (high is None or value <= high)
        if kind == "date":
            name, op, text = rest
            when = a.published_at
            if when is None:
                return False
            start, end = ref_period(text)
            if name == "after":
                return when >= start
            if name == "before":
                return when < start
            return {
                "=": start <= when < end,
                ">": when >= end,
                ">=": when >= start,
                "<": when < start,
                "<=": when < end,
            }[op]
        if kind == "age":
            op, number, unit = rest
            if a.published_at is None:
                return False
            return COMPARE[op](NOW - a.published_at.timestamp(), number * UNIT[unit])
        assert kind == "is"
        name = rest[0]
        if name == "draft":
            return not a.published
        if name == "unread":
            return a.id not in self.state.read
        return a.id in getattr(self.state, name)


def spell(spec: tuple) -> str:
    """A query tree as a user would type it (every group in parentheses)."""
    kind, *rest = spec

    def grouped(child: tuple) -> str:
        return f"({spell(child)})" if child[0] in ("and", "or") else spell(child)

    if kind == "and":
        return " ".join(grouped(s) for s in rest[0])
    if kind == "or":
        return " OR ".join(grouped(s) for s in rest[0])
    if kind == "not":
        return "-" + grouped(rest[0])
    if kind == "word":
        return rest[0]
    if kind == "phrase":
        return f'"{rest[0]}"'
    if kind == "field":
        name, value, _ = rest
        return f'{name}:"{value}"' if " " in value else f"{name}:{value}"
    if kind == "domain":
        return f"domain:{rest[0]}"
    if kind == "number":
        name, op, number = rest
        return f"{name}{op}{number}"
    if kind == "range":
        name, low, high = rest
        return f"{name}:{'' if low is None else low}..{'' if high is None else high}"
    if kind == "date":
        name, op, text = rest
        return f"{name}:{text}" if op == "=" else f"{name}{op}{text}"
    if kind == "age":
        op, number, unit = rest
        return f"age{op}{number}{unit}"
    return f"is:{rest[0]}"


# --- brute force: the corpus -------------------------------------------------------------------

WORDS = ["glacier", "glaciers", "sensor", "sensors", "climate", "quantum", "robots", "robot", "chips", "privacy", "crypto", "market", "ai", "data", "cloud", "rocket", "lunar", "battery", "solar", "grid", "vaccine", "gene", "protein", "model", "open", "source", "security", "ransomware", "policy", "Zürich", "ZURICH", "café", "CAFE", "naïve", "Ångström", "São", "Paulo", "Kraków", "über", "Straße", "STRASSE", "ＡＩ", "covid-19", "e-mail", "5G", "CRISPR", "re:invent", "C++", "AT&T", "snake_case", "x86-64", "Ελλάδα", "МОСКВА", "東京", "emoji🙂", "l'été", "don’t"]
TOPIC_NAMES = [
    "AI", "Edge AI", "Climate", "Space", "Spacecraft", "Privacy", "Machine Learning", "Énergie", "Biotech",
    "ai ethics", "5G",
]
PROVIDERS = [
    Provider("Threat Horizon", "threathorizon.com"),
    Provider("Helix Review", "helixreview.org"),
    Provider("Lab Notes Daily", "labnotes.io"),
    Provider("", "bare.example"),
    Provider("Zürcher Zeitung", "zz.ch"),
    Provider("Wire", ""),
    Provider("Wired Weekly", "wired.example"),
]
AUTHORS = ["Jane Doe", "José Álvarez", "Li Wei", "Lisa Chen", "O'Brien, Pat"]
CATEGORIES = ["news", "analysis", "opinion", "", "Research Notes"]
TYPES = ["article", "video", "podcast"]
BASE = datetime(2023, 12, 1, tzinfo=UTC)


def generated_corpus(count: int, seed: int, *, wide_scores: bool = False) -> tuple[list[ArticleSummary], Marks]:
    rng = random.Random(seed)
    articles = []
    for i in range(count):
        provider = rng.choice(PROVIDERS)
        host = rng.choice(["www.", "news.", ""]) + (provider.domain or "wire.example")
        when = None
        if rng.random() > 0.05:
            # Some on the very first second of a month or day, where after:/before:/date: turn.
            if rng.random() < 0.1:
                when = datetime(2024, rng.randint(1, 6), rng.choice([1, 15]), tzinfo=UTC) - timedelta(
                    seconds=rng.choice([0, 1])
                )
            else:
                when = BASE + timedelta(seconds=rng.randrange(0, 200 * 86400), microseconds=rng.randrange(10**6))
        top = 1000 if wide_scores else 100
        url = None if rng.random() < 0.03 else f"https://{host}{rng.choice(['', ':8080'])}/story/{i}"
        articles.append(
            ArticleSummary(
                id=f"id-{i}",
                path=f"{i}.md",
                title=" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 9))),
                provider=provider,
                category=rng.choice(CATEGORIES),
                type=rng.choice(TYPES),
                quality=None if rng.random() < 0.1 else rng.randint(0, top),
                heat=None if rng.random() < 0.1 else rng.randint(0, 100),
                published=rng.random() > 0.05,
                published_at=when,
                topics=tuple(rng.sample(TOPIC_NAMES, rng.randint(0, 3))),
                url=url,
                authors=tuple(rng.sample(AUTHORS, rng.randint(0, 2))),
            )
        )
    ids = [a.id for a in articles]
    state = Marks(
        read=frozenset(rng.sample(ids, count // 3)),
        starred=frozenset(rng.sample(ids, count // 10)) | {"not-in-the-library"},
        new=frozenset(rng.sample(ids, count // 20)),
    )
    return articles, state


def random_leaf(rng: random.Random, articles: list[ArticleSummary]) -> tuple:
    kind = rng.choice(
        ["word", "word", "word", "phrase", "field", "field", "domain", "number", "range", "date", "age", "is"]
    )
    if kind == "word":
        word = rng.choice([*WORDS, "sensor", "zurich", "strasse", "cafe", "covid", "19", "e"])
        return ("phrase", word, False) if ":" in word else ("word", word, False)  # re:invent is quoted
    if kind == "phrase":
        words = rng.choice(articles).title.split()
        start = rng.randrange(len(words))
        return ("phrase", " ".join(words[start : start + rng.randint(1, 3)]), False)
    if kind == "field":
        name = rng.choice(["topic", "provider", "category", "author", "type"])
        pool = {
            "topic": [*TOPIC_NAMES, "ai", "learning", "energie", "edge", "space", "clim"],
            "provider": [p.name for p in PROVIDERS if p.name]
            + ["threathorizon.com", "horizon", "zurcher", "com", "wire"],
            "category": [c for c in CATEGORIES if c] + ["notes", "new"],
            "author": [*AUTHORS, "doe", "alvarez", "obrien", "o brien", "li"],
            "type": TYPES,
        }[name]
        return ("field", name, rng.choice(pool), False)
    if kind == "domain":
        hosts = ["threathorizon.com", "www.helixreview.org", "news.labnotes.io", "io", "ch", "zz.ch"]
        return ("domain", rng.choice(hosts), False)
    if kind == "number":
        op = rng.choice(["<", "<=", ">", ">=", "="])
        return ("number", rng.choice(["quality", "heat"]), op, rng.randint(-5, 105))
    if kind == "range":
        low = rng.choice([None, rng.randint(0, 60)])
        high = rng.choice([None, rng.randint(60, 100)]) if low is not None else rng.randint(0, 100)
        return ("range", rng.choice(["quality", "heat"]), low, high)
    if kind == "date":
        month, day = rng.randint(1, 6), rng.randint(1, 28)
        text = rng.choice(["2024", "2023", f"2024-{month:02d}", f"2024-{month:02d}-{day:02d}"])
        name = rng.choice(["after", "before", "date", "date"])
        op = rng.choice(["=", "<", "<=", ">", ">="]) if name == "date" else "="
        return ("date", name, op, text)
    if kind == "age":
        unit = rng.choice("mhdw")
        number = rng.randint(1, {"m": 300_000, "h": 5000, "d": 200, "w": 30}[unit])
        return ("age", rng.choice(["<", "<=", ">", ">="]), number, unit)
    return ("is", rng.choice(["read", "unread", "starred", "new", "draft"]))


def random_tree(rng: random.Random, articles: list[ArticleSummary], depth: int = 0) -> tuple:
    roll = rng.random()
    if depth >= 3 or roll < 0.45:
        leaf = random_leaf(rng, articles)
        return ("not", leaf) if rng.random() < 0.2 else leaf
    children = [random_tree(rng, articles, depth + 1) for _ in range(rng.randint(2, 3))]
    tree = ("and", children) if roll < 0.75 else ("or", children)
    return ("not", tree) if rng.random() < 0.15 else tree


HAND_WRITTEN = [
    ("word", "glacier", False),
    ("field", "topic", "AI", False),
    (
        "and",
        [
            ("word", "zurich", False),
            ("field", "topic", "ai", False),
            ("number", "quality", ">=", 50),
            ("date", "after", "=", "2024-02"),
        ],
    ),
    ("or", [("phrase", "covid 19", False), ("word", "ＡＩ", False)]),
    ("not", ("number", "quality", ">", 50)),
    ("and", [("is", "unread"), ("not", ("is", "new")), ("field", "provider", "Threat Horizon", False)]),
    ("and", [("age", "<", 30, "d"), ("not", ("domain", "io", False))]),
    ("range", "heat", 20, 40),
    ("date", "date", "=", "2024-03"),
    ("date", "before", "=", "2024-01-01"),
    ("field", "author", "o brien", False),
    ("field", "category", "research notes", False),
]


def check_against_reference(articles, state, trees, *, prefix_words=()):
    index = SearchIndex(articles)
    references = [Reference(a, state) for a in articles]
    rng = random.Random(len(trees))
    for number, tree in enumerate(trees):
        text = spell(tree)
        prefix = prefix_words[number % len(prefix_words)] if prefix_words else None
        if prefix is not None:
            text = f"{text} {prefix}"
            tree = ("and", [tree, ("word", prefix, True)])
        query = parse(text, prefix_last=prefix is not None)
        expected = [i for i, r in enumerate(references) if r.test(tree)]
        assert list(filter_indexes(query, index, state, now=NOW)) == expected, text
        assert [i for i, a in enumerate(articles) if matches(query, a, state, now=NOW)] == expected, text
        candidates = rng.sample(range(len(articles)), len(articles) // 2)
        wanted = set(expected)
        assert list(index.filter(query, state, candidates, now=NOW)) == [i for i in candidates if i in wanted], text
        assert index.count(query, state, now=NOW) == len(expected)


def test_brute_force_hand_written_queries():
    articles, state = generated_corpus(2000, seed=1)
    check_against_reference(articles, state, HAND_WRITTEN)


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_brute_force_random_queries(seed):
    articles, state = generated_corpus(1500, seed=seed)
    rng = random.Random(seed)
    trees = [random_tree(rng, articles) for _ in range(120)]
    check_against_reference(articles, state, trees)


def test_brute_force_prefix_last():
    articles, state = generated_corpus(1500, seed=5)
    rng = random.Random(5)
    trees = [random_tree(rng, articles) for _ in range(60)]
    prefixes = ["g", "glac", "zur", "cov", "5", "stra", "東", "ελ"]
    check_against_reference(articles, state, trees, prefix_words=prefixes)


def test_brute_force_scores_beyond_a_byte():
    """More than 255 distinct scores take the other path for comparisons."""
    articles, state = generated_corpus(1500, seed=6, wide_scores=True)
    trees = [("number", "quality", op, n) for op in ("<", "<=", ">", ">=", "=") for n in (0, 99, 500, 1000)]
    trees += [("range", "quality", 100, 900), ("not", ("range", "quality", None, 400))]
    check_against_reference(articles, state, trees)


def test_the_index_follows_a_new_reading_state():
    articles, state = generated_corpus(300, seed=7)
    index = SearchIndex(articles)
    query = parse("is:unread")
    assert len(index.filter(query, state)) == 300 - len(state.read)
    marked = Marks(read=state.read | {articles[0].id, articles[1].id})
    assert list(index.filter(query, marked)) == [i for i, a in enumerate(articles) if a.id not in marked.read]


def test_a_prepared_index_answers_as_one_built_on_demand_and_threads_share_it():
    import threading

    articles, state = generated_corpus(600, seed=9)
    rng = random.Random(9)
    queries = [parse(spell(random_tree(rng, articles))) for _ in range(40)]
    lazy = SearchIndex(articles)
    expected = [list(lazy.filter(q, state, now=NOW)) for q in queries]
    prepared = SearchIndex(articles)
    assert not prepared.ready
    prepared.prepare()
    assert prepared.ready
    assert [list(prepared.filter(q, state, now=NOW)) for q in queries] == expected
    shared = SearchIndex(articles)
    results: dict[int, list[list[int]]] = {}

    def work(number: int) -> None:
        order = list(range(len(queries)))
        random.Random(number).shuffle(order)
        answers = {i: list(shared.filter(queries[i], state, now=NOW)) for i in order}
        results[number] = [answers[i] for i in range(len(queries))]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(answers == expected for answers in results.values()) and len(results) == 4


def test_age_follows_the_clock():
    articles = [summary("old", published_at=datetime(2024, 6, 1, tzinfo=UTC))]
    index = SearchIndex(articles)
    query = parse("age<7d")
    assert list(index.filter(query, now=datetime(2024, 6, 5, tzinfo=UTC).timestamp())) == [0]
    assert list(index.filter(query, now=datetime(2024, 6, 9, tzinfo=UTC).timestamp())) == []


# --- speed ---------------------------------------------------------------------------------------

TYPICAL = [
    "sensors",
    "topic:AI",
    'provider:"Helix Review"',
    "quality>=80",
    "after:2024-03-01",
    "zurich topic:AI quality>=50 after:2024-02-01",
    "glacier OR robots -crypto",
    "is:unread",
]


def timings(articles, state, queries, runs=3) -> dict[str, float]:
    """Median milliseconds per query over a prepared index, with no cached condition."""
    index = SearchIndex(articles)
    index.prepare()
    result = {}
    for text in queries:
        query = parse(text, prefix_last=True)
        measured = []
        for _ in range(runs):
            index._leaves.clear()
            started = time.perf_counter()
            index.filter(query, state, now=NOW)
            measured.append((time.perf_counter() - started) * 1000)
        result[text] = statistics.median(measured)
    return result


def test_typical_queries_over_100000_articles_take_well_under_50_ms():
    articles, state = generated_corpus(500, seed=8)
    many = [articles[i % 500] for i in range(100_000)]
    for text, ms in timings(many, state, TYPICAL).items():
        assert ms < 50, (text, ms)


# --- reader list --query ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_folder(tmp_path_factory) -> Path:
    from corpus import write_corpus

    folder = tmp_path_factory.mktemp("query-corpus")
    write_corpus(folder, 150, seed=11)
    return folder


CLI_QUERIES = [
    HAND_WRITTEN[1],
    ("field", "topic", "cybersecurity", False),
    (
        "and",
        [
            ("or", [("word", "chipmakers", False), ("word", "startups", False)]),
            ("not", ("field", "category", "news", False)),
        ],
    ),
    ("or", [("number", "quality", ">=", 90), ("number", "heat", "<", 5)]),
    ("and", [("date", "date", "=", "2020"), ("not", ("is", "draft"))]),
    ("and", [("is", "unread"), ("field", "type", "article", False), ("date", "before", "=", "2021-06")]),
    ("phrase", "open source", False),
    ("domain", "com", False),
    ("not", ("number", "heat", ">", 50)),
]


def test_reader_list_query_agrees_with_the_brute_force(corpus_folder, capsys):
    from reader.cli import main
    from reader.folder_loader import FolderLoader
    from reader.state import StateStore, default_state_path

    library = FolderLoader(corpus_folder, None).load()
    assert len(library) == 150
    read = frozenset(a.id for a in library.articles[::3])
    with StateStore(default_state_path()) as store:
        store.mark_read(read)
    references = {a.id: Reference(a, Marks(read=read)) for a in library.articles}
    main(["list", str(corpus_folder), "--json", "--no-cache", "--sort", "heat"])
    everything = [row["id"] for row in json.loads(capsys.readouterr().out)]
    sizes = []
    for tree in CLI_QUERIES:
        text = spell(tree)
        # --query=TEXT: a query may start with "-", which argparse would take for an option
        assert main(["list", str(corpus_folder), f"--query={text}", "--json", "--no-cache", "--sort", "heat"]) == 0
        out = capsys.readouterr().out
        expected = [i for i in everything if references[i].test(tree)]
        assert [row["id"] for row in json.loads(out)] == expected, text
        sizes.append(len(expected))
    assert all(0 < size < 150 for size in sizes), list(zip(sizes, map(spell, CLI_QUERIES)))


def test_reader_list_query_with_other_options(corpus_folder, capsys):
    from reader.cli import main

    code = main(["list", str(corpus_folder), "--query", "quality>=50", "--topic", "AI", "--limit", "2", "--no-cache"])
    out = capsys.readouterr().out
    assert code == 0
    rows = out.splitlines()[1:-1]
    assert len(rows) <= 2
    assert all(int(row.split()[0]) >= 50 for row in rows)
    assert re.fullmatch(r"(\d+ of )?[\d,]+ articles?", out.splitlines()[-1])


def test_reader_list_bad_query_exits_2_with_the_message(corpus_folder, capsys):
    from reader.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["list", str(corpus_folder), "--query", "qualty>80"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "unknown field qualty: did you mean quality? (column 1)" in err
    with pytest.raises(SystemExit):
        main(["list", str(corpus_folder), "--query", "quality>\x1b[31m"])
    err = capsys.readouterr().err
    assert "\x1b" not in err and "quality needs a whole number, as in quality>=80; not \\e[31m (column 9)" in err


# --- the benchmark --------------------------------------------------------------------------------


def bench(count: int) -> None:
    """Build a SearchIndex over ``count`` seed-like summaries (tests/bench/corpus.py's words) and time queries."""
    import tracemalloc

    import corpus as seed

    rng = random.Random(1)
    articles = []
    for i in range(count):
        when, _ = seed._stamp(rng)
        title, _, topic = seed._title(rng)
        name, domain = rng.choice(seed.PROVIDERS)
        articles.append(
            ArticleSummary(
                id=f"id-{i}",
                path=f"{i}.md",
                title=title,
                provider=Provider(name, domain),
                category=rng.choice(seed.CATEGORIES),
                type="article",
                quality=rng.randrange(101),
                heat=None if rng.random() < 0.1 else rng.randrange(101),
                published=rng.random() > 0.03,
                published_at=when,
                topics=(topic, *rng.sample(seed.TOPICS, rng.randrange(3))),
                url=f"https://www.{domain}/{i}",
            )
        )
    state = Marks(read=frozenset(a.id for a in articles[::2]))
    index = SearchIndex(articles)
    started = time.perf_counter()
    index.prepare()
    built = time.perf_counter() - started
    print(f"{count:,} articles; word index built in {built * 1000:.0f} ms; median of 5 runs, nothing cached:")
    queries = [
        "regulators",
        "reg",
        "topic:AI",
        'provider:"Helix Review"',
        "quality>=80",
        "after:2021-01-01",
        "age<30d",
        "regulators topic:AI quality>=80 after:2020-01-01",
        '"carbon capture"',
        "chipmakers OR regulators -europe",
        "is:unread",
        "domain:helixreview.org",
    ]
    for text, ms in timings(articles, state, queries, runs=5).items():
        print(f"  {text:52} {ms:6.1f} ms")
    index = None
    tracemalloc.start()
    index = SearchIndex(articles)
    index.prepare()
    for text in queries:
        index.filter(parse(text), state)
    current, _ = tracemalloc.get_traced_memory()
    print(f"index with every part built: {current / 1e6:.1f} MB")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=bench.__doc__)
    parser.add_argument("--bench", type=int, default=100_000, metavar="N")
    bench(parser.parse_args().bench)
