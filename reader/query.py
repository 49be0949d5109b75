"""The search language: a query typed in the search line (or given to ``reader list --query``),
parsed once into a frozen value, and the articles it matches.

``parse(text)`` gives a ``Query`` or raises ``QueryError`` (one printable line
naming the problem, with a suggestion where one fits, and where it is). A
``Query`` is hashable, two spellings of one query (``AI`` and ``ai``,
``quality>79`` and ``quality>=80``) give equal ones, and ``Query.text`` is the
normal spelling: it can be part of a cache key. ``matches`` tests one article;
``filter_indexes`` (or ``SearchIndex.filter``) answers a query over a whole
library at once, in a few milliseconds at 100,000 articles.

Matching, everywhere the same (``QUERY_HELP`` is the user's version):

* Text is compared folded: case folded, compatibility forms decomposed
  (NFKD), combining marks removed; so ``Zurich`` finds ``Zürich`` and
  ``ＡＩ`` finds ``AI``. Folded text is cut into tokens, runs of letters and
  digits (as SQLite FTS5's ``unicode61`` tokenizer does with diacritics removed).
* A word matches a whole token (``sensor`` does not find ``sensors``), except
  the last word while typing (``prefix_last``), which matches a token's start.
  A word with punctuation (``covid-19``) is the phrase of its tokens; a word with
  no letter or digit at all (``-``, ``+++``) is no condition and is left out.
* A phrase matches consecutive tokens within one value: the title, the
  provider, one topic, one author (or the excerpt, when the index is given them).
* ``in:body`` anywhere in a query makes its words and phrases match the
  article's body too (``Text.body``); it is no condition of its own, and
  cannot be excluded.
* ``topic:``, ``provider:`` (name or domain), ``category:``, ``author:`` and
  ``type:`` match a word or phrase within one value of that field:
  ``topic:AI`` finds the topics ``AI`` and ``Edge AI``. (FTS5's column filter
  means the same, so an FTS5 index can answer these too.)
* ``domain:example.com`` matches the link's host ``example.com`` and every host
  under it (``www.example.com``, ``news.example.com``); a leading ``www.`` is ignored.
* Comparisons (``quality>=80``, ``after:2024-01-01``, ``age<7d``) never match an
  article without the value; ``-`` is the plain complement, so ``-quality>50``
  keeps the articles with a quality of 50 or less *and* those with none.
* Dates are UTC. ``after:D`` is from the start of D on (D included);
  ``before:D`` is before the start of D; ``date:D`` is within D (a day, a month
  or a year); so ``after:2024-01-01 before:2024-02-01`` is January.
* ``OR`` binds closer than the space between terms: ``a OR b c`` is ``(a OR b) c``.
  ``AND`` may be written, and means what a space means.

The excerpt is not in ``ArticleSummary``: in memory, words match the title,
provider, topics and authors; ``SearchIndex(articles, excerpts=...)`` adds the
excerpts when a caller has them. A ``FullText`` lookup (``fulltext.py``: an
SQLite FTS5 index of the files) adds the excerpts, and the bodies for
``in:body``: a word matches where the in-memory index finds it OR where the
lookup does.
"""

from __future__ import annotations

import bisect
import difflib
import re
import threading
import time
import unicodedata
from array import array
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import compress, repeat
from typing import TYPE_CHECKING, Protocol, Union

from .text import escape_name

if TYPE_CHECKING:
    from .model import ArticleSummary

# A query longer than this is refused: nobody types one, and a pasted file
# should get a message, not a parse of megabytes.
MAX_QUERY_CHARS = 10_000
# Parentheses nested deeper than this are refused (the parser recurses on them).
MAX_DEPTH = 20

# --- the syntax tree ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """A word or phrase in the title, excerpt, provider, topics or authors (folded tokens)."""

    tokens: tuple[str, ...]
    prefix: bool = False  # the last token matches the start of a token
    body: bool = False  # the query says in:body: the article's body too


@dataclass(frozen=True, slots=True)
class FieldText:
    """``topic:AI``: a word or phrase within one value of a text field."""

    field: str  # topic, provider, category, author, type
    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Domain:
    """``domain:example.com``: the link's host is it or is under it (folded, without ``www.``)."""

    host: str
    prefix: bool = False  # while typing: some dot-separated tail of the host starts with it


@dataclass(frozen=True, slots=True)
class Number:
    """``quality>=80``: a score within inclusive bounds (None: unbounded)."""

    field: str  # quality, heat
    low: int | None
    high: int | None


@dataclass(frozen=True, slots=True)
class Date:
    """``after:2024-01-01``: published at or after ``low`` and before ``high`` (UTC seconds; None: unbounded)."""

    low: int | None
    high: int | None
    shown: str  # the normal spelling, e.g. "date:2024-03"


@dataclass(frozen=True, slots=True)
class Age:
    """``age<7d``: how long ago an article was published, against the clock when the query runs."""

    op: str  # < <= > >=
    seconds: int


@dataclass(frozen=True, slots=True)
class State:
    """``is:unread``: read, unread, starred, new (since the last run) or draft."""

    name: str


@dataclass(frozen=True, slots=True)
class Not:
    term: Term


@dataclass(frozen=True, slots=True)
class And:
    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Or:
    terms: tuple[Term, ...]


Term = Union[Text, FieldText, Domain, Number, Date, Age, State, Not, And, Or]  # noqa: UP007 (a runtime alias)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: its syntax tree (None: it matches everything) and its normal spelling.

    Two spellings of one query (``quality>79`` and ``quality>=80``; ``AI`` and
    ``ai``) give equal queries with the same hash. Whether the last word is a
    prefix is part of the tree, not of ``text``.
    """

    root: Term | None = None
    text: str = ""

    @property
    def is_everything(self) -> bool:
        return self.root is None

    @property
    def uses_state(self) -> bool:
        """Whether the result depends on the reading state (``is:read``, ``is:unread``, ``is:starred``, ``is:new``)."""
        return any(isinstance(t, State) and t.name != "draft" for t in _walk(self.root))

    @property
    def relative(self) -> bool:
        """Whether the result depends on the clock (``age``): a cached result goes stale."""
        return any(isinstance(t, Age) for t in _walk(self.root))

    @property
    def has_words(self) -> bool:
        """Whether it has words or phrases, which a full-text index (``FullText``) can answer too."""
        return any(isinstance(t, Text) for t in _walk(self.root))

    @property
    def in_body(self) -> bool:
        """Whether its words match the articles' bodies too (``in:body``)."""
        return any(isinstance(t, Text) and t.body for t in _walk(self.root))


EVERYTHING = Query()


class QueryError(ValueError):
    """A query that cannot be parsed. ``str()`` is one printable line: the problem, then where it is.

    ``message`` is the problem alone; ``position`` is the index in the query
    text (0-based) where it is.
    """

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (column {position + 1})")
        self.message = message
        self.position = position


class Marks(Protocol):
    """What matching needs of the reading state (``state.ReadingState``): sets of article ids."""

    read: frozenset[str]
    starred: frozenset[str]
    new: frozenset[str]


# --- folding -----------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Text as search compares it: case folded, compatibility forms decomposed, combining marks removed."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    if text.isascii():
        return text
    text = _combining_marks().sub("", text)
    if text and max(text) >= _MARKS_END:  # past the table: none today, but a later Unicode may add some
        text = "".join(char for char in text if not unicodedata.combining(char))
    return text


