"""An excerpt made from the body when the front matter gives none: the text
before <!--more-->, else the first paragraph of prose, as plain text."""

from __future__ import annotations

import time

import pytest
from conftest import write_article

import reader.excerpt
from reader.excerpt import MADE_EXCERPT_CHARS, excerpt_from_body
from reader.loading import load_file, load_summary
from reader.model import Article


def article(tmp_path, front: str, body: str) -> Article:
    write_article(tmp_path, "post.md", f"---\n{front}\n---\n{body}")
    outcome = load_file(tmp_path, "post.md")
    assert isinstance(outcome, Article), outcome
    return outcome


def test_the_first_paragraph_is_the_excerpt():
    body = "The first paragraph,\non two lines of prose.\n\nSecond paragraph.\n"
    assert excerpt_from_body(body) == "The first paragraph, on two lines of prose."


def test_a_short_opener_is_joined_by_the_next_paragraph_only():
    assert excerpt_from_body("Hi Jekyllers,\n\nWe fixed two bugs.\n\nThird.") == "Hi Jekyllers, We fixed two bugs."


def test_headings_are_left_out():
    body = "# Title\n\n## Introduction\nThe text.\n\nSetext heading\n==============\n"
    assert excerpt_from_body(body) == "The text."
    assert excerpt_from_body("Setext heading\n---\n\nProse.") == "Prose."


def test_links_keep_their_text():
    body = 'Read [the docs](https://example.com/docs "Docs"), [a reference][ref], [[Wiki page|a wiki link]] and <https://example.org>.[^1]\n\n[ref]: https://example.com\n'
    assert excerpt_from_body(body) == "Read the docs, a reference, a wiki link and https://example.org."


def test_a_link_with_parentheses_in_its_address_keeps_only_its_text():
    assert excerpt_from_body("See [Foo](https://en.wikipedia.org/wiki/Foo_(bar)) now.") == "See Foo now."


def test_images_are_left_out():
    body = "![A cat](cat.png)\n\n[![badge](b.svg)](https://ci.example)\n\nA cat ![inline](x.png) sat.\n"
    assert excerpt_from_body(body) == "A cat sat."


def test_html_tags_comments_and_entities():
    body = '<!-- draft note -->\n<div class="intro"><center>\n</center></div>\n\n<p>Fish &amp; chips, <b>hot</b> &lt;3</p>\n'
    assert excerpt_from_body(body) == "Fish & chips, hot <3"


def test_an_entity_cannot_smuggle_in_a_control_character():
    # HTML reads &#x9b; as the cp1252 character it stands for; ESC and BEL are no characters at all.
    assert excerpt_from_body("Safe &#27;[31mred&#x9b; and &#7; text") == "Safe [31mred› and text"


def test_code_blocks_are_left_out():
    body = (
        "```python\nprint('not prose')\n```\n\n"
        "~~~\nalso code\n~~~\n\n"
        "    indented code\n    more code\n\n"
        "{% highlight ruby %}\nputs 'liquid'\n\n{% endhighlight %}\n\n"
        "<pre>\npreformatted\n\n</pre>\n\n"
        "At last, `inline code` in prose.\n"
    )
    assert excerpt_from_body(body) == "At last, inline code in prose."


def test_a_body_that_is_only_code_has_no_excerpt():
    assert excerpt_from_body("```\nfn main() {}\n```\n") == ""
    assert excerpt_from_body("    $ make\n    $ make install\n") == ""


def test_template_tags_and_shortcodes_are_left_out():
    body = '{{< youtube w7Ft2ymGmfc >}}\n\n{{image "go-brand/logos.jpg"}}\n\n{% include note.html %} Text with {{% mark %}}a{{% /mark %}} tag.\n'
    assert excerpt_from_body(body) == "Text with a tag."


def test_emphasis_markers_go_and_the_words_stay():
    assert excerpt_from_body("Some **bold**, *italic*, _under_, ~~gone~~ and snake_case_name.") == (
        "Some bold, italic, under, gone and snake_case_name."
    )


