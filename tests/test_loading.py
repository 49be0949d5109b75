"""reader.loading: one file -> one normalised Article, or one reason it is not one.

Every normalisation rule of the article format has a test here, and so does
every kind of bad file a real folder holds: each must give exactly one
LoadError naming the file, and never stop the other files loading.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from conftest import front_matter, write_article
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader import frontmatter
from reader.folder_loader import FolderLoader
from reader.library import Library
from reader.loading import FileEntry, Skipped, load_file, load_summary, read_text, walk
from reader.model import Article, LoadError, Provider
from reader.text import MAX_EXCERPT_CHARS, identity_url

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data"
SEED_NAME = "000_3a2cf1b7735a9b42.txt"

# What must never reach the screen: C0 controls but newline and tab, DEL, C1,
# the bidi controls, and the private-use stand-ins loading uses for raw C1.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ue080-\ue09f]")

GOOD = front_matter(
    title='"A good article"',
    webUrl='"https://example.com/good"',
    quality=50,
    topics="[AI]",
)


def load_text(tmp_path: Path, text: str | bytes, name: str = "article.md") -> Article | LoadError | Skipped:
    write_article(tmp_path, name, text)
    return load_file(tmp_path, name)


def load_article(tmp_path: Path, text: str | bytes, name: str = "article.md") -> Article:
    outcome = load_text(tmp_path, text, name)
    assert isinstance(outcome, Article), outcome
    return outcome


def article_with(tmp_path: Path, **fields: object) -> Article:
    fields.setdefault("title", '"Title"')
    return load_article(tmp_path, front_matter(**fields))


def run_bounded(function: Callable[[], object], seconds: float, unblock: Callable[[], None] | None = None) -> object:
    """Run ``function`` in a thread; fail (instead of hanging the suite) if it takes longer than ``seconds``."""
    result: list[object] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(function())
        except BaseException as error:
            failure.append(error)

    worker = threading.Thread(target=target, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        if unblock is not None:
            unblock()
        pytest.fail(f"did not finish within {seconds} s")
    if failure:
        raise failure[0]
    assert time.monotonic() - started < seconds
    return result[0]


def load_folder(root: Path) -> Library:
    return FolderLoader(root, workers=1).load()


def assert_one_error_beside_a_good_file(root: Path, bad_name: str, seconds: float = 10) -> LoadError:
    """Load the folder holding ``bad_name`` and a good article: one LoadError for it, the good one loaded."""
    write_article(root, "good.md", GOOD)
    library = run_bounded(lambda: load_folder(root), seconds)
    assert [a.path for a in library.articles] == ["good.md"]
    assert len(library.errors) == 1, library.errors
    error = library.errors[0]
    assert error.path == bad_name
    assert error.reason and "\n" not in error.reason
    assert str(error).startswith(f"{bad_name}: ")
    return error


def assert_clean(article: Article) -> None:
    texts = [
        article.title,
        article.excerpt,
        article.body,
        article.category,
        article.type,
        article.provider.name,
        article.provider.domain,
        *article.topics,
    ]
    for story in article.related:
        texts += [story.title, story.excerpt, story.type, story.provider.name, story.provider.domain]
    for text in texts:
        assert isinstance(text, str)
        assert not FORBIDDEN.search(text), repr(text)
    for line in (article.title, article.category, article.type, *article.topics):
        assert "\n" not in line and "\t" not in line, repr(line)
    for url in (article.web_url, article.original_url, article.amp_url, article.cdn_amp_url, article.url):
        assert url is None or (url.startswith(("http://", "https://")) and not FORBIDDEN.search(url)), repr(url)


# --- the real example ---------------------------------------------------------------


def test_the_seed_file_loads_with_every_field_normalised():
    article = load_file(SAMPLE / "2021" / "06", SEED_NAME)
    assert isinstance(article, Article)
    assert article.title == "EU data regulators call for a ban on AI-based facial recognition software"
    assert article.excerpt.startswith("EU’s data protection agencies")  # mojibake repaired, curly kept
    assert article.category == "news"
    assert article.type == "article"
    assert article.quality == 53
    assert article.heat is None  # -1: no data
    assert article.published is False and article.is_draft
    assert article.published_at == datetime(2021, 6, 23, 4, 14, tzinfo=UTC)
    assert article.provider == Provider("GDPR fines", "itp.net")
    assert article.topics == ("Computer Vision", "AI")
    assert [story.title for story in article.related] == [
        "AnyVision AI facial recognition software available on Ambarella chips",
        "Ambarella Launches New Edge AI Computer Vision Chips, Boasts of Major Performance Gains",
    ]
    assert article.related[0].quality == 71
    assert article.related[0].provider == Provider("Biometric Companies", "biometricupdate.com")
    assert article.secured.startswith("cXKfayPs1dcd") and article.secured.endswith(";e65b1H9IEzZXCXnN709RgQ==")
    assert article.body == ""
    assert article.id == identity_url(article.web_url)


# --- text ------------------------------------------------------------------------------


def test_mojibake_is_repaired_once_at_load(tmp_path):
    article = article_with(tmp_path, title='"EUâ€™s new rules"', excerpt='"It isnâ€™t over"')
    assert article.title == "EU’s new rules"
    assert article.excerpt == "It isn’t over"


def test_mojibake_with_a_c1_byte_is_repaired(tmp_path):
    # “ and ” read as cp1252: the closing quote's last byte is the C1 control 0x9D.
    article = article_with(tmp_path, title='"â€œQuotedâ€\x9d title"')
    assert article.title == "“Quoted” title"


def test_mojibake_with_a_c1_byte_in_the_body_is_repaired(tmp_path):
    article = load_article(tmp_path, "---\ntitle: T\n---\nShe said â€œyesâ€\x9d.\n")
    assert article.body == "She said “yes”."


def test_raw_escape_sequences_in_a_title_are_removed_whole(tmp_path):
    article = load_article(tmp_path, "---\ntitle: Red \x1b[31malert\x1b[0m now\x1b]0;pwned\x07!\n---\n")
    assert not FORBIDDEN.search(article.title)
    assert article.title == "Red alert now!"


def test_escaped_control_characters_in_yaml_strings_are_removed(tmp_path):
    # YAML's own escapes produce real controls after parsing: those go too.
    article = article_with(tmp_path, title=r'"a\e[31mb\x07c\u202ed"', excerpt=r'"x\0y\x7fz"')
    assert article.title == "abcd"
    assert article.excerpt == "xyz"


def test_a_lone_c1_control_never_survives(tmp_path):
    # ftfy may read a lone C1 as the cp1252 character it stands for; it is never kept as a control.
    article = article_with(tmp_path, title=r'"a\x9bb\x85c"')
    assert not FORBIDDEN.search(article.title)
    assert article.title.startswith("a") and article.title.endswith("c")


def test_bidi_overrides_are_removed(tmp_path):
    article = article_with(tmp_path, title='"invoice\u202efdp.exe \u2066isolated\u2069"')
    assert article.title == "invoicefdp.exe isolated"


def test_newlines_in_a_title_are_folded(tmp_path):
    article = article_with(tmp_path, title='"Line one\\nline two\\r\\n  line three"')
    assert article.title == "Line one line two line three"


def test_a_block_scalar_title_is_folded_to_one_line(tmp_path):
    article = load_article(tmp_path, "---\ntitle: |\n  First line\n  second line\n---\n")
    assert article.title == "First line second line"


def test_excerpt_keeps_its_newlines(tmp_path):
    article = article_with(tmp_path, excerpt='"one\\ntwo"')
    assert article.excerpt == "one\ntwo"


def test_markup_like_brackets_are_kept_as_plain_text(tmp_path):
    article = article_with(tmp_path, title="'[bold red]Not markup[/] [link=x]'")
    assert article.title == "[bold red]Not markup[/] [link=x]"


def test_a_number_as_title_becomes_text(tmp_path):
    assert article_with(tmp_path, title=2021).title == "2021"


# --- title fallback ---------------------------------------------------------------------


def test_a_missing_title_falls_back_to_the_file_name(tmp_path):
    article = load_article(tmp_path, front_matter(category="news") + "Some text.\n", name="2021/06/my-story.md")
    assert "my-story" in article.title


@pytest.mark.parametrize("title", ['""', '"   "', "null", "[a, b]", "{a: 1}", '"\\x1b[31m"'])
def test_an_empty_or_unusable_title_falls_back_to_the_file_name(tmp_path, title):
    article = load_article(tmp_path, front_matter(title=title), name="fallback-name.md")
    assert "fallback-name" in article.title


# --- scores ---------------------------------------------------------------------------


def test_quality_and_heat_integers_are_kept(tmp_path):
    article = article_with(tmp_path, quality=71, heat=12)
    assert (article.quality, article.heat) == (71, 12)


def test_heat_minus_one_means_no_data(tmp_path):
    assert article_with(tmp_path, heat=-1).heat is None


def test_heat_zero_is_a_value_not_missing(tmp_path):
    assert article_with(tmp_path, heat=0).heat == 0


def test_quality_given_as_a_string_becomes_an_integer(tmp_path):
    assert article_with(tmp_path, quality='"71"').quality == 71


@pytest.mark.parametrize("value", ["true", '"high"', "[1, 2]", "{a: 1}", "null", ".nan", ".inf", "-5", '""'])
def test_unusable_scores_become_none(tmp_path, value):
    article = article_with(tmp_path, quality=value, heat=value)
    assert article.quality is None
    assert article.heat is None


def test_missing_scores_are_none(tmp_path):
    article = article_with(tmp_path)
    assert article.quality is None and article.heat is None


# --- published ----------------------------------------------------------------------


def test_published_false_is_a_draft(tmp_path):
    assert article_with(tmp_path, published="false").is_draft


def test_missing_published_means_published(tmp_path):
    assert article_with(tmp_path).published is True


@pytest.mark.parametrize(("value", "expected"), [('"false"', False), ('"no"', False), ("0", False), ('"true"', True)])
def test_published_in_other_shapes(tmp_path, value, expected):
    assert article_with(tmp_path, published=value).published is expected


# --- dates ---------------------------------------------------------------------------------


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_full_utc_timestamp(tmp_path):
    assert article_with(tmp_path, publishedDateTime="2021-06-23T04:14:00Z").published_at == utc(2021, 6, 23, 4, 14)


def test_a_quoted_timestamp_is_parsed_too(tmp_path):
    assert article_with(tmp_path, publishedDateTime='"2021-06-23T04:14:00Z"').published_at == utc(2021, 6, 23, 4, 14)


def test_an_offset_timestamp_becomes_utc(tmp_path):
    moment = article_with(tmp_path, publishedDateTime="2021-06-23T06:14:00+02:00").published_at
    assert moment == utc(2021, 6, 23, 4, 14)
    assert moment.utcoffset().total_seconds() == 0


def test_a_date_only_is_midnight_utc(tmp_path):
    moment = article_with(tmp_path, publishedDateTime="2021-06-23").published_at
    assert moment == utc(2021, 6, 23)
    assert moment.tzinfo is not None


def test_a_timestamp_without_a_zone_is_taken_as_utc(tmp_path):
    for value in ("2021-06-23T04:14:00", '"2021-06-23 04:14:00"'):
        moment = article_with(tmp_path, publishedDateTime=value).published_at
        assert moment == utc(2021, 6, 23, 4, 14)
        assert moment.tzinfo is not None


def test_an_integer_epoch_in_seconds(tmp_path):
    assert article_with(tmp_path, publishedDateTime=1624421640).published_at == utc(2021, 6, 23, 4, 14)


def test_an_integer_epoch_in_milliseconds(tmp_path):
    assert article_with(tmp_path, publishedDateTime=1624421640000).published_at == utc(2021, 6, 23, 4, 14)


def test_an_epoch_as_a_string(tmp_path):
    assert article_with(tmp_path, publishedDateTime='"1624421640"').published_at == utc(2021, 6, 23, 4, 14)


def test_an_rss_style_date(tmp_path):
    moment = article_with(tmp_path, publishedDateTime='"Wed, 23 Jun 2021 04:14:00 GMT"').published_at
    assert moment == utc(2021, 6, 23, 4, 14)


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        '"not a date at all"',
        "2021-13-45",
        "2021-02-30",
        "2021-06-23T25:61:00Z",
        "9999-12-31",
        "9999-01-01T00:00:00Z",
        "9999-12-31T23:59:59-01:00",  # out of range once turned into UTC
        "0001-01-01T00:00:00+01:00",
        "0001-01-01",
        "1e30",
        "-99999999999999999",
        "99999999999999999999999",
        "true",
        "[2021, 6, 23]",
        "{year: 2021}",
        '""',
        "null",
    ],
)
def test_garbage_impossible_and_out_of_range_dates_become_none(tmp_path, value):
    article = article_with(tmp_path, publishedDateTime=value)  # the article itself still loads
    assert article.published_at is None


def test_a_bad_related_date_loses_only_that_date(tmp_path):
    text = front_matter(title="T").replace(
        "---\n", "---\nrelated:\n  - title: R\n    publishedDateTime: 9999-12-31T23:59:59-01:00\n", 1
    )
    article = load_article(tmp_path, text)
    assert [story.title for story in article.related] == ["R"]
    assert article.related[0].published_at is None


def test_dates_are_always_aware_utc(tmp_path):
    for value in ("2021-06-23", "2021-06-23T04:14:00", "2021-06-23T04:14:00-05:00", 1624421640):
        moment = article_with(tmp_path, publishedDateTime=value).published_at
        assert moment is not None and moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0


# --- topics ------------------------------------------------------------------------------


def test_topics_as_a_list(tmp_path):
    assert article_with(tmp_path, topics="[Computer Vision, AI]").topics == ("Computer Vision", "AI")


def test_a_single_topic_as_a_plain_string(tmp_path):
    assert article_with(tmp_path, topics="AI").topics == ("AI",)


def test_topics_are_trimmed_and_unique_in_first_seen_order(tmp_path):
    article = article_with(tmp_path, topics='["  AI ", AI, Robotics, "AI", "   ", "Robotics\\n"]')
    assert article.topics == ("AI", "Robotics")


@pytest.mark.parametrize("value", ["null", "{a: 1}", "true", "[]", "[null, [x], {a: 1}]"])
def test_unusable_topics_become_an_empty_tuple(tmp_path, value):
    assert article_with(tmp_path, topics=value).topics == ()


def test_numeric_topics_become_text(tmp_path):
    assert article_with(tmp_path, topics="[5G, 2021]").topics == ("5G", "2021")


def test_topics_are_bounded(tmp_path):
    many = "[" + ", ".join(f"t{i}" for i in range(1_000)) + "]"
    assert 0 < len(article_with(tmp_path, topics=many).topics) <= 100


def test_topics_as_a_comma_separated_string(tmp_path):
    assert article_with(tmp_path, topics='"AI, Robotics ,, Space"').topics == ("AI", "Robotics", "Space")


def test_topics_tags_and_keywords_are_merged(tmp_path):
    article = article_with(tmp_path, topics="[AI]", tags="[Robotics, ai]", keywords='"space, AI"')
    assert article.topics == ("AI", "Robotics", "space")  # "ai" is AI again: the first spelling stays


def test_the_same_topic_in_another_case_or_form_is_one_topic(tmp_path):
    assert article_with(
        tmp_path, topics='[Machine Learning, "machine  learning", "ＭＡＣＨＩＮＥ learning"]'
    ).topics == ("Machine Learning",)


def test_zola_taxonomies_are_topics_and_a_category(tmp_path):
    article = article_with(tmp_path, taxonomies="{tags: [rust, web], categories: [programming, notes]}")
    assert article.topics == ("rust", "web")
    assert article.category == "programming"


# --- category -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"category": "news", "categories": "[other]"}, "news"),  # category first
        ({"categories": "[Opinion, Essays]"}, "Opinion"),
        ({"categories": '"Opinion, Essays"'}, "Opinion"),
        ({"categories": '"jekyll update"'}, "jekyll"),  # Jekyll: space-separated
        ({"categories": "[null, 7]"}, "7"),
        ({"category": '""', "categories": "[Fallback]"}, "Fallback"),
        ({"categories": "{a: 1}"}, ""),
    ],
)
def test_category_else_the_first_of_categories(tmp_path, fields, expected):
    assert article_with(tmp_path, **fields).category == expected


# --- authors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"author": '"Jane Doe"'}, ("Jane Doe",)),
        ({"author": '"Smith, Jane"'}, ("Smith, Jane",)),  # one name, comma and all
        ({"authors": "[Ann, Bo, ann]"}, ("Ann", "Bo")),
        ({"by": "[Pat Gopher, Sam Compiler]"}, ("Pat Gopher", "Sam Compiler")),
        ({"author": "{name: Ana Lima, email: ana@example.com}"}, ("Ana Lima",)),
        ({"authors": "[{name: A}, B, {email: x}, 7, null, [nested]]"}, ("A", "B", "7")),
        ({"authors": "[]", "author": "Fallback"}, ("Fallback",)),  # the first that names someone
        ({"params": "{author: Hugo Param}"}, ("Hugo Param",)),
        ({"extra": "{author: Zola Extra}"}, ("Zola Extra",)),
        ({"author": "true"}, ()),
        ({}, ()),
    ],
)
def test_authors_in_each_shape(tmp_path, fields, expected):
    article = article_with(tmp_path, **fields)
    assert article.authors == expected
    assert article.summary().authors == expected


def test_authors_are_clean_and_bounded(tmp_path):
    article = article_with(tmp_path, authors="[" + ", ".join(f'"a{n}\\x1b[31m"' for n in range(100)) + "]")
    assert len(article.authors) == 20
    assert all(not FORBIDDEN.search(name) and name.startswith("a") for name in article.authors)


# --- the usual names of other tools ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"date": "2025-01-29 18:15:32 +0530"}, datetime(2025, 1, 29, 12, 45, 32, tzinfo=UTC)),  # Jekyll
        ({"date": '"2019-03-05"'}, datetime(2019, 3, 5, tzinfo=UTC)),
        ({"date": "2019-03-05"}, datetime(2019, 3, 5, tzinfo=UTC)),
        ({"publishDate": "2020-01-02T03:04:05-01:00"}, datetime(2020, 1, 2, 4, 4, 5, tzinfo=UTC)),
        ({"pubDate": '"Jul 08 2022"'}, datetime(2022, 7, 8, tzinfo=UTC)),  # Astro's blog template
        ({"pubDate": '"Wed, 23 Jun 2021 04:14:00 GMT"'}, datetime(2021, 6, 23, 4, 14, tzinfo=UTC)),
        ({"published": "2021-06-01"}, datetime(2021, 6, 1, tzinfo=UTC)),  # Hugo's alias of publishDate
        ({"published": "true", "created": "2020-02-02"}, datetime(2020, 2, 2, tzinfo=UTC)),
        ({"publishedDateTime": "2021-06-23T04:14:00Z", "date": "2000-01-01"}, datetime(2021, 6, 23, 4, 14, tzinfo=UTC)),
        ({"date": "garbage", "created": "2020-02-02"}, datetime(2020, 2, 2, tzinfo=UTC)),  # the first usable
        ({"date": "2024-4-09"}, datetime(2024, 4, 9, tzinfo=UTC)),  # a Go blog post's
    ],
)
def test_dates_under_the_usual_names(tmp_path, fields, expected):
    assert article_with(tmp_path, **fields).published_at == expected


def test_published_as_a_date_is_no_draft(tmp_path):
    assert article_with(tmp_path, published="2021-06-01").published is True


@pytest.mark.parametrize(
    ("fields", "published"),
    [
        ({"draft": "true"}, False),
        ({"draft": '"yes"'}, False),
        ({"draft": "false"}, True),
        ({"published": "false", "draft": "false"}, False),
        ({"published": "true", "draft": "true"}, False),
    ],
)
def test_draft_true_is_a_draft(tmp_path, fields, published):
    assert article_with(tmp_path, **fields).published is published


@pytest.mark.parametrize(
    ("fields", "web_url"),
    [
        ({"url": "/about/"}, None),  # a path on the site, not a link
        ({"url": "/about/", "link": "https://example.com/a"}, "https://example.com/a"),
        ({"canonical_url": "https://example.com/c"}, "https://example.com/c"),
        ({"canonicalURL": "https://example.com/C"}, "https://example.com/C"),
        ({"webUrl": "https://example.com/w", "url": "https://example.com/u"}, "https://example.com/w"),
        ({"link": "javascript:alert(1)"}, None),
    ],
)
def test_links_under_the_usual_names(tmp_path, fields, web_url):
    article = article_with(tmp_path, **fields)
    assert article.web_url == web_url
    assert article.url == web_url
    assert article.id == (identity_url(web_url) if web_url else "article.md")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2014-01-01-hello.md", datetime(2014, 1, 1, tzinfo=UTC)),
        ("posts/2021-03-05-bundle/index.md", datetime(2021, 3, 5, tzinfo=UTC)),
        ("2014/01/01/hello.md", datetime(2014, 1, 1, tzinfo=UTC)),
        ("2021-13-45-impossible.md", None),
        ("notes-2014-01-01.md", None),
        ("20140101.md", None),
        ("2021/06/000_3a2cf1b7735a9b42.txt", None),  # a seed file's folders by month
    ],
)
def test_without_a_date_field_the_date_in_the_file_name(tmp_path, name, expected):
    assert load_article(tmp_path, front_matter(title="T"), name=name).published_at == expected


@pytest.mark.parametrize(
    "field",
    ['path: "2026/03/26/1.94.1-release"', "permalink: /2014/01/01/hello/", 'url: "/blog/2026-03-26-x/"'],
)
def test_without_a_date_field_the_date_in_a_path_field(tmp_path, field):
    article = load_article(tmp_path, f"---\ntitle: T\n{field}\n---\n", name="post.md")
    assert article.published_at.date().isoformat() in ("2026-03-26", "2014-01-01")


def test_a_date_field_wins_over_the_file_name(tmp_path):
    article = load_article(tmp_path, front_matter(title="T", date="2020-01-01"), name="2014-01-01-hello.md")
    assert article.published_at == datetime(2020, 1, 1, tzinfo=UTC)


# --- files that are not articles ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "---\nredirect: /blog/maps\n---\n",
        "---\nredirect_to: /new/\nlayout: redirect\n---\n\n   \n",
        "+++\naliases = ['/old/']\n+++\n",
        "{}\n",
    ],
)
def test_a_redirect_stub_is_skipped_as_not_an_article(tmp_path, text):
    outcome = load_text(tmp_path, text)
    assert outcome == Skipped("article.md", "not an article: no title, date, excerpt or link, and no text")


@pytest.mark.parametrize(
    "text",
    [
        "---\nredirect: /x\n---\nBut it has text.\n",
        '---\ntitle: ""\n---\n',  # names a title, even an empty one
        "---\ndate: 2021-01-01\n---\n",
        "---\nsummary: Just a summary.\n---\n",
        "---\nwebUrl: https://example.com/a\n---\n",
        "---\noriginalUrl: https://example.com/a\n---\n",
    ],
)
def test_a_front_matter_naming_an_article_field_or_a_body_is_an_article(tmp_path, text):
    assert isinstance(load_text(tmp_path, text), Article)


@pytest.mark.parametrize("name", ["_index.md", "blog/_index.markdown"])
def test_a_section_index_page_is_skipped(tmp_path, name):
    outcome = load_text(tmp_path, front_matter(title="Blog", date="2021-01-01") + "Welcome.\n", name=name)
    assert outcome == Skipped(name, "a section's index page, not an article")


# --- provider ---------------------------------------------------------------------------------


def test_provider_as_a_mapping(tmp_path):
    article = article_with(tmp_path, provider="{name: GDPR fines, domain: itp.net}")
    assert article.provider == Provider("GDPR fines", "itp.net")


def test_provider_as_a_string_is_its_name(tmp_path):
    assert article_with(tmp_path, provider='"The Wire"').provider == Provider("The Wire", "")


def test_provider_as_a_list_takes_the_first_record(tmp_path):
    article = article_with(tmp_path, provider="[42, {name: First, domain: first.example}, {name: Second}]")
    assert article.provider == Provider("First", "first.example")


def test_missing_provider_is_an_empty_record(tmp_path):
    assert article_with(tmp_path).provider == Provider()


@pytest.mark.parametrize("value", ["42", "true", "[]", "[1, 2]", "null"])
def test_unusable_provider_is_an_empty_record(tmp_path, value):
    assert article_with(tmp_path, provider=value).provider == Provider()


def test_provider_fields_of_other_types_become_text_or_empty(tmp_path):
    article = article_with(tmp_path, provider="{name: [x], domain: 42}")
    assert article.provider == Provider("", "42")


# --- related -----------------------------------------------------------------------------------


def test_related_as_a_single_mapping(tmp_path):
    article = article_with(tmp_path, related="{title: Other story, webUrl: 'https://other.example/x', quality: '63'}")
    assert len(article.related) == 1
    story = article.related[0]
    assert (story.title, story.url, story.quality) == ("Other story", "https://other.example/x", 63)


@pytest.mark.parametrize("value", ['"just text"', "42", "true", "null", "[1, two, [3]]", "[{}, {excerpt: no title}]"])
def test_garbage_related_becomes_nothing(tmp_path, value):
    assert article_with(tmp_path, related=value).related == ()


def test_related_keeps_good_records_among_garbage(tmp_path):
    article = article_with(tmp_path, related="[1, {title: Kept}, text, {title: Also, webUrl: 'javascript:alert(1)'}]")
    assert [story.title for story in article.related] == ["Kept", "Also"]
    assert article.related[1].url is None


def test_related_without_a_title_uses_its_url(tmp_path):
    article = article_with(tmp_path, related="[{webUrl: 'https://other.example/x'}]")
    assert article.related[0].title == "https://other.example/x"


def test_related_text_is_cleaned(tmp_path):
    article = article_with(tmp_path, related='[{title: "Itâ€™s\\nback\\e[31m", excerpt: "a\\u202eb"}]')
    assert article.related[0].title == "It’s back"
    assert article.related[0].excerpt == "ab"


def test_related_is_bounded(tmp_path):
    many = "[" + ", ".join(f"{{title: t{i}}}" for i in range(500)) + "]"
    assert 0 < len(article_with(tmp_path, related=many).related) <= 100


# --- URLs and identity -------------------------------------------------------------------------


def test_the_link_to_open_is_original_url_first(tmp_path):
    article = article_with(
        tmp_path, originalUrl='"https://publisher.example/a"', webUrl='"https://aggregator.example/a"'
    )
    assert article.url == "https://publisher.example/a"
    assert article.summary().url == "https://publisher.example/a"


def test_the_link_to_open_falls_back_to_web_url(tmp_path):
    article = article_with(tmp_path, originalUrl='"javascript:alert(1)"', webUrl='"https://aggregator.example/a"')
    assert article.original_url is None
    assert article.url == "https://aggregator.example/a"


@pytest.mark.parametrize(
    "url",
    [
        '"javascript:alert(1)"',
        '"file:///etc/passwd"',
        '"data:text/html,x"',
        '"https://a b.example/"',
        '"https:///x"',
        "42",
        "[x]",
    ],
)
def test_urls_that_are_not_web_pages_are_dropped(tmp_path, url):
    article = article_with(tmp_path, webUrl=url, originalUrl=url, ampWebUrl=url, cdnAmpWebUrl=url)
    assert (article.web_url, article.original_url, article.amp_url, article.cdn_amp_url, article.url) == (None,) * 5


def test_a_url_with_a_raw_control_character_is_dropped(tmp_path):
    # A raw C1 byte must not slip through as its private-use stand-in.
    article = load_article(
        tmp_path, '---\ntitle: T\nwebUrl: "https://example.com/a\x85b"\noriginalUrl: https://example.com/c\x9bd\n---\n'
    )
    assert article.web_url is None
    assert article.original_url is None


def test_amp_urls_are_kept_when_safe(tmp_path):
    article = article_with(
        tmp_path,
        ampWebUrl='"https://x.example/a?amp"',
        cdnAmpWebUrl='"https://x-example.cdn.ampproject.org/c/s/x.example/a?amp"',
    )
    assert article.amp_url == "https://x.example/a?amp"
    assert article.cdn_amp_url.startswith("https://x-example.cdn.ampproject.org/")


def test_identity_is_the_normalised_web_url(tmp_path):
    article = article_with(tmp_path, webUrl='"HTTPS://WWW.Example.com/story/"')
    assert article.id == "https://www.example.com/story"


def test_identity_without_a_web_url_is_the_path(tmp_path):
    article = load_article(tmp_path, front_matter(title="T", webUrl='"javascript:x"'), name="2021/06/a.md")
    assert article.id == "2021/06/a.md"
    assert article.path == "2021/06/a.md"


# --- secured ----------------------------------------------------------------------------------


def test_secured_is_kept_but_never_shown(tmp_path):
    payload = "cXKfayPs1dcduxAM2n/etkNINtT7It7xhgJ2==;e65b1H9IEzZXCXnN709RgQ=="
    article = article_with(tmp_path, secured=f'"{payload}"')
    assert article.secured == payload  # never lost, never decoded
    summary = article.summary()
    assert not hasattr(summary, "secured")
    assert payload not in repr(summary)
    assert payload not in repr(article)


def test_secured_of_another_type_is_dropped(tmp_path):
    assert article_with(tmp_path, secured="[1, 2]").secured == ""


# --- other field shapes --------------------------------------------------------------------------


def test_category_and_type_are_single_lines(tmp_path):
    article = article_with(tmp_path, category='"news\\nand more"', type='"video\\x1b[31m"')
    assert (article.category, article.type) == ("news and more", "video")


def test_unknown_fields_are_ignored(tmp_path):
    assert article_with(tmp_path, somethingNew="[1, 2, 3]", title='"Still fine"').title == "Still fine"


def test_non_string_keys_do_not_break_loading(tmp_path):
    article = load_article(tmp_path, "---\ntitle: T\n1: one\n2021-06-23: date key\nnull: x\ntrue: y\n---\n")
    assert article.title == "T"


def test_the_body_is_kept_as_plain_text(tmp_path):
    article = load_article(tmp_path, "---\ntitle: T\n---\n# Heading\n\nSome *markdown* [link](http://x).\n")
    assert article.body == "# Heading\n\nSome *markdown* [link](http://x)."


def test_a_huge_body_is_capped(tmp_path):
    article = load_article(tmp_path, "---\ntitle: T\n---\n" + "word " * 200_000)
    assert 0 < len(article.body) <= 200_000


# --- encodings -----------------------------------------------------------------------------------


def test_cp1252_bytes_load_with_repaired_text(tmp_path):
    data = "---\ntitle: Café “quoted” EU’s rules — now\n---\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    article = load_article(tmp_path, data)
    assert article.title == "Café “quoted” EU’s rules — now"


def test_a_utf8_byte_order_mark_is_ignored(tmp_path):
    article = load_article(tmp_path, b"\xef\xbb\xbf" + "---\ntitle: Héllo\n---\n".encode())
    assert article.title == "Héllo"


def test_crlf_line_ends(tmp_path):
    article = load_article(tmp_path, b"---\r\ntitle: Hello\r\nexcerpt: |\r\n  one\r\n  two\r\n---\r\nbody\r\nline\r\n")
    assert article.title == "Hello"
    assert article.excerpt == "one\ntwo"
    assert article.body == "body\nline"


def test_old_mac_cr_line_ends(tmp_path):
    article = load_article(tmp_path, b"---\rtitle: Hello\r---\rbody\r")
    assert article.title == "Hello"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_a_byte_order_mark(tmp_path, encoding):
    text = "---\ntitle: Grüße ☃\n---\nbody\n"
    data = text.encode("utf-16") if encoding == "utf-16" else ("\ufeff" + text).encode(encoding)
    article = load_article(tmp_path, data)
    assert article.title == "Grüße ☃"
    assert article.body == "body"


# --- bad files: exactly one LoadError each, the rest still loads ----------------------------------


def test_invalid_yaml_is_one_error(tmp_path):
    write_article(tmp_path, "bad.md", "---\ntitle: [unclosed\nexcerpt: : :\n---\n")
    error = assert_one_error_beside_a_good_file(tmp_path, "bad.md")
    assert "YAML" in error.reason


def test_hostile_yaml_tags_are_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    write_article(
        tmp_path,
        "hostile.md",
        f"---\ntitle: !!python/object/apply:os.system ['touch {marker}']\n"
        f"excerpt: !!python/object/apply:subprocess.check_output [['touch', '{marker}']]\n---\n",
    )
    assert_one_error_beside_a_good_file(tmp_path, "hostile.md")
    assert not marker.exists()


def test_hostile_tag_on_its_own_line_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    write_article(tmp_path, "hostile.md", f"---\ntitle: T\nx: !!python/object/new:os.system\n  - touch {marker}\n---\n")
    assert_one_error_beside_a_good_file(tmp_path, "hostile.md")
    assert not marker.exists()


def test_front_matter_that_is_a_list_is_one_error(tmp_path):
    write_article(tmp_path, "list.md", "---\n- title: A\n- title: B\n---\n")
    error = assert_one_error_beside_a_good_file(tmp_path, "list.md")
    assert "list" in error.reason


def test_front_matter_that_is_a_string_is_one_error(tmp_path):
    write_article(tmp_path, "string.md", "---\njust some words\n---\n")
    error = assert_one_error_beside_a_good_file(tmp_path, "string.md")
    assert "string" in error.reason


def test_empty_front_matter_is_one_error(tmp_path):
    write_article(tmp_path, "nothing.md", "---\n---\nbody\n")
    assert_one_error_beside_a_good_file(tmp_path, "nothing.md")


def test_binary_data_named_md_is_one_error(tmp_path):
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
        + bytes(range(256)) * 4
    )
    write_article(tmp_path, "image.md", png)
    error = assert_one_error_beside_a_good_file(tmp_path, "image.md")
    assert "binary" in error.reason


def test_an_empty_file_is_one_error(tmp_path):
    write_article(tmp_path, "empty.md", b"")
    write_article(tmp_path, "blank.txt", b"  \n\n ")
    write_article(tmp_path, "good.md", GOOD)
    library = load_folder(tmp_path)
    assert sorted(e.path for e in library.errors) == ["blank.txt", "empty.md"]
    assert [a.path for a in library.articles] == ["good.md"]


def test_a_fifo_does_not_hang_the_loader(tmp_path):
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)

    def unblock() -> None:  # a reader stuck in open() gets a writer, so the suite can go on
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    write_article(tmp_path, "good.md", GOOD)
    library = run_bounded(lambda: load_folder(tmp_path), 10, unblock)
    assert [e.path for e in library.errors] == ["pipe.md"]
    assert [a.path for a in library.articles] == ["good.md"]
    outcome = run_bounded(lambda: load_file(tmp_path, "pipe.md"), 10, unblock)
    assert isinstance(outcome, LoadError) and outcome.path == "pipe.md"


def test_a_symlink_loop_is_one_error_each(tmp_path):
    os.symlink(tmp_path / "b.md", tmp_path / "a.md")
    os.symlink(tmp_path / "a.md", tmp_path / "b.md")
    write_article(tmp_path, "good.md", GOOD)
    library = run_bounded(lambda: load_folder(tmp_path), 10)
    assert sorted(e.path for e in library.errors) == ["a.md", "b.md"]
    assert [a.path for a in library.articles] == ["good.md"]
    outcome = load_file(tmp_path, "a.md")
    assert isinstance(outcome, LoadError) and outcome.path == "a.md"


def test_a_broken_symlink_is_one_error(tmp_path):
    os.symlink(tmp_path / "missing.md", tmp_path / "dangling.md")
    assert_one_error_beside_a_good_file(tmp_path, "dangling.md")


def test_a_symlinked_file_is_read_through(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    write_article(elsewhere, "real.txt", GOOD)
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(elsewhere / "real.txt", root / "linked.md")
    library = load_folder(root)
    assert [a.path for a in library.articles] == ["linked.md"]


def test_a_symlinked_folder_loop_does_not_trap_the_walk(tmp_path):
    write_article(tmp_path, "2021/06/good.md", GOOD)
    os.symlink(tmp_path, tmp_path / "2021" / "06" / "loop")  # a folder link back to the top
    os.symlink(tmp_path / "2021", tmp_path / "2021" / "06" / "up.md")  # one that even looks like an article
    entries = run_bounded(lambda: list(walk(tmp_path)), 10)
    assert len(entries) < 10
    assert [e.path for e in entries if isinstance(e, FileEntry)] == ["2021/06/good.md"]
    library = run_bounded(lambda: load_folder(tmp_path), 10)
    assert [a.path for a in library.articles] == ["2021/06/good.md"]
    assert all(e.path != "2021/06/good.md" for e in library.errors)


def test_a_huge_excerpt_loads_capped_in_bounded_time(tmp_path):
    huge = "lorem ipsum " * 175_000  # ~2 MB
    write_article(tmp_path, "huge.md", f'---\ntitle: Huge\nexcerpt: "{huge}"\n---\n')
    started = time.monotonic()
    outcome = run_bounded(lambda: load_file(tmp_path, "huge.md"), 10)
    assert time.monotonic() - started < 5
    assert isinstance(outcome, Article)
    assert 0 < len(outcome.excerpt) <= MAX_EXCERPT_CHARS


def test_a_huge_mojibake_excerpt_is_bounded_too(tmp_path):
    huge = "EUâ€™s " * 250_000  # every word needs repair
    write_article(tmp_path, "huge.md", f'---\ntitle: Huge\nexcerpt: "{huge}"\n---\n')
    started = time.monotonic()
    outcome = run_bounded(lambda: load_file(tmp_path, "huge.md"), 20)
    assert time.monotonic() - started < 5
    assert isinstance(outcome, Article)
    assert outcome.excerpt.startswith("EU’s EU’s")
    assert len(outcome.excerpt) <= MAX_EXCERPT_CHARS


def test_a_file_over_the_size_limit_is_one_error(tmp_path):
    write_article(tmp_path, "giant.md", "---\ntitle: Giant\n---\n" + "x" * (5 * 1024 * 1024))
    error = assert_one_error_beside_a_good_file(tmp_path, "giant.md")
    assert "large" in error.reason


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghijklmnop"
    for previous, name in itertools.pairwise(names[:levels]):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    last = names[levels - 1]
    lines += ["title: Laughs", f"topics: *{last}", f"related: *{last}", f"provider: *{last}", f"excerpt: *{last}"]
    return "---\n" + "\n".join(lines) + "\n---\n"


def test_an_alias_bomb_loads_or_is_rejected_quickly(tmp_path):
    write_article(tmp_path, "bomb.md", billion_laughs())
    write_article(tmp_path, "good.md", GOOD)
    started = time.monotonic()
    library = run_bounded(lambda: load_folder(tmp_path), 20)
    assert time.monotonic() - started < 5
    assert "good.md" in [a.path for a in library.articles]
    outcomes = [a.path for a in library.articles if a.path == "bomb.md"] + [e.path for e in library.errors]
    assert outcomes == ["bomb.md"]  # one outcome for the bomb, whichever it is


def test_a_small_alias_bomb_is_not_expanded_into_the_article(tmp_path):
    # 9**5 nodes is within what a parser may unfold; the article must stay small all the same.
    outcome = run_bounded(lambda: load_text(tmp_path, billion_laughs(5)), 20)
    if isinstance(outcome, Article):
        assert len(outcome.topics) <= 100
        assert len(outcome.related) <= 100
        assert outcome.title == "Laughs"


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_deep_nesting_is_one_error_or_loads_quickly(tmp_path, opening):
    closing = "]" if opening == "[" else "}"
    write_article(tmp_path, "deep.md", "---\ntitle: " + opening * 100_000 + closing * 100_000 + "\n---\n")
    write_article(tmp_path, "unbalanced.md", "---\ntitle: T\nx: " + opening * 100_000 + "\n---\n")
    write_article(tmp_path, "good.md", GOOD)
    library = run_bounded(lambda: load_folder(tmp_path), 20)
    assert sorted(e.path for e in library.errors) == ["deep.md", "unbalanced.md"]
    assert [a.path for a in library.articles] == ["good.md"]


def test_deep_block_nesting_is_handled(tmp_path):
    lines = ["---", "title: T"] + [" " * i + "- " for i in range(0, 2000 * 2, 2)] + ["---"]
    write_article(tmp_path, "deep.md", "\n".join(lines) + "\n")
    outcome = run_bounded(lambda: load_file(tmp_path, "deep.md"), 20)
    assert isinstance(outcome, (Article, LoadError))


def test_a_missing_closing_line_is_one_error(tmp_path):
    write_article(tmp_path, "open.md", "---\ntitle: Never closed\nexcerpt: x\n")
    error = assert_one_error_beside_a_good_file(tmp_path, "open.md")
    assert "---" in error.reason


def test_a_readme_without_front_matter_is_skipped_not_an_error(tmp_path):
    write_article(tmp_path, "README.md", "# My articles\n\nThese are my articles.\n")
    write_article(tmp_path, "good.md", GOOD)
    outcome = load_file(tmp_path, "README.md")
    assert isinstance(outcome, Skipped) and outcome.path == "README.md"
    library = load_folder(tmp_path)
    assert library.errors == []
    assert [s.path for s in library.skipped] == ["README.md"]
    assert [a.path for a in library.articles] == ["good.md"]


def test_image_and_other_files_are_skipped_not_errors(tmp_path):
    write_article(tmp_path, "2021/cover.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    write_article(tmp_path, "2021/notes.json", "{}")
    write_article(tmp_path, "2021/good.md", GOOD)
    library = load_folder(tmp_path)
    assert library.errors == []
    assert sorted(s.path for s in library.skipped) == ["2021/cover.png", "2021/notes.json"]
    assert [a.path for a in library.articles] == ["2021/good.md"]


def test_hidden_files_and_folders_are_ignored(tmp_path):
    write_article(tmp_path, ".git/HEAD.md", "garbage")
    write_article(tmp_path, ".hidden.md", "---\n[bad\n---\n")
    write_article(tmp_path, "good.md", GOOD)
    library = load_folder(tmp_path)
    assert library.errors == [] and library.skipped == []
    assert [a.path for a in library.articles] == ["good.md"]


def test_all_article_endings_are_read_in_nested_folders(tmp_path):
    write_article(tmp_path, "2021/06/a.md", GOOD.replace("good", "a"))
    write_article(tmp_path, "2021/07/b.markdown", GOOD.replace("good", "b"))
    write_article(tmp_path, "2022/c.TXT", GOOD.replace("good", "c"))
    library = load_folder(tmp_path)
    assert sorted(a.path for a in library.articles) == ["2021/06/a.md", "2021/07/b.markdown", "2022/c.TXT"]


def test_an_unreadable_file_is_one_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    path = write_article(tmp_path, "secret.md", GOOD.replace("good", "secret"))
    path.chmod(0)
    try:
        error = assert_one_error_beside_a_good_file(tmp_path, "secret.md")
        assert "permission" in error.reason
    finally:
        path.chmod(0o644)


def test_many_bad_files_together_each_give_one_line(tmp_path):
    bad = {
        "a/invalid.md": "---\n: : [\n---\n",
        "b/list.md": "---\n- 1\n---\n",
        "c/binary.md": b"\x00\x01\x02\x03",
        "d/empty.txt": "",
        "e/open.markdown": "---\ntitle: x\n",
        "f/tag.md": "---\ntitle: !!python/name:os.system\n---\n",
    }
    for name, text in bad.items():
        write_article(tmp_path, name, text)
    write_article(tmp_path, "z/good.md", GOOD)
    library = load_folder(tmp_path)
    assert sorted(e.path for e in library.errors) == sorted(bad)
    assert [a.path for a in library.articles] == ["z/good.md"]


def test_walk_lists_in_a_stable_order_and_never_writes(tmp_path):
    for name in ("b/2.md", "a/1.md", "a/0.txt", "c.md"):
        write_article(tmp_path, name, GOOD)
    before = sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    first = [e.path for e in walk(tmp_path)]
    assert first == [e.path for e in walk(tmp_path)]
    assert sorted(first) == ["a/0.txt", "a/1.md", "b/2.md", "c.md"]
    assert sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("*")) == before


def test_load_file_on_a_vanished_file_is_an_error(tmp_path):
    outcome = load_file(tmp_path, "gone.md")
    assert isinstance(outcome, LoadError) and outcome.path == "gone.md"


# --- properties: load_file never raises, and nothing unsafe reaches a string field -----------------

DANGEROUS = [
    "\x1b[31m",
    "\x1b]8;;https://evil.example\x07",
    "\x1b]0;title\x1b\\",
    "\x1bP",
    "\x1b",
    "\x1b(B",
    "\x00",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\r",
    "\n",
    "\t",
    "\x7f",
    "\x85",
    "\x9b",
    "\x9d",
    "\x90",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u200f",
    "\u061c",
    "\ufeff",
    "\ufffe",
    "\ue09d",
    "â€™",
    "â€\x9d",
    "â€œ",
    "Ã©",
    "\\",
    '"',
    "'",
    ":",
    "- ",
    "#",
    "&a",
    "*a",
    "!!python/object",
    "---",
    "\n---\n",
    "[",
    "]",
    "{",
    "}",
    "|",
    ">",
    "%",
    "@",
    "`",
]
fragments = st.one_of(st.text(max_size=12), st.sampled_from(DANGEROUS))
hostile_text = st.lists(fragments, max_size=12).map("".join)


def _write_and_load(root: Path, data: bytes) -> Article | LoadError | Skipped:
    (root / "fuzz.md").write_bytes(data)
    return load_file(root, "fuzz.md")


def _check_outcome(outcome: object) -> None:
    assert isinstance(outcome, (Article, LoadError, Skipped))
    if isinstance(outcome, Article):
        assert_clean(outcome)
    else:
        assert outcome.path == "fuzz.md"
        assert "\n" not in outcome.reason and not FORBIDDEN.search(outcome.reason)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=600),
        st.binary(max_size=600).map(lambda b: b"---\ntitle: " + b + b"\n---\n"),
        st.binary(max_size=600).map(lambda b: b"---\ntitle: T\n---\n" + b),
    )
)
def test_load_file_never_raises_on_arbitrary_bytes(tmp_path, data):
    _check_outcome(_write_and_load(tmp_path, data))


def _insert(text: str, how: str) -> str:
    if how == "raw":
        return text
    if how == "quoted":
        return json.dumps(text, ensure_ascii=False)
    return json.dumps(text, ensure_ascii=True)  # YAML escapes: real controls after parsing


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=hostile_text,
    excerpt=hostile_text,
    topic=hostile_text,
    how=st.sampled_from(["raw", "quoted", "escaped"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_load_file_cleans_arbitrary_text_in_a_valid_front_matter(tmp_path, title, excerpt, topic, how, encoding):
    document = (
        "---\n"
        f"title: {_insert(title, how)}\n"
        f"excerpt: {_insert(excerpt, how)}\n"
        f"category: {_insert(topic, how)}\n"
        f"topics: [{_insert(topic, how)}, AI]\n"
        "provider:\n"
        f"  name: {_insert(title, how)}\n"
        "related:\n"
        f"  - title: {_insert(excerpt, how)}\n"
        f"    excerpt: {_insert(title, how)}\n"
        "---\n"
        f"{excerpt}\n"
    )
    try:
        data = document.encode(encoding)
    except UnicodeEncodeError:
        return
    outcome = _write_and_load(tmp_path, data)
    _check_outcome(outcome)
    if how == "escaped" and isinstance(outcome, Article):
        assert "AI" in outcome.topics  # the valid front matter did load


# --- the accelerator agrees with the reference parser ---------------------------------------------


def _load_corpus_module():
    path = Path(__file__).resolve().parent / "bench" / "corpus.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("reader_test_corpus", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _front_matter_of(path: Path) -> str:
    parts = frontmatter.split(read_text(path).replace("\r\n", "\n"))
    assert parts is not None and parts[0] == "yaml", path
    return parts[1]


def test_the_sample_has_articles_to_compare():
    files = [p for p in SAMPLE.rglob("*") if p.suffix in (".md", ".txt", ".markdown") and p.name != "README.md"]
    assert len(files) >= 40


def test_accelerator_agrees_with_the_reference_on_the_sample():
    compared = 0
    for path in sorted(SAMPLE.rglob("*")):
        if path.suffix not in (".md", ".txt", ".markdown") or path.name == "README.md":
            continue
        source = _front_matter_of(path)
        assert frontmatter.parse_yaml(source, accelerate=True) == frontmatter.parse_yaml(source, accelerate=False), path
        compared += 1
    assert compared >= 40


def test_accelerator_agrees_with_the_reference_on_a_generated_corpus(tmp_path):
    corpus = _load_corpus_module()
    if corpus is None:
        pytest.skip("tests/bench/corpus.py is not present")
    paths = corpus.write_corpus(tmp_path, 300, seed=7)
    assert len(paths) == 300
    for path in paths:
        source = _front_matter_of(path)
        assert frontmatter.parse_yaml(source, accelerate=True) == frontmatter.parse_yaml(source, accelerate=False), path


def test_the_sample_loads_the_same_with_and_without_the_accelerator(monkeypatch):
    monkeypatch.setattr(frontmatter, "_accelerate", True)
    fast = FolderLoader(SAMPLE, workers=1).load()
    monkeypatch.setattr(frontmatter, "yaml_rs", None)
    slow = FolderLoader(SAMPLE, workers=1).load()
    assert fast.articles == slow.articles
    assert fast.errors == slow.errors


@pytest.mark.parametrize(
    "source",
    [
        "title: T\nx: !!python/object/apply:os.system ['true']\n",
        "title: !custom T\n",
    ],
)
def test_tagged_input_goes_to_the_reference_parser(source):
    with pytest.raises(yaml.YAMLError):
        frontmatter.parse_yaml(source, accelerate=False)
    with pytest.raises(yaml.YAMLError):
        frontmatter.parse_yaml(source, accelerate=True)


def test_a_harmless_standard_tag_gives_the_reference_result():
    source = "title: !!str 2021\nquality: !!int '71'\n"
    assert (
        frontmatter.parse_yaml(source, accelerate=True)
        == frontmatter.parse_yaml(source, accelerate=False)
        == {
            "title": "2021",
            "quality": 71,
        }
    )


@pytest.mark.parametrize(
    "source",
    [
        "title: T\npublished: yes\n",
        "title: T\npublished: no\n",
        "title: T\npublished: off\n",
        "title: T\npublished: On\n",
        "title: T\npublished: Y\n",
        "title: T\ntopics: [yes, no]\n",
        "title: T\ntopics:\n  - on\n  - n\n",
        "title: T\nprovider: {name: NO}\n",
        "title: T\nrelated:\n  - title: R\n    published: yes\n",
        "yes: 1\nno: 2\n",
        "title: T\nquality: 0o17\n",
        "title: T\nquality: 0b101\n",
        "title: T\nheat: 1:20\n",
    ],
)
def test_yaml11_words_and_numbers_give_the_reference_result(source):
    assert frontmatter.parse_yaml(source, accelerate=True) == frontmatter.parse_yaml(source, accelerate=False)


def test_yes_no_published_is_a_boolean(tmp_path):
    assert article_with(tmp_path, published="no").published is False
    assert article_with(tmp_path, published="yes").published is True


def test_a_date_is_the_same_from_either_parser():
    source = "publishedDateTime: 2021-06-23T04:14:00Z\nd: 2021-06-23\nbad: 2021-13-45\n"
    assert frontmatter.parse_yaml(source, accelerate=True) == frontmatter.parse_yaml(source, accelerate=False)


@pytest.mark.parametrize(
    "line",
    [
        "quality: 012",  # octal in YAML 1.1, decimal in 1.2
        "title: 08",  # text in 1.1, a number in 1.2
        "heat: 1:20",  # base 60 in 1.1
        "title: 12:30",
        "title: 12:30:00",  # a time to yaml_rs
        "title: 1e3",  # a float in 1.2 only
        "topics: [yes, 0o17, 1:20]",
        "provider: {name: off, domain: 010}",
        "related:\n  - title: R\n    quality: 012\n    provider:\n      name: yes",
    ],
)
def test_the_accelerator_gives_the_same_article_as_the_reference(tmp_path, monkeypatch, line):
    text = f"---\n{line}\nwebUrl: https://example.com/a\n---\n"
    monkeypatch.setattr(frontmatter, "_accelerate", True)
    fast = load_article(tmp_path, text)
    monkeypatch.setattr(frontmatter, "yaml_rs", None)
    assert load_article(tmp_path, text) == fast


def test_the_list_only_load_gives_the_summary_of_the_full_load():
    # A cold load normalises only the list's fields; the detail pane reads the
    # full article later. Both must agree on every field they share.
    for entry in walk(SAMPLE):
        if isinstance(entry, FileEntry):
            full = load_file(SAMPLE, entry.path)
            summary = load_summary(SAMPLE, entry.path)
            if isinstance(full, Article):
                assert summary == full.summary(), entry.path
            else:
                assert summary == full, entry.path