# Every combining mark is below this (U+1E94A is the last in Unicode 15); the
# table stops here, so it takes 10 ms to make, not 100.
_MARKS_END = "\U00020000"


@lru_cache(maxsize=1)
def _combining_marks() -> re.Pattern[str]:
    """Every character with a combining class below ``_MARKS_END``, as this Python's Unicode database has them."""
    codes = [code for code in range(0x300, ord(_MARKS_END)) if unicodedata.combining(chr(code))]
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    marks = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    # A class with characters past U+FFFF is a slow list of ranges (10 µs a title): the
    # look-behind runs it only for characters that are not Latin-1 or its extensions.
    return re.compile(f"[\u0300-\U0010ffff](?<=[{marks}])")


def tokens(text: str) -> list[str]:
    """The folded tokens of a text: runs of letters and digits."""
    return _TOKEN.findall(fold(text))


def _padded(text: str) -> str:
    """A value as the index keeps it: its tokens, one space between and around them."""
    found = _TOKEN.findall(fold(text))
    return f" {' '.join(found)} " if found else " "


def _needle(words: tuple[str, ...], prefix: bool) -> str:
    return " " + " ".join(words) + ("" if prefix else " ")


# --- the language --------------------------------------------------------------------------

TEXT_FIELDS = ("topic", "provider", "category", "author", "type")
NUMBER_FIELDS = ("quality", "heat")
DATE_FIELDS = ("after", "before", "date")
FIELDS = (*TEXT_FIELDS, "domain", *NUMBER_FIELDS, *DATE_FIELDS, "age", "is", "in")
STATES = ("unread", "read", "starred", "new", "draft")
_AGE_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

# (example, meaning): the help screen and the README show these rows.
QUERY_HELP: list[tuple[str, str]] = [
    ("glacier sensors", "both words, in the title, excerpt, provider, topics or authors; any case, any accents"),
    ("glacier sens", "while typing, the last word matches the start of a word (sensor, sensors)"),
    ('"glacier sensors"', "the exact phrase"),
    ("-crypto", "without the word; - before any term or (group) excludes it"),
    ("ai OR robots", "either one; OR binds closer than a space: a OR b c means (a OR b) c"),
    ("(ai OR robots) -crypto", "parentheses group terms"),
    ("topic:AI", "a topic with that word (topic:AI finds AI and Edge AI)"),
    ('provider:"Threat Horizon"', "a provider's name or domain; quote a name with spaces"),
    ("category:analysis  author:doe  type:video", "the category, an author, the type"),
    ("domain:example.com", "the link's host is example.com or under it (www.example.com)"),
    ("quality>=80  heat>50", "scores; also <, <=, = (quality=80, or quality:80)"),
    ("quality:50..80", "from 50 to 80, both included (quality:80.. and quality:..50 too)"),
    ("after:2024-01-01", "published on that day or later (dates are UTC)"),
    ("before:2024-02-01", "published before that day"),
    ("date:2024-03", "within a month; also a day (2024-03-15), a year (2024), a range (2024-01..2024-03)"),
    ("age<7d  age>12h", "published less than 7 days / more than 12 hours ago; units m, h, d, w"),
    ("is:unread  is:read  is:starred", "by reading state"),
    ("is:new  is:draft", "first seen since the last run; drafts (published: false)"),
    ("-quality>50", "quality 50 or less, or none: a comparison never matches a missing value, - keeps the rest"),
    ("in:body glacier", "the words match the article's body too (anywhere in the query; not with -)"),
]


class _Lexeme:
    """One piece of a query: "(", ")", "OR", "AND", "-(" (a negated group) or a term."""

    __slots__ = ("end", "field", "kind", "negations", "op", "position", "quoted", "value", "value_position")

    def __init__(self, kind: str, position: int, end: int, negations: int = 0) -> None:
        self.kind = kind  # "(", ")", "OR", "AND", "-(", "word", "phrase", "field"
        self.position = position
        self.end = end
        self.negations = negations
        self.field = ""
        self.op = ""
        self.value = ""
        self.value_position = position
        self.quoted = False


_SPACE = re.compile(r"\s+")
_WORD = re.compile(r'[^\s()"]+')
_FIELD = re.compile(r"([A-Za-z]+)(>=|<=|>|<|=|:)", re.ASCII)


def _lex(text: str) -> list[_Lexeme]:
    found: list[_Lexeme] = []
    length = len(text)
    at = 0
    while True:
        space = _SPACE.match(text, at)
        if space:
            at = space.end()
        if at >= length:
            return found
        char = text[at]
        if char in "()":
            found.append(_Lexeme(char, at, at + 1))
            at += 1
            continue
        start = at
        while at < length and text[at] == "-":
            at += 1
        negations = at - start
        if at >= length or text[at].isspace() or text[at] == ")":
            continue  # a lone "-": no letter or digit, no condition
        if text[at] == "(":
            found.append(_Lexeme("-(", start, at + 1, negations))
            at += 1
            continue
        if text[at] == '"':
            close = text.find('"', at + 1)
            if close < 0:
                raise QueryError('unclosed quote: add a closing "', at)
            lexeme = _Lexeme("phrase", start, close + 1, negations)
            lexeme.value, lexeme.value_position, lexeme.quoted = text[at + 1 : close], at + 1, True
            found.append(lexeme)
            at = close + 1
            continue
        word = _WORD.match(text, at)
        assert word is not None  # text[at] is none of space, quote, parenthesis
        at = word.end()
        if negations == 0 and word.group() in ("OR", "AND"):
            found.append(_Lexeme(word.group(), start, at))
            continue
        field = _FIELD.match(word.group())
        if field is None:
            lexeme = _Lexeme("word", start, at, negations)
            lexeme.value, lexeme.value_position = word.group(), word.start()
            found.append(lexeme)
            continue
        lexeme = _Lexeme("field", start, at, negations)
        lexeme.field, lexeme.op = field.group(1), field.group(2)
        lexeme.value_position = word.start() + field.end()
        lexeme.value = word.group()[field.end() :]
        if not lexeme.value and at < length and text[at] == '"':
            close = text.find('"', at + 1)
            if close < 0:
                raise QueryError('unclosed quote: add a closing "', at)
            lexeme.value, lexeme.value_position, lexeme.quoted = text[at + 1 : close], at + 1, True
            at = lexeme.end = close + 1
        found.append(lexeme)


def parse(text: str, *, prefix_last: bool = False) -> Query:
    """The query a text means; ``QueryError`` when it means nothing.

    ``prefix_last``: the search line is being typed, and the word the text ends
    with (not followed by a space, a quote or a parenthesis) matches the start
    of a word: ``glacier sen`` finds "glacier sensors".
    """
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is too long (at most {MAX_QUERY_CHARS:,} characters)", MAX_QUERY_CHARS)
    lexemes = _lex(text)
    if prefix_last and lexemes:
        last = lexemes[-1]
        last_is_open = last.end == len(text) and not last.quoted
        prefix_at = len(lexemes) - 1 if last_is_open and last.kind in ("word", "field") else -1
    else:
        prefix_at = -1
    root = _Parser(lexemes, prefix_at).parse()
    if any(term is IN_BODY for term in _walk(root)):
        root = _searching_body(root)
    if root is None:
        return EVERYTHING
    text = _spell(root)
    return Query(root, f"{text} in:body" if any(isinstance(t, Text) and t.body for t in _walk(root)) else text)


