"""reader.frontmatter: YAML, TOML and JSON front matter, each with the same guarantees.

Time and memory are bounded whatever a file holds, a broken block is one
clear reason naming what is wrong, and nothing else ever escapes: not a
RecursionError from a block nested 100,000 deep, not a parser's own exception.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import write_article
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader import frontmatter
from reader.folder_loader import FolderLoader
from reader.loading import MAX_RELATED, Skipped, load_file, read_text
from reader.model import Article, LoadError

SAMPLE = Path(__file__).resolve().parent.parent / "data"


def bounded(function, seconds: float):
    """Run ``function`` in a thread; fail rather than hang if it takes longer than ``seconds``."""
    result: list = []
    failure: list = []

    def target() -> None:
        try:
            result.append(function())
        except BaseException as error:  # handed back to the test below
            failure.append(error)

    worker = threading.Thread(target=target, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"did not finish within {seconds} s")
    if failure:
        raise failure[0]
    assert time.monotonic() - started < seconds
    return result[0]


def load_text(tmp_path: Path, text: str, seconds: float = 5) -> Article | LoadError | Skipped:
    write_article(tmp_path, "post.md", text)
    return bounded(lambda: load_file(tmp_path, "post.md"), seconds)


def reason_of(tmp_path: Path, text: str, seconds: float = 5) -> str:
    outcome = load_text(tmp_path, text, seconds)
    assert isinstance(outcome, LoadError), outcome
    assert "\n" not in outcome.reason
    return outcome.reason


# --- which format -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("---\ntitle: T\n---\nBody", "yaml"),
        ("+++\ntitle = 'T'\n+++\nBody", "toml"),
        ('{\n  "title": "T"\n}\nBody', "json"),
        ('{"title": "T"}\nBody', "json"),
        ('---json\n{"title": "T"}\n---\nBody', "json"),
        ("---yaml\ntitle: T\n---\nBody", "yaml"),
        ("---toml\ntitle = 'T'\n---\nBody", "toml"),
    ],
)
def test_the_format_is_told_by_how_the_file_starts(text, language):
    found = frontmatter.split(text)
    assert found is not None and found[0] == language
    fields, body = frontmatter.read(text)
    assert fields == {"title": "T"}
    assert body.strip() == "Body"


@pytest.mark.parametrize(
    "text",
    [
        "# A README\n\nNo front matter.",
        "{{< youtube id >}}\n\nA Hugo page that starts with a shortcode.",
        "{% include header.html %}\nLiquid first.",
        "++ not quite\n",
        "--- not a fence\ntitle: T\n---\n",
        "[1, 2, 3]\n",
    ],
)
def test_text_without_a_front_matter_is_none(text):
    assert frontmatter.read(text) is None


def test_a_body_after_each_format_is_kept(tmp_path):
    for text in (
        "+++\ntitle = 'T'\n+++\n\nThe body.\n",
        '{"title": "T"}\n\nThe body.\n',
        "---\ntitle: T\n---\nThe body.\n",
    ):
        article = load_text(tmp_path, text)
        assert isinstance(article, Article)
        assert article.body == "The body."


# --- TOML -------------------------------------------------------------------------------


def test_toml_values_are_read_with_their_types(tmp_path):
    article = load_text(
        tmp_path,
        '+++\ntitle = "Typed"\ndate = 2024-02-02T04:14:54-08:00\nquality = 71\ndraft = false\n'
        'tags = ["a", "b"]\n[params]\nauthor = "Ann"\n+++\n',
    )
    assert isinstance(article, Article)
    assert (article.title, article.quality, article.published, article.topics, article.authors) == (
        "Typed",
        71,
        True,
        ("a", "b"),
        ("Ann",),
    )
    assert article.published_at.isoformat() == "2024-02-02T12:14:54+00:00"


@pytest.mark.parametrize(
    "nesting",
    [
        "a = " + "[" * 100_000 + "]" * 100_000,
        "a = " + "[" * 100_000,
        "a = " + "{b = " * 100_000 + "}" * 100_000,
        "a = [" + "{b = [" * 50_000,
    ],
)
def test_toml_nested_100000_deep_is_one_clear_reason(tmp_path, nesting):
    assert reason_of(tmp_path, f"+++\ntitle = 'T'\n{nesting}\n+++\n") == "front matter is nested too deeply"


@pytest.mark.parametrize(
    "key",
    [
        ".".join(["a"] * 30_000) + " = 1",  # 16 s in tomllib without the guard
        " . ".join(["a"] * 30_000) + " = 1",
        ".".join(['"a"'] * 30_000) + " = 1",
        "[" + ".".join(["a"] * 30_000) + "]",
        "x = {" + ".".join(["a"] * 30_000) + " = 1}",
    ],
)
def test_a_toml_key_of_thousands_of_parts_is_refused_quickly(tmp_path, key):
    reason = reason_of(tmp_path, f"+++\n{key}\n+++\n", seconds=2)
    assert reason == "front matter is nested too deeply (a key of 64 parts or more)"


def test_a_toml_key_of_a_few_parts_and_text_full_of_dots_are_fine(tmp_path):
    article = load_text(
        tmp_path,
        "+++\ntitle = 'Dots...'\n" + ".".join(["a"] * 10) + " = 1\nexcerpt = '" + "Yes. " * 2000 + "'\n+++\n",
    )
    assert isinstance(article, Article) and article.title == "Dots..."


def test_a_huge_toml_front_matter_is_refused_by_size(tmp_path):
    reason = reason_of(tmp_path, "+++\na = [" + "1," * 600_000 + "]\n+++\n")
    assert reason == "TOML front matter too large (over 1,000 KB)"


def test_a_long_plain_toml_list_loads_in_bounded_time(tmp_path):
    related = "".join(f'[[related]]\ntitle = "Story {n}"\nwebUrl = "https://example.com/{n}"\n' for n in range(10_000))
    article = load_text(tmp_path, f"+++\ntitle = 'Many'\n{related}+++\n", seconds=10)
    assert isinstance(article, Article)
    assert len(article.related) == MAX_RELATED


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("+++\ntitle = \n+++\n", "invalid TOML: "),
        ("+++\ntitle = 'a'\ntitle = 'b'\n+++\n", "invalid TOML: "),
        ("+++\ntitle = 'never closed'\n", "front matter has no closing '+++' line"),
    ],
)
def test_broken_toml_is_one_clear_reason(tmp_path, text, start):
    assert reason_of(tmp_path, text).startswith(start)


# --- JSON -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "json_text",
    [
        '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"a": ' + "[" * 100_000,
        '{"a": ' + '{"b": ' * 100_000 + "}" * 100_000 + "}",
    ],
)
def test_a_json_bomb_is_one_clear_reason(tmp_path, json_text):
    assert reason_of(tmp_path, json_text + "\nBody\n") == "front matter is nested too deeply"


@pytest.mark.parametrize(
    ("json_text", "start"),
    [
        ('{"title": "unterminated\n', "invalid JSON: "),
        ('{"title": "T",}\n', "invalid JSON: "),
        ('{"a": ' + "9" * 5000 + "}\n", "invalid JSON: Exceeds the limit"),
        ('---json\n{"title": "T"\n---\n', "invalid JSON: "),
    ],
)
def test_broken_json_is_one_clear_reason(tmp_path, json_text, start):
    assert reason_of(tmp_path, json_text).startswith(start)


def test_a_long_json_list_loads_quickly_and_keeps_the_first_related_stories(tmp_path):
    stories = [{"title": f"Story {n}", "webUrl": f"https://example.com/{n}"} for n in range(10_000)]
    article = load_text(tmp_path, json.dumps({"title": "Many", "related": stories}) + "\n")
    assert isinstance(article, Article)
    assert [story.title for story in article.related] == [f"Story {n}" for n in range(MAX_RELATED)]


# --- YAML: long lists load, bombs do not -------------------------------------------------

STORY = """  - title: "Story {n} about something"
    excerpt: "Short excerpt {n}."
    publishedDateTime: 2021-06-22T16:47:00Z
    webUrl: "https://example.com/{n}"
    provider:
      name: Hackster
      domain: hackster.io
    quality: 63
