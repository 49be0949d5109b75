"""Folders that other tools wrote: Hugo, Jekyll, Zola, Eleventy and Go's blog.

The fixtures under ``tests/fixtures/dialects`` follow each tool's documented
front matter (Hugo's, Jekyll's, Zola's and Eleventy's front-matter pages, and
the Go blog's own posts): YAML, TOML and JSON front matter, their field names,
their drafts, their section pages and redirect stubs. Each post must show its
title, date, excerpt (its own or one made from the body), topics and authors.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import write_article

from reader.cli import EXIT_OK, main
from reader.fields import DEFAULT_FIELDS, FieldNames, field_names_from_table
from reader.folder_loader import FolderLoader
from reader.loading import Skipped, load_file, load_summary
from reader.model import Article, LoadError

DIALECTS = Path(__file__).resolve().parent / "fixtures" / "dialects"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def load(relative: str) -> Article:
    outcome = load_file(DIALECTS, relative)
    assert isinstance(outcome, Article), outcome
    return outcome


# (file, title, date, excerpt, topics, category, authors, published)
POSTS = [
    (
        "hugo/content/posts/toml-post.md",
        "Spring cleaning in the garden",
        utc(2024, 2, 2, 12, 14, 54),
        "What to cut back in March, and what to leave standing for the bees.",
        ("Gardening", "Bees"),
        "Outdoors",
        ("John Smith",),  # [params] author
        True,
    ),
    (
        "hugo/content/posts/yaml-post.md",
        "Compost in small spaces",
        utc(2024, 2, 3, 9),
        "A balcony is enough for a worm bin, if you keep it out of the afternoon sun.",
        ("gardening", "Compost", "soil"),  # tags and keywords merged, "Compost" once
        "",
        ("Jane Doe",),
        True,
    ),
    (
        "hugo/content/posts/json-post.md",
        "Counting bees in February",
        utc(2024, 2, 4, 12, 14, 54),
        "On the first sunny afternoon we counted forty bees on the crocuses in the community garden.",
        ("Bees", "Citizen science"),
        "",
        ("John Smith",),
        True,
    ),
    (
        "hugo/content/posts/draft.md",
        "Notes for a later post",
        utc(2024, 2, 6),
        "Not ready yet.",
        ("bees",),
        "",
        (),
        False,  # draft = true
    ),
    (
        "hugo/content/posts/2024-02-05-bundle/index.md",
        "A page bundle with its pictures",
        utc(2024, 2, 5),  # from the bundle's folder name
        "The shed roof held up under thirty centimetres of snow, which is more than the manufacturer promised.",
        ("Photography",),
        "",
        ("Ana Lima",),  # an author record with a name
        True,
    ),
    (
        "jekyll/_posts/2014-01-01-welcome-to-jekyll.markdown",
        "Welcome to Jekyll!",
        utc(2014, 1, 1, 12, 45, 32),  # 18:15:32 +0530
        "You’ll find this post in your _posts directory. Go ahead and edit it and re-build the site to see your changes.",
        (),
        "jekyll",  # "categories: jekyll update" is two categories, space-separated
        (),
        True,
    ),
    (
        "jekyll/_posts/2015-03-05-release-notes.md",
        "Release notes for March",
        utc(2015, 3, 5),  # no date field: the date in the file name
        "Three fixes and one new theme.",
        ("release", "Notes"),
        "",
        ("Alice Martin",),
        True,
    ),
    (
        "jekyll/_posts/2016-07-01-unfinished.md",
        "An unfinished thought",
        utc(2016, 7, 1),
        "Half a paragraph.",
        ("writing", "drafts"),  # a comma-separated string
        "essays",
        (),
        False,  # published: false
    ),
    (
        "jekyll/_posts/2018-05-06-with-a-separator.md",
        "Tabs, spaces & the rest",
        utc(2018, 5, 6),  # a quoted date
        "Everyone has an opinion about indentation, and most of them are wrong in the same way. "
        "Nobody reads past the first paragraph anyway.",  # the text before <!--more-->, heading left out
        (),
        "Opinion",
        ("Bob Stone", "Carla Diaz"),
        True,
    ),
    (
        "zola/content/blog/first-post.md",
        "My first post",
        utc(2019, 5, 4),
        "A first post that is posty",
        ("first", "python"),  # [taxonomies] tags
        "programming",  # [taxonomies] categories
        ("Ann Author", "Bo Writer"),
        True,
    ),
    (
        "zola/content/blog/second-post.md",
        "Dates with time and offset",
        utc(2019, 6, 1, 7, 30),
        "A summary made from the body, because there is no description.",  # before <!-- more -->
        ("Python", "dates"),
        "",
        (),
        True,
    ),
    (
        "eleventy/posts/first-post.md",
        "My first Eleventy post",
        utc(2018, 1, 1),
        "Posts live in a collection named by their tags.",
        ("post",),  # one tag as a plain string
        "",
        (),
        True,
    ),
    (
        "eleventy/posts/json-post.md",
        "Front matter in JSON",
        utc(2019, 2, 2),
        "Eleventy reads JSON front matter after ---json.",
        ("post", "json"),
        "",
        ("Eli Venty",),
        True,
    ),
    (
        "eleventy/posts/computed-date.md",
        "A date Eleventy computes",
        None,  # "git Last Modified" is no date the reader can know
        "Eleventy fills this date in from git; the reader cannot, so it has none.",
        ("post",),
        "",
        (),
        True,
    ),
    (
        "goblog/go-release.md",
        "A new release of the language",
        utc(2021, 2, 16),
        "Faster builds, smaller binaries and a new module mode by default.",
        ("release", "tools"),
        "",
        ("Pat Gopher", "Sam Compiler"),  # by: a list
        True,
    ),
]


@pytest.mark.parametrize(
    ("path", "title", "date", "excerpt", "topics", "category", "authors", "published"), POSTS, ids=[p[0] for p in POSTS]
)
def test_each_convention_gives_title_date_excerpt_topics_and_authors(
    path, title, date, excerpt, topics, category, authors, published
):
    article = load(path)
    assert article.title == title
    assert article.published_at == date
    assert article.excerpt == excerpt
    assert article.topics == topics
    assert article.category == category
    assert article.authors == authors
    assert article.published is published
    assert load_summary(DIALECTS, path) == article.summary()  # the list sees what the detail pane sees


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("hugo/content/posts/_index.md", "a section's index page, not an article"),
        ("zola/content/blog/_index.md", "a section's index page, not an article"),
        ("jekyll/_posts/2017-01-01-moved.md", "not an article: no title, date, excerpt or link, and no text"),
        ("goblog/old-maps-post.md", "not an article: no title, date, excerpt or link, and no text"),
    ],
)
def test_section_pages_and_redirect_stubs_are_skipped_as_not_articles(path, reason):
    assert load_file(DIALECTS, path) == Skipped(path, reason)
    assert load_summary(DIALECTS, path) == Skipped(path, reason)


def test_a_site_relative_url_is_not_a_link_to_open():
    article = load("hugo/content/about.md")  # url: /about/
    assert article.url is None and article.web_url is None
    assert article.id == "hugo/content/about.md"


def test_javascript_front_matter_is_one_clear_error():
    outcome = load_file(DIALECTS, "eleventy/posts/javascript.md")
    assert isinstance(outcome, LoadError)
    assert outcome.reason == "front matter in a language the reader does not read ('---js')"


def test_a_folder_of_every_dialect_loads_each_file_once():
    library = FolderLoader(DIALECTS, workers=1).load()
    assert sorted(a.path for a in library.articles) == sorted(
        [p[0] for p in POSTS] + ["hugo/content/about.md", "goblog/index.md"]
    )
    assert [e.path for e in library.errors] == ["eleventy/posts/javascript.md"]
    assert sorted(s.path for s in library.skipped) == [
        "goblog/old-maps-post.md",
        "hugo/content/posts/_index.md",
        "jekyll/_posts/2017-01-01-moved.md",
        "zola/content/blog/_index.md",
    ]
    # "bees" (a draft's tag) and "Bees" are one topic, spelt as most of its articles spell it.
    assert library.topic_counts["Bees"] == 3 and "bees" not in library.topic_counts


# --- end to end: reader list --json ---------------------------------------------------


def list_json(capsys: pytest.CaptureFixture[str], root: Path, *options: str) -> list[dict]:
    code = main(["list", str(root), "--json", "--body", "--no-cache", *options])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    return json.loads(out)


def test_a_hugo_site_through_reader_list_json(capsys):
    rows = list_json(capsys, DIALECTS / "hugo", "--sort", "date")
    assert [row["title"] for row in rows] == [
        "Notes for a later post",
        "A page bundle with its pictures",
        "Counting bees in February",
        "Compost in small spaces",
        "Spring cleaning in the garden",
        "About this garden",  # no date: last
    ]
    by_title = {row["title"]: row for row in rows}
    toml_post = by_title["Spring cleaning in the garden"]
    assert toml_post["published_at"] == "2024-02-02T12:14:54Z"
    assert toml_post["excerpt"].startswith("What to cut back")
    assert toml_post["topics"] == ["Gardening", "Bees"]
    assert toml_post["authors"] == ["John Smith"]
    assert by_title["Notes for a later post"]["published"] is False
    assert by_title["Counting bees in February"]["excerpt"].endswith("in the community garden.")


def test_a_jekyll_posts_folder_through_reader_list_json(capsys):
    rows = list_json(capsys, DIALECTS / "jekyll" / "_posts", "--sort", "date")
    assert [row["path"] for row in rows] == [
        "2018-05-06-with-a-separator.md",
        "2016-07-01-unfinished.md",
        "2015-03-05-release-notes.md",
        "2014-01-01-welcome-to-jekyll.markdown",
    ]  # newest first; the redirect stub is no article
    assert rows[0]["authors"] == ["Bob Stone", "Carla Diaz"]
    assert rows[2]["published_at"] == "2015-03-05T00:00:00Z"
    assert all(row["excerpt"] for row in rows)


def test_reader_list_by_a_topic_of_a_hugo_site(capsys):
    rows = list_json(capsys, DIALECTS / "hugo", "--topic", "bees", "--sort", "title")
    assert [row["title"] for row in rows] == [
        "Counting bees in February",
        "Notes for a later post",
        "Spring cleaning in the garden",
    ]


# --- a user's own field names ([fields] in config.toml) --------------------------------


def test_a_users_field_names_are_read_after_the_readers_own(tmp_path):
    write_article(
        tmp_path,
        "post.md",
        "---\nheadline: Own names\nreleased_on: 2020-05-01\nstandfirst: In a field of my own.\n"
        "labels: [one, two]\nwriter: Me\npublishedDateTime: 2021-01-01T00:00:00Z\n---\n",
    )
    names, warnings = field_names_from_table(
        {
            "title": "headline",
            "date": ["released_on"],
            "excerpt": ["standfirst"],
            "topics": ["labels"],
            "authors": ["writer"],
        }
    )
    assert warnings == []
    article = load_file(tmp_path, "post.md", names)
    assert isinstance(article, Article)
    assert article.title == "Own names"
    assert article.published_at == utc(2021, 1, 1)  # the reader's own name still comes first
    assert article.excerpt == "In a field of my own."
    assert article.topics == ("one", "two")
    assert article.authors == ("Me",)
    assert load_summary(tmp_path, "post.md", names) == article.summary()
    assert load_file(tmp_path, "post.md").title == "post.md"  # without them: not read


def test_a_users_names_come_before_the_usual_ones():
    names = DEFAULT_FIELDS.with_names({"date": ("released_on",), "authors": ("writer",)})
    assert names.date[:3] == ("publishedDateTime", "released_on", "date")
    assert names.authors[:2] == ("writer", "authors")
    assert names.signature() != DEFAULT_FIELDS.signature()
    assert names == FieldNames().with_names(
        {"date": ("released_on",), "authors": ("writer",)}
    )  # a value: equal, hashable
    assert hash(names) == hash(FieldNames().with_names({"date": ("released_on",), "authors": ("writer",)}))


@pytest.mark.parametrize(
    ("table", "warning"),
    [
        (
            {"colour": ["x"]},
            "unknown field 'colour' in [fields] ignored (fields: title, date, excerpt, topics, category, categories, authors, link, draft)",
        ),
        ({"date": 7}, "fields.date should be a key name or a list of key names in quotes; ignored"),
        ({"date": ["ok", 3]}, "fields.date should be a key name or a list of key names in quotes; ignored"),
        ({"date": [""]}, "fields.date should be a key name or a list of key names in quotes; ignored"),
        (
            {"\x1b[31mred": ["x"]},
            "unknown field '\\e[31mred' in [fields] ignored (fields: title, date, excerpt, topics, category, categories, authors, link, draft)",
        ),
        ("not a table", "[fields] should be a table of field = [names]; ignored"),
    ],
)
def test_a_mistake_in_the_fields_table_is_one_warning_and_the_rest_still_counts(table, warning):
    if isinstance(table, dict):
        table = {**table, "excerpt": ["standfirst"]}
    names, warnings = field_names_from_table(table)
    assert warnings == [warning]
    if isinstance(table, dict):
        assert "standfirst" in names.excerpt


def test_field_names_travel_to_the_parsing_processes(tmp_path):
    # A pool's processes start with the defaults: the names go with each chunk, pickled.
    import pickle

    names = DEFAULT_FIELDS.with_names({"title": ("headline",)})
    assert pickle.loads(pickle.dumps(names)) == names


def test_the_accelerator_reads_every_dialect_as_the_reference_does(monkeypatch):
    # yaml_rs reads a quoted "2019-03-05" as a date and PyYAML as text: the
    # fields that take either must come out the same.
    from reader import frontmatter

    monkeypatch.setattr(frontmatter, "_accelerate", True)
    fast = FolderLoader(DIALECTS, workers=1).load()
    fast_articles = [fast.article(i) for i in range(len(fast))]
    monkeypatch.setattr(frontmatter, "_accelerate", False)
    slow = FolderLoader(DIALECTS, workers=1).load()
    assert fast.articles == slow.articles
    assert fast_articles == [slow.article(i) for i in range(len(slow))]
    assert fast.errors == slow.errors and fast.skipped == slow.skipped