class _Parser:
    """Recursive descent over the lexemes::

    query   := and
    and     := or ( ["AND"] or )*
    or      := unary ( "OR" unary )*
    unary   := term | "-(" and ")" | "(" and ")"

    A term with no condition (a word of punctuation) parses to None and drops
    out of whatever holds it.
    """

    def __init__(self, lexemes: list[_Lexeme], prefix_at: int) -> None:
        self.lexemes = lexemes
        self.at = 0
        self.prefix_at = prefix_at

    def peek(self) -> _Lexeme | None:
        return self.lexemes[self.at] if self.at < len(self.lexemes) else None

    def parse(self) -> Term | None:
        root = self.conjunction(0)
        extra = self.peek()
        if extra is not None:  # only a ")" stops a conjunction at the top
            raise QueryError('unmatched ")": remove it or add a "(" before it', extra.position)
        return root

    def conjunction(self, depth: int) -> Term | None:
        terms: list[Term | None] = []
        while True:
            lexeme = self.peek()
            if lexeme is None or lexeme.kind == ")":
                break
            if lexeme.kind == "AND":
                if not terms:
                    raise QueryError("AND needs a term before it", lexeme.position)
                self.at += 1
                following = self.peek()
                if following is None or following.kind in (")", "OR", "AND"):
                    raise QueryError("AND needs a term after it", lexeme.position)
                continue
            terms.append(self.disjunction(depth))
        return _and(terms)

    def disjunction(self, depth: int) -> Term | None:
        lexeme = self.peek()
        assert lexeme is not None
        if lexeme.kind == "OR":
            raise QueryError("OR needs a term before it", lexeme.position)
        terms = [self.unary(depth)]
        while (lexeme := self.peek()) is not None and lexeme.kind == "OR":
            self.at += 1
            following = self.peek()
            if following is None or following.kind in (")", "OR", "AND"):
                raise QueryError("OR needs a term after it", lexeme.position)
            terms.append(self.unary(depth))
        return _or(terms)

    def unary(self, depth: int) -> Term | None:
        lexeme = self.peek()
        assert lexeme is not None
        self.at += 1
        if lexeme.kind in ("(", "-("):
            if depth >= MAX_DEPTH:
                raise QueryError(f"too many nested parentheses (at most {MAX_DEPTH})", lexeme.position)
            inner_start = self.at
            inner = self.conjunction(depth + 1)
            close = self.peek()
            if close is None:
                opening = lexeme.end - 1
                raise QueryError('unclosed "(": add a ")"', opening)
            if self.at == inner_start:
                raise QueryError("empty parentheses", lexeme.end - 1)
            self.at += 1
            return _negated(inner, lexeme.negations)
        if lexeme.kind == ")":  # reached only as the first thing after "(" or at the top: see parse
            raise QueryError('unmatched ")": remove it or add a "(" before it', lexeme.position)
        term = _term(lexeme, prefix=self.at - 1 == self.prefix_at)
        if term is IN_BODY and lexeme.negations % 2:
            raise QueryError("in:body cannot be excluded: without it, words do not match the body", lexeme.position)
        return _negated(term, lexeme.negations)


def _negated(term: Term | None, negations: int) -> Term | None:
    if term is None or negations % 2 == 0:
        return term
    return term.term if isinstance(term, Not) else Not(term)


def _and(terms: Iterable[Term | None]) -> Term | None:
    return _joined(And, terms)


def _or(terms: Iterable[Term | None]) -> Term | None:
    return _joined(Or, terms)


def _joined(kind: type[And] | type[Or], terms: Iterable[Term | None]) -> Term | None:
    """Terms joined by AND or OR: nested groups of the same kind flattened, repeats dropped (a dict keeps the order)."""
    flat: dict[Term, None] = {}
    for term in terms:
        if isinstance(term, kind):
            flat.update(dict.fromkeys(term.terms))
        elif term is not None:
            flat[term] = None
    if not flat:
        return None
    return next(iter(flat)) if len(flat) == 1 else kind(tuple(flat))


@dataclass(frozen=True, slots=True)
class _Scope:
    """``in:body``, while parsing: where words match, not a condition; ``parse`` folds it into the words."""

    name: str


IN_BODY = _Scope("body")


def _searching_body(term: Term | None) -> Term | None:
    """The tree without ``in:body``, each word and phrase in it matching the body too."""
    kind = type(term)
    if term is IN_BODY:
        return None
    if kind is Text:
        return Text(term.tokens, term.prefix, body=True)
    if kind is Not:
        inner = _searching_body(term.term)
        return Not(inner) if inner is not None else None
    if kind is And:
        return _and(_searching_body(t) for t in term.terms)
    if kind is Or:
        return _or(_searching_body(t) for t in term.terms)
    return term