"""


def test_a_valid_front_matter_with_10000_related_stories_loads_and_keeps_the_first_100(tmp_path):
    # It was rejected as "too complex (over 20,000 YAML structures)".
    related = "".join(STORY.format(n=n) for n in range(10_000))
    text = f"---\ntitle: Many related\nrelated:\n{related}topics: [AI]\n---\n"
    article = load_text(tmp_path, text, seconds=10)
    assert isinstance(article, Article)
    assert article.title == "Many related" and article.topics == ("AI",)  # keys after the list are read
    assert [story.title for story in article.related] == [f"Story {n} about something" for n in range(100)]


def test_four_megabytes_of_tiny_mappings_load_in_bounded_time(tmp_path):
    # 9 s through libyaml's loader; the list is cut, the rest still parsed.
    text = "---\ntitle: Tiny\nx:\n" + "".join(f"  - {{a: {n}}}\n" for n in range(250_000)) + "---\n"
    article = load_text(tmp_path, text, seconds=10)
    assert isinstance(article, Article) and article.title == "Tiny"


def test_a_large_front_matter_of_too_many_values_is_one_clear_reason(tmp_path):
    text = "---\ntitle: Keys\n" + "".join(f"k{n}: {n}\n" for n in range(200_000)) + "---\n"
    assert reason_of(tmp_path, text, seconds=10) == "front matter too complex (over 100,000 YAML values)"


def test_a_syntax_error_after_a_long_list_is_still_found(tmp_path):
    related = "".join(STORY.format(n=n) for n in range(2_000))
    assert reason_of(tmp_path, f"---\ntitle: T\nrelated:\n{related}bad: [unclosed\n---\n").startswith("invalid YAML: ")


def test_an_alias_to_a_dropped_item_reads_as_null(tmp_path):
    items = "".join(f"  - item{n}\n" for n in range(frontmatter.MAX_LIST_ITEMS)) + "  - &late dropped\n"
    padding = "pad: '" + "x" * 70_000 + "'\n"
    article = load_text(tmp_path, f"---\ntitle: T\n{padding}list:\n{items}excerpt: *late\n---\n")
    assert isinstance(article, Article) and article.excerpt == ""


@pytest.mark.parametrize(
    "source",
    [
        "a: !!python/object/apply:os.system ['true']\n",
        "a: b\n---\nc: d\n",
        "a: *undefined\n",
        "? [unhashable]\n: 1\n",
        "a: !!set {x, y}\n",
        "<<: 3\n",
    ],
)
def test_a_large_front_matter_refuses_what_the_reference_refuses(source):
    padded = "pad: '" + "x" * 70_000 + "'\n" + source
    with pytest.raises(yaml.YAMLError):
        frontmatter.parse_yaml(padded)


def _padded_sources() -> list[tuple[str, str]]:
    sources = []
    for path in sorted(SAMPLE.rglob("*")):
        if path.suffix in (".md", ".txt") and path.name != "README.md":
            found = frontmatter.split(read_text(path).replace("\r\n", "\n"))
            assert found is not None
            sources.append((path.name, found[1] + "padding: '" + "x" * 70_000 + "'\n"))
    return sources


def test_the_large_front_matter_parser_agrees_with_the_reference_on_the_sample():
    sources = _padded_sources()
    assert len(sources) >= 40
    for name, source in sources:
        assert len(source) > 64 * 1024
        assert frontmatter.parse_yaml(source) == yaml.load(source, Loader=frontmatter.ArticleLoader), name


@pytest.mark.parametrize(
    "source",
    [
        "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n",
        "c:\n  <<: [{x: 1}, {x: 2, z: 3}]\n  <<: {q: 1}\n  x: 9\n",
        "l: [1, yes, 0o17, 012, 1:20, 2021-13-45, 2021-06-23T04:14:00Z, ~, 1e3, .inf, '08', !!str 5, !!int '7']\n",
        "=: 1\nyes: no\n2021-01-01: date key\n",
        "a: &x text\nb: *x\n",
        "",
    ],
)
def test_the_large_front_matter_parser_agrees_with_the_reference_on_yaml_features(source):
    padded = source + "pad: '" + "x" * 70_000 + "'\n"
    assert frontmatter.parse_yaml(padded) == yaml.load(padded, Loader=frontmatter.ArticleLoader)


def test_a_recursive_alias_is_shared_not_expanded():
    padded = "a: &x [1, *x]\npad: '" + "x" * 70_000 + "'\n"
    value = frontmatter.parse_yaml(padded)["a"]
    assert value[1] is value


# --- never an exception, whatever the front matter ----------------------------------------

TOML_FRAGMENTS = [
    "title",
    "date",
    "tags",
    "author",
    "=",
    " = ",
    '"',
    "'",
    "'''",
    '"""',
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    ",",
    ".",
    "\n",
    "#",
    "1979-05-27T07:32:00Z",
    "1979-05-27",
    "07:32:00",
    "inf",
    "nan",
    "0x1F",
    "1_000",
    "true",
    "\\u0000",
    "\\",
    "\x1b[31m",
    "\u202e",
    "+++",
    "---",
    "params",
    "taxonomies",
]
toml_ish = st.lists(st.one_of(st.sampled_from(TOML_FRAGMENTS), st.text(max_size=8)), max_size=40).map("".join)

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)
json_objects = st.dictionaries(
    st.one_of(
        st.sampled_from(["title", "date", "tags", "author", "authors", "excerpt", "draft", "related"]),
        st.text(max_size=8),
    ),
    json_values,
    max_size=8,
)