def test_the_text_before_more_wins_over_the_first_paragraph():
    body = "# Heading\n\nOne.\n\nTwo, with a [link](x).\n<!--more-->\nThree.\n"
    assert excerpt_from_body(body) == "One. Two, with a link."
    assert excerpt_from_body("Before.\n\n<!-- more -->\n\nAfter.") == "Before."  # Zola's spelling
    assert excerpt_from_body("```\ncode\n```\n<!--more-->\nThe first prose.") == "The first prose."  # nothing before it


def test_lists_count_only_when_there_is_no_prose():
    assert excerpt_from_body("- one\n- two\n\nThe prose.") == "The prose."
    assert excerpt_from_body("- one\n- two\n") == "one two"


def test_a_block_quote_is_prose():
    assert excerpt_from_body("> Quoted words\n> go on.") == "Quoted words go on."


def test_a_long_paragraph_is_cut_at_a_word_boundary_with_an_ellipsis():
    body = " ".join(f"word{n}" for n in range(200))
    excerpt = excerpt_from_body(body)
    assert excerpt.endswith("…")
    assert len(excerpt) <= MADE_EXCERPT_CHARS
    assert len(excerpt) > MADE_EXCERPT_CHARS - 20
    assert body.startswith(excerpt[:-1])
    assert excerpt[:-1].split(" ")[-1] in body.split(" ")  # no word cut in half


@pytest.mark.parametrize("body", ["", "\n\n   \n", "<!-- only a comment -->", "---\n\n***\n"])
def test_no_text_no_excerpt(body):
    assert excerpt_from_body(body) == ""


@pytest.mark.parametrize(
    "body",
    [
        "*a " * 70_000,
        "[" * 200_000,
        "<" * 200_000,
        "{{" * 100_000,
        "![" * 100_000,
        "<!--" * 50_000,
        "```\n" * 50_000,
        "x" * 200_000,
        "[a](" * 50_000,
        "_a " * 70_000,
    ],
)
def test_a_hostile_body_costs_little(body):
    started = time.monotonic()
    excerpt = excerpt_from_body(body)
    assert time.monotonic() - started < 1
    assert len(excerpt) <= MADE_EXCERPT_CHARS


# --- through loading ---------------------------------------------------------------


def test_an_article_without_an_excerpt_gets_one_from_its_body(tmp_path):
    made = article(tmp_path, "title: T", "## Intro\n\nThe body's [first](x) paragraph, long enough alone.\n\nMore.\n")
    assert made.excerpt == "The body's first paragraph, long enough alone."
    assert made.body.startswith("## Intro")  # the body itself is kept as it is


def test_the_front_matters_excerpt_wins(tmp_path):
    assert article(tmp_path, "title: T\nexcerpt: Given.", "Body text.").excerpt == "Given."
    assert article(tmp_path, "title: T\ndescription: Described.", "Body text.").excerpt == "Described."


def test_an_empty_excerpt_field_falls_back_to_the_body(tmp_path):
    assert article(tmp_path, 'title: T\nexcerpt: ""\nsummary: "  "', "From the body.").excerpt == "From the body."


def test_a_made_excerpt_is_repaired_and_clean(tmp_path):
    made = article(tmp_path, "title: T", "The EUâ€™s \x1b[31mrules\x1b[0m \u202eapply.\n")
    assert made.excerpt == "The EU’s rules apply."


def test_the_list_load_does_not_make_excerpts(tmp_path, monkeypatch):
    # The cold load's hot path reads no body: making excerpts is for the detail pane.
    write_article(tmp_path, "post.md", "---\ntitle: T\n---\nBody.\n")

    def fail(body: str, limit: int = 0) -> str:
        raise AssertionError("called")

    monkeypatch.setattr(reader.excerpt, "excerpt_from_body", fail)
    assert load_summary(tmp_path, "post.md").title == "T"