def _quote(text: str, limit: int = 40) -> str:
    """Something the user typed, as a message may show it: escaped, and cut when long."""
    shown = escape_name(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _term(lexeme: _Lexeme, prefix: bool) -> Term | None:
    if lexeme.kind in ("word", "phrase"):
        found = tuple(tokens(lexeme.value))
        return Text(found, prefix) if found else None
    name = lexeme.field.lower()
    if name not in FIELDS:
        near = difflib.get_close_matches(name, FIELDS, n=1, cutoff=0.6)
        hint = f": did you mean {near[0]}?" if near else f' (fields: {", ".join(FIELDS)}); put text with ":" in quotes'
        raise QueryError(f"unknown field {_quote(lexeme.field)}{hint}", lexeme.position)
    op, value, at = lexeme.op, lexeme.value, lexeme.value_position
    if name in TEXT_FIELDS or name in ("domain", "is", "after", "before", "in"):
        if op not in (":", "="):
            raise QueryError(f"{name} takes {name}:{_EXAMPLES[name]}, not {name}{op}", lexeme.position)
        if not value.strip():
            hint = f"; for several, write ({name}:a OR {name}:b)" if value == "" and not lexeme.quoted else ""
            raise QueryError(f"{name}: needs a value, as in {name}:{_EXAMPLES[name]}{hint}", at)
    if name in TEXT_FIELDS:
        found = tuple(tokens(value))
        if not found:
            raise QueryError(f"{name}: needs a letter or digit, as in {name}:{_EXAMPLES[name]}", at)
        return FieldText(name, found, prefix)
    if name == "domain":
        return Domain(_domain_value(value, at), prefix)
    if name == "in":
        if value.strip().lower() != "body":
            raise QueryError(f"in: takes in:body (words match the body too); not {_quote(value)}", at)
        return IN_BODY
    if name == "is":
        state = value.strip().lower()
        if state not in STATES:
            near = difflib.get_close_matches(state, STATES, n=1, cutoff=0.6)
            hint = f": did you mean is:{near[0]}?" if near else f" (is:{', is:'.join(STATES)})"
            raise QueryError(f"unknown state {_quote(value)}{hint}", at)
        return State(state)
    if name in NUMBER_FIELDS:
        return _number(name, op, value, at)
    if name == "age":
        return _age(op, value, at, lexeme.position)
    return _date(name, op, value, at)


_EXAMPLES = {
    "topic": "AI",
    "provider": '"Threat Horizon"',
    "category": "analysis",
    "author": "doe",
    "type": "video",
    "domain": "example.com",
    "is": "unread",
    "in": "body",
    "after": "2024-01-01",
    "before": "2024-02-01",
    "date": "2024-03",
}

_HOST = re.compile(r"[a-z0-9.\-]*[a-z0-9][a-z0-9.\-]*", re.ASCII)


def _domain_value(value: str, at: int) -> str:
    host = fold(value.strip()).strip(".")
    if not host.isascii() and not any(char in host for char in "/?#@:[]\\%"):
        from .links import parse_link  # international names: as the link's host is stored (punycode)

        link = parse_link(f"https://{host}/") if len(host) < 256 else None
        host = link.host if link is not None else ""
    host = host.removeprefix("www.")
    if not _HOST.fullmatch(host):
        raise QueryError(f"domain needs a host name, as in domain:example.com; not {_quote(value)}", at)
    return host


_INTEGER = re.compile(r"[+-]?\d{1,15}", re.ASCII)
_COMPARISON = re.compile(r"(>=|<=|>|<|=)?(.*)", re.DOTALL)


def _inside_colon(
    op: str, value: str, at: int, read: Callable[[str, int], int], what: str, example: str
) -> tuple[str, str, int, tuple[int | None, int | None] | None]:
    """What ``field:…`` says: a comparison written inside it (``quality:>=80``), a range
    (``quality:50..80``, either side may be left out, read with ``read``) or ``:`` itself.

    Returns (op, value, at, range): ``range`` is (low, high) for a range, else None.
    """
    if op != ":":
        return op, value, at, None
    compared = _COMPARISON.fullmatch(value)
    assert compared is not None
    if compared.group(1):
        return compared.group(1), compared.group(2), at + len(compared.group(1)), None
    if ".." not in value:
        return op, value, at, None
    low_text, _, high_text = value.partition("..")
    if not low_text and not high_text:
        raise QueryError(f"{what}: a range needs {example[0]} on at least one side, as in {example[1]}", at)
    low = read(low_text, at) if low_text else None
    high = read(high_text, at + len(low_text) + 2) if high_text else None
    return op, value, at, (low, high)


def _number(name: str, op: str, value: str, at: int) -> Number:
    def read(text: str, where: int) -> int:
        return _integer(name, text, where)

    op, value, at, bounds = _inside_colon(op, value, at, read, name, ("a number", f"{name}:50..80"))
    if bounds is not None:
        low, high = bounds
        if low is not None and high is not None and low > high:
            raise QueryError(f"{name}:{low}..{high} is empty: did you mean {name}:{high}..{low}?", at)
        return Number(name, low, high)
    number = _integer(name, value, at)
    low, high = {
        ":": (number, number),
        "=": (number, number),
        ">": (number + 1, None),
        ">=": (number, None),
        "<": (None, number - 1),
        "<=": (None, number),
    }[op]
    return Number(name, low, high)


def _integer(name: str, text: str, at: int) -> int:
    if not _INTEGER.fullmatch(text):
        if not text:
            raise QueryError(f"{name} needs a whole number, as in {name}>=80", at)
        raise QueryError(f"{name} needs a whole number, as in {name}>=80; not {_quote(text)}", at)
    return int(text)


_DURATION = re.compile(r"(\d{1,9})([a-zA-Z]+)?", re.ASCII)


def _age(op: str, value: str, at: int, position: int) -> Term:
    op, value, at, bounds = _inside_colon(op, value, at, _duration, "age", ("a duration", "age:1d..7d"))
    if bounds is not None:
        low, high = bounds
        if low is not None and high is not None and low > high:
            low_text, _, high_text = value.partition("..")
            raise QueryError(f"age:{low_text}..{high_text} is empty: the shorter age comes first", at)
        result = _and([Age(">=", low) if low is not None else None, Age("<=", high) if high is not None else None])
        assert result is not None
        return result
    if op in (":", "="):
        raise QueryError("age needs a comparison, as in age<7d (or a range, age:1d..7d)", position)
    return Age(op, _duration(value, at))


def _duration(text: str, at: int) -> int:
    duration = _DURATION.fullmatch(text)
    unit = duration.group(2).lower() if duration and duration.group(2) else ""
    if duration is None or unit not in _AGE_UNITS:
        shown = f"; not {_quote(text)}" if text else ""
        raise QueryError(
            f"age needs a number and a unit: m (minutes), h (hours), d (days) or w (weeks), as in age<7d{shown}", at
        )
    return int(duration.group(1)) * _AGE_UNITS[unit]


_DAY = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", re.ASCII)


def _date(name: str, op: str, value: str, at: int) -> Date:
    if name in ("after", "before"):
        start, _, spelled = _period(name, value, at)
        return Date(start, None, f"after:{spelled}") if name == "after" else Date(None, start, f"before:{spelled}")
    if op == ":":
        compared = _COMPARISON.fullmatch(value)
        assert compared is not None
        if compared.group(1):
            op, value, at = compared.group(1), compared.group(2), at + len(compared.group(1))
        elif ".." in value:
            low_text, _, high_text = value.partition("..")
            if not low_text and not high_text:
                raise QueryError("date: a range needs a date on at least one side, as in date:2024-01..2024-03", at)
            low, _, low_spelled = _period(name, low_text, at) if low_text else (None, None, "")
            _, high, high_spelled = _period(name, high_text, at + len(low_text) + 2) if high_text else (None, None, "")
            if low is not None and high is not None and low >= high:
                raise QueryError(f"date:{low_spelled}..{high_spelled} is empty: the earlier date comes first", at)
            return Date(low, high, f"date:{low_spelled}..{high_spelled}")
        else:
            op = "="
    start, end, spelled = _period(name, value, at)
    low, high = {
        "=": (start, end),
        ">": (end, None),
        ">=": (start, None),
        "<": (None, start),
        "<=": (None, end),
    }[op]
    if op == ">" and end is None:  # after the end of the year 9999
        low, high = 0, 0
    shown = f"date:{spelled}" if op == "=" else f"date{op}{spelled}"
    return Date(low, high, shown)


def _period(name: str, text: str, at: int) -> tuple[int, int | None, str]:
    """(start, end or None past 9999, normal spelling) of a year, month or day, in UTC seconds."""
    day = _DAY.fullmatch(text.strip())
    try:
        if day is None:
            raise ValueError
        year, month, mday = int(day.group(1)), day.group(2), day.group(3)
        start = datetime(year, int(month or 1), int(mday or 1), tzinfo=UTC)
        if mday is not None:
            spelled, after = f"{year:04d}-{int(month):02d}-{int(mday):02d}", _next_day
        elif month is not None:
            spelled, after = f"{year:04d}-{int(month):02d}", _next_month
        else:
            spelled, after = f"{year:04d}", _next_year
    except ValueError:
        shown = f"; not {_quote(text)}" if text else ""
        raise QueryError(f"{name} needs a date: a year, month or day, as in {name}:2024-03-15{shown}", at) from None
    end = after(start)
    return int(start.timestamp()), (int(end.timestamp()) if end is not None else None), spelled


def _next_day(start: datetime) -> datetime | None:
    try:
        return start + timedelta(days=1)
    except OverflowError:
        return None


def _next_month(start: datetime) -> datetime | None:
    if start.month < 12:
        return start.replace(month=start.month + 1)
    return _next_year(start)


def _next_year(start: datetime) -> datetime | None:
    return start.replace(year=start.year + 1, month=1) if start.year < 9999 else None


# --- the normal spelling --------------------------------------------------------------------


def _spell(term: Term) -> str:
    kind = type(term)
    if kind is Text:
        return _spell_tokens(term.tokens)
    if kind is FieldText:
        return f"{term.field}:{_spell_tokens(term.tokens)}"
    if kind is Domain:
        return f"domain:{term.host}"
    if kind is Number:
        name, low, high = term.field, term.low, term.high
        if low is not None and low == high:
            return f"{name}={low}"
        if high is None:
            return f"{name}>={low}"
        if low is None:
            return f"{name}<={high}"
        return f"{name}:{low}..{high}"
    if kind is Date:
        return term.shown
    if kind is Age:
        return f"age{term.op}{_spell_duration(term.seconds)}"
    if kind is State:
        return f"is:{term.name}"
    if kind is Not:
        inner = term.term
        return f"-({_spell(inner)})" if isinstance(inner, (And, Or)) else f"-{_spell(inner)}"
    if kind is Or:
        return " OR ".join(f"({_spell(t)})" if isinstance(t, And) else _spell(t) for t in term.terms)
    return " ".join(_spell(t) for t in term.terms)


def _spell_tokens(found: tuple[str, ...]) -> str:
    return found[0] if len(found) == 1 else '"' + " ".join(found) + '"'


def _spell_duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"  # not reached: every unit is whole minutes


def _walk(term: Term | None) -> Iterable[Term]:
    if term is None:
        return
    yield term
    if isinstance(term, Not):
        yield from _walk(term.term)
    elif isinstance(term, (And, Or)):
        for child in term.terms:
            yield from _walk(child)


def highlight_terms(query: Query) -> list[str]:
    """The words and phrases whose matches show (``match_spans``): those not excluded by ``-``.

    A term matched as a prefix (the last word while typing) ends with ``*``.
    """
    found: list[str] = []

    def visit(term: Term, negated: bool) -> None:
        if isinstance(term, Not):
            visit(term.term, not negated)
        elif isinstance(term, (And, Or)):
            for child in term.terms:
                visit(child, negated)
        elif isinstance(term, Text) and not negated:
            spelled = " ".join(term.tokens) + ("*" if term.prefix else "")
            if spelled not in found:
                found.append(spelled)

    if query.root is not None:
        visit(query.root, False)
    return found


# --- finding matches in a text, for highlighting ----------------------------------------------


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    return fold(char)


_ASCII_RUN = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]")