# Never on screen: C0 controls but newline and tab, DEL, C1, bidi controls.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _check(outcome: object) -> None:
    assert isinstance(outcome, (Article, LoadError, Skipped))
    if isinstance(outcome, Article):
        for line in (outcome.title, *outcome.topics, *outcome.authors, outcome.category):
            assert isinstance(line, str) and "\n" not in line and not FORBIDDEN.search(line), repr(line)
        assert not FORBIDDEN.search(outcome.excerpt + outcome.body)
    else:
        assert outcome.reason and "\n" not in outcome.reason and not FORBIDDEN.search(outcome.reason)


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and controls escaped, the rest as it is."""
    escaped = "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F or c in '"\\' else c for c in text)
    return f'"{escaped}"'


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(front=toml_ish, body=st.text(max_size=50))
def test_toml_ish_front_matter_never_raises_out_of_load_file(tmp_path, front, body):
    write_article(tmp_path, "fuzz.md", f"+++\n{front}\n+++\n{body}")
    _check(load_file(tmp_path, "fuzz.md"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=json_objects, cut=st.integers(min_value=0, max_value=400), eleventy=st.booleans())
def test_json_ish_front_matter_never_raises_out_of_load_file(tmp_path, fields, cut, eleventy):
    text = json.dumps(fields)
    text = text[: max(cut, 1)] if cut < len(text) else text  # often cut short: broken JSON
    text = f"---json\n{text}\n---\nBody" if eleventy else f"{text}\nBody"
    write_article(tmp_path, "fuzz.md", text)
    outcome = load_file(tmp_path, "fuzz.md")
    _check(outcome)
    if cut >= len(json.dumps(fields)) and isinstance(outcome, LoadError):
        pytest.fail(f"valid JSON front matter refused: {outcome.reason}")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=json_objects)
def test_valid_toml_from_any_values_loads(tmp_path, fields):
    lines = []
    for key, value in fields.items():
        if isinstance(value, str):
            lines.append(f"{toml_string(key)} = {toml_string(value)}")
        elif isinstance(value, (bool, int)) and abs(value) < 2**63:
            lines.append(f"{toml_string(key)} = {json.dumps(value)}")
    write_article(tmp_path, "fuzz.md", "+++\n" + "\n".join(lines) + "\n+++\nBody\n")
    outcome = load_file(tmp_path, "fuzz.md")
    _check(outcome)
    assert isinstance(outcome, Article), outcome


def test_a_folder_of_broken_blocks_in_every_format_gives_one_line_each(tmp_path):
    bad = {
        "deep.md": "+++\na = " + "[" * 100_000 + "\n+++\n",
        "bomb.md": '{"a": ' + "[" * 100_000 + "\n",
        "open.md": "+++\ntitle = 'x'\n",
        "js.md": "---js\n{}\n---\n",
        "yaml.md": "---\n: : [\n---\n",
    }
    for name, text in bad.items():
        write_article(tmp_path, name, text)
    write_article(tmp_path, "good.md", "+++\ntitle = 'Good'\n+++\n")
    library = bounded(lambda: FolderLoader(tmp_path, workers=1).load(), 20)
    assert sorted(e.path for e in library.errors) == sorted(bad)
    assert [a.title for a in library.articles] == ["Good"]