def _folded_with_origins(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, unless folding kept every position, the original index of each folded character."""
    if text.isascii():
        return text.lower(), None
    pieces: list[str] = []
    origins: list[int] = []
    for run in _ASCII_RUN.finditer(text):
        piece = run.group()
        start = run.start()
        if len(piece) > 1 or piece.isascii():
            pieces.append(piece.lower())
            origins.extend(range(start, run.end()))
        else:
            folded = _fold_char(piece)
            pieces.append(folded)
            origins.extend(repeat(start, len(folded)))
    return "".join(pieces), origins


def match_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Where the terms (``highlight_terms``) occur in a text: sorted, merged (start, end) character spans.

    Matched as search matches: ignoring case and accents, whole words (the start
    of a word for a term ending in ``*``), a phrase across any punctuation or
    space between its words.
    """
    patterns = []
    for term in terms:
        prefix = term.endswith("*")
        found = tokens(term.rstrip("*") if prefix else term)
        if found:
            pattern = r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, found)) + ("" if prefix else r"(?![^\W_])")
            patterns.append(pattern)
    if not patterns or not text:
        return []
    folded, origins = _folded_with_origins(text)
    spans: list[tuple[int, int]] = []
    for pattern in patterns:
        for match in re.finditer(pattern, folded):
            start, end = match.span()
            if origins is not None:
                start, end = origins[start], origins[end - 1] + 1
                while end < len(text) and not text[end].isascii() and _fold_char(text[end]) == "":
                    end += 1  # a combining mark after the last letter belongs to it
            spans.append((start, end))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


# --- one article ------------------------------------------------------------------------------


class _NoMarks:
    read: frozenset[str] = frozenset()
    starred: frozenset[str] = frozenset()
    new: frozenset[str] = frozenset()


NO_MARKS: Marks = _NoMarks()


def _field_values(summary: ArticleSummary, field: str) -> Sequence[str]:
    if field == "topic":
        return summary.topics
    if field == "provider":
        return (summary.provider.name, summary.provider.domain)
    if field == "category":
        return (summary.category,)
    if field == "author":
        return getattr(summary, "authors", ())
    return (summary.type,)


def _text_values(summary: ArticleSummary) -> tuple[str, ...]:
    """The values a word may match in: title, provider, topics, authors."""
    return (summary.title, summary.provider.label, *summary.topics, *getattr(summary, "authors", ()))


def host_of(url: str | None) -> str:
    """The host of a link in its normal form (``text.safe_url``), folded, without port or a leading ``www.``."""
    if not url:
        return ""
    _, _, rest = url.partition("://")
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if authority.startswith("["):
        host = authority[: authority.find("]") + 1]
    else:
        host = authority.rpartition(":")[0] if ":" in authority else authority
    return host.lower().removeprefix("www.")


def _host_matches(host: str, wanted: str, prefix: bool) -> bool:
    if not host:
        return False
    if prefix:
        return host.startswith(wanted) or f".{wanted}" in host
    return host == wanted or host.endswith(f".{wanted}")


def _age_bounds(term: Age, now: float) -> tuple[float | None, bool, float | None, bool]:
    """(low, low included, high, high included) of publication times, for an age condition now."""
    moment = now - term.seconds
    return {
        "<": (moment, False, None, False),
        "<=": (moment, True, None, False),
        ">": (None, False, moment, False),
        ">=": (None, False, moment, True),
    }[term.op]


def matches(
    query: Query,
    summary: ArticleSummary,
    state: Marks | None = None,
    *,
    now: float | None = None,
    excerpt: str = "",
    body: str = "",
) -> bool:
    """Whether one article matches (``state``: the reading state; ``now``: the clock for ``age``, in epoch seconds).

    ``excerpt`` is searched as the words are; ``body`` by the words of an ``in:body`` query.
    """
    if query.root is None:
        return True
    return _Article(summary, state or NO_MARKS, time.time() if now is None else now, excerpt, body).test(query.root)


def searchable(text: str) -> str:
    """A text as words and phrases are looked for in it (``found_in``): its folded tokens, spaced."""
    return _padded(text)


def found_in(term: Text, text: str) -> bool:
    """Whether a word or phrase is in a ``searchable`` text: whole words (the start of one for a prefix)."""
    return _needle(term.tokens, term.prefix) in text


class _Article:
    """One article, folded on demand, tested against a syntax tree."""

    def __init__(self, summary: ArticleSummary, state: Marks, now: float, excerpt: str, body: str = "") -> None:
        self.summary = summary
        self.state = state
        self.now = now
        self.excerpt = excerpt
        self.body = body
        self._values: list[str] | None = None
        self._body: str | None = None

    def test(self, term: Term) -> bool:
        kind = type(term)
        summary = self.summary
        if kind is And:
            return all(self.test(t) for t in term.terms)
        if kind is Or:
            return any(self.test(t) for t in term.terms)
        if kind is Not:
            return not self.test(term.term)
        if kind is Text:
            if self._values is None:
                self._values = [_padded(v) for v in _text_values(summary)]
                if self.excerpt:
                    self._values.append(_padded(self.excerpt))
            needle = _needle(term.tokens, term.prefix)
            if any(needle in value for value in self._values):
                return True
            if not term.body or not self.body:
                return False
            if self._body is None:
                self._body = _padded(self.body)
            return needle in self._body
        if kind is FieldText:
            needle = _needle(term.tokens, term.prefix)
            return any(needle in _padded(value) for value in _field_values(summary, term.field))
        if kind is Domain:
            return _host_matches(host_of(summary.url), term.host, term.prefix)
        if kind is Number:
            value = getattr(summary, term.field)
            return (
                value is not None
                and (term.low is None or value >= term.low)
                and (term.high is None or value <= term.high)
            )
        if kind is Date:
            if summary.published_at is None:
                return False
            stamp = summary.published_at.timestamp()
            return (term.low is None or stamp >= term.low) and (term.high is None or stamp < term.high)
        if kind is Age:
            if summary.published_at is None:
                return False
            stamp = summary.published_at.timestamp()
            low, low_in, high, high_in = _age_bounds(term, self.now)
            if low is not None and not (stamp >= low if low_in else stamp > low):
                return False
            return high is None or (stamp <= high if high_in else stamp < high)
        assert kind is State
        name = term.name
        if name == "draft":
            return not summary.published
        if name == "unread":
            return summary.id not in self.state.read
        return summary.id in getattr(self.state, name)


# --- a whole library -------------------------------------------------------------------------


class FullText(Protocol):
    """A full-text index's answer to one word or phrase (``fulltext.py``): the paths of the
    articles it is in, in text the in-memory index does not have (the excerpt; the body
    when ``term.body``), or None when it cannot say now (not built yet, unavailable).

    ``version`` is any value that changes whenever an answer may have changed (the index was updated).
    """

    @property
    def version(self) -> object: ...

    def __call__(self, term: Text) -> Collection[str] | None: ...


# Results of single conditions kept per index, so that typing the next letter of
# the last word recomputes only that word (one byte per article each: 6.4 MB at
# most at 100,000 articles).
LEAF_CACHE_SIZE = 64


class SearchIndex:
    """What answering queries over one library's articles needs, built once, each part on first use.

    A set of articles is an int with one byte per article (1: in the set), so
    AND, OR and NOT are single big-integer operations. Words use an inverted
    index (token -> array of article indexes); a phrase intersects its words'
    lists, then checks the candidates' folded text (one string for the whole
    library). Scores are one byte per article (the rank of its value), so a
    comparison is one ``bytes.translate``; dates are one sorted order, so a
    date range is two bisections.

    Safe to use from several threads. ``prepare()`` builds every part ahead of
    the first query (about a second at 100,000 articles; otherwise the first
    word typed pays about 0.6 s for the word index, a first field, date or
    domain condition up to 0.1 s).

    A ``FullText`` lookup (given here or later with ``use_full_text``) adds its
    matches to each word and phrase: the articles at those paths match too.
    """

    def __init__(
        self,
        articles: Sequence[ArticleSummary],
        excerpts: Sequence[str] | None = None,
        full_text: FullText | None = None,
    ) -> None:
        """``excerpts``, when given, one per article in the same order, are searched as words and phrases too."""
        self.articles = articles
        self.size = len(articles)
        self._excerpts = excerpts
        self._full_text = full_text
        self._full_text_version: int | None = None
        self._by_path: dict[str, int] | None = None
        self._lock = threading.RLock()
        self._ones = int.from_bytes(b"\x01" * self.size, "little")
        self._words: dict[str, array] | None = None
        self._vocabulary: list[str] | None = None
        self._text = ""
        self._starts = array("q")
        self._fields: dict[str, dict[str, array]] = {}
        self._hosts: dict[str, array] | None = None
        self._scores: dict[str, tuple[bytes, list[int]] | list[int | None]] = {}
        self._dates: tuple[array, list[float], bytes] | None = None
        self._ids: list[str] | None = None
        self._drafts: int | None = None
        self._leaves: OrderedDict[Term | tuple[str, str, bool], int] = OrderedDict()
        self._marks: tuple[object, dict[str, int]] | None = None
        self._prepared = False

    def __len__(self) -> int:
        return self.size

    def prepare(self) -> None:
        """Build every part now (from a worker thread: about a second at 100,000 articles), so that
        no query typed later pays for one (the word index alone is about 0.6 s, the others up to 0.1 s each).

        While it runs, ``filter`` waits for it.
        """
        with self._lock:
            self._build_all()
            self._prepared = True

    def _rows(self) -> Sequence[ArticleSummary]:
        return self.articles

    def _column(self, name: str):
        """A column of ``columns.ArticleColumns``, when the articles are those (None otherwise):
        a part is then built from the columns, making no summary (at 100,000 articles, 75 MB less at the peak)."""
        return getattr(self.articles, name, None) if not isinstance(self.articles, list) else None

    def _per_article(self, codes_name: str, values_name: str, shape) -> Iterable:
        """Each article's value of a coded column (providers, topics, …), shaped once per distinct value."""
        codes, values = self._column(codes_name), self._column(values_name)
        shaped = [shape(value) for value in values]
        return map(shaped.__getitem__, codes)

    def _text_rows(self) -> Iterable[tuple[str, str, Sequence[str], Sequence[str]]]:
        """(title, provider, topics, authors) of each article: what words match in."""
        titles = self._column("titles")
        if titles is None:
            return ((s.title, s.provider.label, s.topics, getattr(s, "authors", ())) for s in self._rows())
        return zip(
            titles.tolist(),
            self._per_article("provider_codes", "providers", lambda provider: provider.label),
            self._per_article("topic_codes", "topic_lists", tuple),
            self._per_article("author_codes", "author_lists", tuple),
            strict=True,
        )

    def _field_rows(self, field: str) -> Iterable[Sequence[str]]:
        """Each article's values of a field (``_field_values``)."""
        if self._column("titles") is None:
            return (_field_values(summary, field) for summary in self._rows())
        if field == "topic":
            return self._per_article("topic_codes", "topic_lists", tuple)
        if field == "provider":
            return self._per_article("provider_codes", "providers", lambda p: (p.name, p.domain))
        if field == "category":
            return self._per_article("category_codes", "categories", lambda c: (c,))
        if field == "author":
            return self._per_article("author_codes", "author_lists", tuple)
        return self._per_article("type_codes", "types", lambda t: (t,))

    def _urls(self) -> Iterable[str | None]:
        columns = self.articles
        if self._column("titles") is None:
            return (summary.url for summary in self._rows())
        return (columns._url(index) for index in range(len(columns)))

    def _build_all(self) -> None:
        """Every part (each is otherwise built on first use)."""
        self._word_index()
        for field in TEXT_FIELDS:
            self._field_index(field)
        self._host_index()
        for field in NUMBER_FIELDS:
            self._score_index(field)
        self._date_index()
        self._draft_bits()

    @property
    def ready(self) -> bool:
        """Whether ``prepare`` has run: every query is then answered in milliseconds."""
        return self._prepared

    def use_full_text(self, full_text: FullText | None, *, map_paths: bool = True) -> None:
        """Words and phrases match where this lookup finds them too (None: in memory only).

        Call it from a worker thread: the map from path to article that its answers need is
        made here (50 ms at 100,000 articles), outside the lock, so that neither the UI thread
        nor the thread finding answers (holding the lock while the UI's filter waits) makes it.
        ``map_paths=False``: not now (a lookup that answers only ``in:body``, seldom: 16 MB kept
        for nothing at 100,000 articles); the first answer makes it.
        """
        if full_text is not None and map_paths and self._by_path is None:
            self._paths_map()
        with self._lock:
            self._full_text = full_text
            self._full_text_version = None
            self._leaves.clear()

    def _check_full_text(self) -> None:
        """Forget the results of single conditions made with answers the full-text index has changed since."""
        full_text = self._full_text
        if full_text is not None and full_text.version != self._full_text_version:
            self._full_text_version = full_text.version
            self._leaves.clear()

    def filter(
        self,
        query: Query,
        state: Marks | None = None,
        candidates: Sequence[int] | None = None,
        *,
        now: float | None = None,
    ) -> array:
        """The indexes of the articles that match: among ``candidates`` in their order, else all in index order."""
        if query.root is None:
            return array("i", range(self.size) if candidates is None else candidates)
        with self._lock:
            self._check_full_text()
            bits = self._bits(query.root, state or NO_MARKS, time.time() if now is None else now)
        flags = bits.to_bytes(self.size, "little")
        if candidates is None:
            return array("i", compress(range(self.size), flags))
        return array("i", compress(candidates, map(flags.__getitem__, candidates)))

    def count(self, query: Query, state: Marks | None = None, *, now: float | None = None) -> int:
        """How many articles match (for a saved search's node)."""
        if query.root is None:
            return self.size
        with self._lock:
            self._check_full_text()
            bits = self._bits(query.root, state or NO_MARKS, time.time() if now is None else now)
        return bits.bit_count()

    # --- evaluation ---------------------------------------------------------------

    def _bits(self, term: Term, state: Marks, now: float) -> int:
        kind = type(term)
        if kind is And:
            result = self._ones
            for child in term.terms:
                result &= self._bits(child, state, now)
                if not result:
                    break
            return result
        if kind is Or:
            result = 0
            for child in term.terms:
                result |= self._bits(child, state, now)
            return result
        if kind is Not:
            return self._bits(term.term, state, now) ^ self._ones
        if kind is State:
            return self._state_bits(term.name, state)
        if kind is Age:
            return self._date_bits(*_age_bounds(term, now))
        cached = self._leaves.get(term)
        if cached is not None:
            self._leaves.move_to_end(term)
            return cached
        if kind is Text:
            bits, final = self._text_bits(term)
            if not final:  # the full-text index could not answer yet: asked again next time
                return bits
        elif kind is FieldText:
            bits = self._field_bits(term)
        elif kind is Domain:
            bits = self._domain_bits(term)
        elif kind is Number:
            bits = self._number_bits(term)
        else:
            assert kind is Date
            bits = self._date_bits(term.low, True, term.high, False)
        return self._remember(term, bits)

    def _remember(self, term: Term | tuple[str, str, bool], bits: int) -> int:
        self._leaves[term] = bits
        if len(self._leaves) > LEAF_CACHE_SIZE:
            self._leaves.popitem(last=False)
        return bits

    def _set_of(self, lists: Iterable[Sequence[int]]) -> int:
        flags = bytearray(self.size)
        put = flags.__setitem__
        for indexes in lists:
            deque(map(put, indexes, repeat(1)), maxlen=0)
        return int.from_bytes(flags, "little")

    # --- words and phrases ---------------------------------------------------------

    def _word_index(self) -> dict[str, array]:
        if self._words is not None:
            return self._words
        words: dict[str, array] = {}
        get = words.get
        known: dict[str, str] = {}  # provider, topic and author names repeat: fold each once
        parts: list[str] = []
        starts = array("q")
        position = 0
        excerpts = self._excerpts
        for index, (title, provider, topics, authors) in enumerate(self._text_rows()):
            values = [_padded(title)]
            for name in (provider, *topics, *authors):
                value = known.get(name)
                if value is None:
                    value = known[name] = _padded(name)
                values.append(value)
            if excerpts is not None:
                values.append(_padded(excerpts[index]))
            text = "\n".join(values) + "\n"
            starts.append(position)
            position += len(text)
            parts.append(text)
            for token in set(text.split()):
                postings = get(token)
                if postings is None:
                    postings = words[token] = array("i")
                postings.append(index)
        starts.append(position)
        self._text = "".join(parts)
        self._starts = starts
        self._words = words
        return words

    def _token_lists(self, token: str, prefix: bool) -> list[array]:
        words = self._word_index()
        if not prefix:
            postings = words.get(token)
            return [postings] if postings is not None else []
        if self._vocabulary is None:
            self._vocabulary = sorted(words)
        vocabulary = self._vocabulary
        lists = []
        for position in range(bisect.bisect_left(vocabulary, token), len(vocabulary)):
            word = vocabulary[position]
            if not word.startswith(token):
                break
            lists.append(words[word])
        return lists

    def _text_bits(self, term: Text) -> tuple[int, bool]:
        """(the articles with the word or phrase, whether that answer may be kept: the full-text index gave its part)."""
        bits = self._memory_text_bits(term)
        if self._full_text is None:
            return bits, True
        paths = self._full_text(term)
        if paths is None:
            return bits, False
        if paths:
            bits |= self._paths_bits(paths)
        return bits, True

    def _memory_text_bits(self, term: Text) -> int:
        words = term.tokens
        last = len(words) - 1
        bits = self._ones
        for position, token in enumerate(words):
            bits &= self._token_bits(token, term.prefix and position == last)
            if not bits:
                return 0
        if len(words) == 1:
            return bits
        # A phrase: the articles that have every word, checked for the words in a row.
        needle = _needle(words, term.prefix)
        text, starts = self._text, self._starts
        candidates = compress(range(self.size), bits.to_bytes(self.size, "little"))
        return self._set_of([[i for i in candidates if needle in text[starts[i] : starts[i + 1]]]])

    def _paths_bits(self, paths: Iterable[str]) -> int:
        """The articles at these paths (those the library does not hold are left out)."""
        # In C, not a loop of Python (a common word is ~100,000 paths at 100,000 articles, and the
        # thread doing this holds the lock the UI's next key waits for): a path the library does
        # not hold marks the byte past the end, cut off.
        size = self.size
        flags = bytearray(size + 1)
        deque(map(flags.__setitem__, map(self._paths_map().get, paths, repeat(size)), repeat(1)), maxlen=0)
        return int.from_bytes(memoryview(flags)[:size], "little")

    def path_indexes(self) -> Mapping[str, int]:
        """Each article's path -> its index (made once, then kept: ``use_full_text`` makes it)."""
        return self._paths_map()

    def _paths_map(self) -> dict[str, int]:
        by_path = self._by_path
        if by_path is None:
            by_path = self._by_path = {path: index for index, path in enumerate(article_paths(self.articles))}
        return by_path

    def _token_bits(self, token: str, prefix: bool) -> int:
        # Not Text((token,), prefix): a word's own result adds what the full-text index finds.
        key = ("token", token, prefix)
        cached = self._leaves.get(key)
        if cached is not None:
            self._leaves.move_to_end(key)
            return cached
        return self._remember(key, self._set_of(self._token_lists(token, prefix)))

    # --- fields -----------------------------------------------------------------------

    def _field_index(self, field: str) -> dict[str, array]:
        """Each value of a text field (folded, padded) -> the articles with it, built on first use."""
        index = self._fields.get(field)
        if index is None:
            index = {}
            known: dict[str, str] = {}
            for position, names in enumerate(self._field_rows(field)):
                seen = set()
                for name in names:
                    value = known.get(name)
                    if value is None:
                        value = known[name] = _padded(name)
                    if value not in seen:
                        seen.add(value)
                        index.setdefault(value, array("i")).append(position)
            self._fields[field] = index
        return index

    def _field_bits(self, term: FieldText) -> int:
        needle = _needle(term.tokens, term.prefix)
        index = self._field_index(term.field)
        return self._set_of([members for value, members in index.items() if needle in value])

    def _host_index(self) -> dict[str, array]:
        if self._hosts is None:
            hosts: dict[str, array] = {}
            for position, url in enumerate(self._urls()):
                hosts.setdefault(host_of(url), array("i")).append(position)
            self._hosts = hosts
        return self._hosts

    def _domain_bits(self, term: Domain) -> int:
        hosts = self._host_index()
        return self._set_of([members for host, members in hosts.items() if _host_matches(host, term.host, term.prefix)])

    # --- scores and dates -------------------------------------------------------------

    def _score_index(self, field: str) -> tuple[bytes, list[int]] | list[int | None]:
        """(each article's rank among the distinct values, 0 for none; those values): a comparison is
        then one ``bytes.translate``. With 256 distinct values or more, the values themselves."""
        scores = self._scores.get(field)
        if scores is None:
            column = self._column(field)
            if column is not None:  # NO_SCORE (-1): none
                values = [None if value < 0 else value for value in column]
            else:
                values = [getattr(summary, field) for summary in self._rows()]
            distinct = sorted({value for value in values if value is not None})
            if len(distinct) < 256:
                rank = {value: position for position, value in enumerate(distinct, 1)}
                rank[None] = 0
                scores = (bytes(map(rank.__getitem__, values)), distinct)
            else:
                scores = values
            self._scores[field] = scores
        return scores

    def _number_bits(self, term: Number) -> int:
        scores = self._score_index(term.field)
        low, high = term.low, term.high
        if isinstance(scores, tuple):
            ranks, distinct = scores
            table = bytearray(256)
            for position, value in enumerate(distinct, 1):
                table[position] = (low is None or value >= low) and (high is None or value <= high)
            return int.from_bytes(ranks.translate(table), "little")
        flags = bytes(
            value is not None and (low is None or value >= low) and (high is None or value <= high) for value in scores
        )
        return int.from_bytes(flags, "little")

    def _date_index(self) -> tuple[array, list[float], bytes]:
        """(the dated articles by publication time, their times in that order, a flag per article: dated)."""
        if self._dates is None:
            dates = self._column("dates")
            if dates is not None:  # NaN: undated
                stamps = [None if stamp != stamp else stamp for stamp in dates]
            else:
                stamps = [s.published_at.timestamp() if s.published_at is not None else None for s in self._rows()]
            order = array("i", sorted((i for i, s in enumerate(stamps) if s is not None), key=stamps.__getitem__))
            dated = bytearray(self.size)
            deque(map(dated.__setitem__, order, repeat(1)), maxlen=0)
            self._dates = (order, [stamps[i] for i in order], bytes(dated))
        return self._dates

    def _date_bits(self, low: float | None, low_in: bool, high: float | None, high_in: bool) -> int:
        order, sorted_stamps, dated = self._date_index()
        start = 0 if low is None else (bisect.bisect_left if low_in else bisect.bisect_right)(sorted_stamps, low)
        end = (
            len(order)
            if high is None
            else (bisect.bisect_right if high_in else bisect.bisect_left)(sorted_stamps, high)
        )
        if end <= start:
            return 0
        if (end - start) * 2 <= len(order):
            return self._set_of([order[start:end]])
        # Most dated articles match: clear the few that do not.
        flags = bytearray(dated)
        clear = flags.__setitem__
        deque(map(clear, order[:start], repeat(0)), maxlen=0)
        deque(map(clear, order[end:], repeat(0)), maxlen=0)
        return int.from_bytes(flags, "little")

    # --- reading state ------------------------------------------------------------------

    def _draft_bits(self) -> int:
        if self._drafts is None:
            published = self._column("published")
            if published is not None:
                self._drafts = int.from_bytes(published, "little") ^ self._ones
            else:
                self._drafts = int.from_bytes(bytes(not s.published for s in self._rows()), "little")
        return self._drafts

    def _state_bits(self, name: str, state: Marks) -> int:
        if name == "draft":
            return self._draft_bits()
        if self._marks is None or self._marks[0] is not state:
            self._marks = (state, {})  # one reading state at a time: a mark makes a new one
        known = self._marks[1]
        key = "read" if name == "unread" else name
        bits = known.get(key)
        if bits is None:
            if self._ids is None:
                id_list = getattr(self.articles, "id_list", None)  # shared with the library (columns)
                self._ids = id_list() if id_list is not None else [s.id for s in self._rows()]
            ids: frozenset[str] = getattr(state, key)
            bits = int.from_bytes(bytes(map(ids.__contains__, self._ids)), "little") if ids else 0
            known[key] = bits
        return bits ^ self._ones if name == "unread" else bits


def article_paths(articles: Sequence[ArticleSummary]) -> list[str]:
    """Every article's path, in order: from a column when the sequence keeps one (``columns.ArticleColumns``,
    where making each summary would cost 30 µs), else from each summary."""
    paths = getattr(articles, "paths", None)
    if paths is not None and hasattr(paths, "tolist"):
        return paths.tolist()
    return [summary.path for summary in articles]


_last_index: tuple[Sequence[ArticleSummary], int, SearchIndex] | None = None
_last_index_lock = threading.Lock()


def search_index(articles: Sequence[ArticleSummary]) -> SearchIndex:
    """The SearchIndex of a sequence of articles: the one made last time for this very sequence, else a new one.

    Only the last one is kept: a library should hold its own and pass it.
    """
    global _last_index
    with _last_index_lock:
        last = _last_index
        if last is not None and last[0] is articles and last[1] == len(articles):
            return last[2]
        index = SearchIndex(articles)
        _last_index = (articles, len(articles), index)
        return index


def filter_indexes(
    query: Query,
    articles: Sequence[ArticleSummary] | SearchIndex,
    state: Marks | None = None,
    candidates: Sequence[int] | None = None,
    *,
    now: float | None = None,
    full_text: FullText | None = None,
) -> array:
    """The indexes (into ``articles``) of the articles that match ``query``.

    ``candidates``: only these indexes, and in their order (a node's sorted
    view); else every article, in index order. ``articles`` is best a
    ``SearchIndex`` built once per library; a plain sequence uses
    ``search_index``. ``now`` (epoch seconds) is the clock ``age`` is measured by.
    ``full_text``: a lookup whose matches the words and phrases add (a sequence
    of articles then gets a SearchIndex of its own).
    """
    if isinstance(articles, SearchIndex):
        index = articles
    elif full_text is not None:
        index = SearchIndex(articles, full_text=full_text)
    else:
        index = search_index(articles)
    return index.filter(query, state, candidates, now=now)
