"""An excerpt made from an article's body, for articles whose front matter gives none.

Blogs written for Hugo, Jekyll or Go's blog tool often leave the summary to
the site generator, which takes the text before ``<!--more-->`` or else the
first paragraph. So does this, in plain text: headings, images, code blocks,
HTML tags and comments, template tags (``{{< figure >}}``, ``{% raw %}``),
tables and link reference definitions are dropped; a link is kept as its text;
emphasis and inline-code markers go; entities are decoded. The result is cut
at a word boundary with "…".

It reads the body only as far as it needs, and each block it cleans is cut to
a bounded length first, so a hostile body costs no more than a short one.
"""

from __future__ import annotations

import html
import re

from .text import clean_line

MADE_EXCERPT_CHARS = 300
# A block is cleaned from at most this many characters: enough for
# MADE_EXCERPT_CHARS of text once links and markup are gone.
_BLOCK_CHARS = 3_000
_SHORT_OPENER_CHARS = 40

_MORE = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATX_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_SETEXT_UNDERLINE = re.compile(r" {0,3}(?:=+|-+)[ \t]*$")
_RULE = re.compile(r" {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_LIST_ITEM = re.compile(r" {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_QUOTE = re.compile(r" {0,3}> ?")
_REFERENCE_DEFINITION = re.compile(r" {0,3}\[[^\]\n]+\]:")
_RAW_HTML_BLOCK = re.compile(r" {0,3}<(?:script|style|pre|textarea)\b", re.IGNORECASE)
_TABLE_ROW = re.compile(r" {0,3}\|")
# Jekyll's code blocks: {% highlight ruby %} ... {% endhighlight %}
_LIQUID_CODE = re.compile(r"\s*\{%-?\s*highlight\b")
_LIQUID_CODE_END = re.compile(r"\{%-?\s*endhighlight\b")

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_TEMPLATE = re.compile(r"\{\{.{0,500}?\}\}|\{%.{0,500}?%\}")
_IMAGE = re.compile(r"!\[[^\]\n]{0,500}\](?:\((?:[^()\n]|\([^()\n]*\)){0,1000}\)|\[[^\]\n]{0,500}\])?")
_LINK = re.compile(r"\[([^\]\n]{0,500})\](?:\((?:[^()\n]|\([^()\n]*\)){0,1000}\)|\[[^\]\n]{0,500}\])")
_WIKI_LINK = re.compile(r"\[\[(?:[^\]|\n]{0,500}\|)?([^\]\n]{0,500})\]\]")
_FOOTNOTE_REFERENCE = re.compile(r"\[\^[^\]\n]{0,100}\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]{1,2000})>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]{0,1000})?/?>")
# Spans are bounded ({1,300}) so that many unmatched markers cost little.
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.{1,300}?)(?<=\S)\1")
_EMPHASIS = re.compile(
    r"(?<![\w*])\*(?=[^\s*])(.{1,300}?)(?<=[^\s*])\*(?![\w*])|(?<![\w_])_(?=[^\s_])(.{1,300}?)(?<=[^\s_])_(?![\w_])"
)
_STRIKE = re.compile(r"~~(?=\S)(.{1,300}?)(?<=\S)~~")
_CODE_SPAN = re.compile(r"(`+)(.{1,300}?)\1")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def excerpt_from_body(body: str, limit: int = MADE_EXCERPT_CHARS) -> str:
    """The text before ``<!--more-->``, else the first paragraph of prose, as one
    line of plain text of about ``limit`` characters; "" when the body has no prose."""
    if not body or body.isspace():
        return ""
    more = _MORE.search(body)
    if more is not None:
        text = _text_of(body[: more.start()], limit, first_only=False)
        if text:
            return _cut(text, limit)
    return _cut(_text_of(body, limit, first_only=True), limit)


def _text_of(markdown: str, limit: int, *, first_only: bool) -> str:
    """The first paragraph of prose (``first_only``; with the next one if it is
    very short), or the prose of every block until ``limit`` characters are
    reached; list items only when there is no prose."""
    texts: list[str] = []
    fallback = ""
    length = 0
    for kind, lines in _blocks(markdown):
        if kind == "list" and fallback:
            continue
        text = _plain(" ".join(lines))
        if not text:
            continue
        if kind == "list":
            fallback = text
            continue
        texts.append(text)
        length += len(text) + 1
        # A short opener ("Hi Jekyllers," or "Greetings Rustaceans!") says
        # little alone: the next paragraph joins it.
        if (first_only and (len(texts) > 1 or length > _SHORT_OPENER_CHARS)) or length > limit:
            break
    return " ".join(texts) or fallback


def _blocks(markdown: str):
    """(kind, lines) for each block that may hold prose: "text" or "list".

    Code (fenced or indented), headings, rules, tables, link reference
    definitions and raw script/style/pre blocks are left out.
    """
    lines = _COMMENT.sub("", markdown).split("\n")
    block: list[str] = []
    kind = "text"
    fence = ""
    skipping_html = False
    for line in lines:
        if fence:  # inside a code block, until its closing fence
            if fence == "{%":
                if _LIQUID_CODE_END.search(line):
                    fence = ""
            elif line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
            continue
        blank = not line.strip()
        if skipping_html:
            skipping_html = not blank
            continue
        opening = _FENCE.match(line)
        if opening is not None or _LIQUID_CODE.match(line):
            if block:
                yield kind, block
                block = []
            fence = opening.group(1) if opening is not None else "{%"
            continue
        if blank:
            if block:
                yield kind, block
                block = []
            continue
        if not block:
            if _ATX_HEADING.match(line) or _RULE.match(line) or _REFERENCE_DEFINITION.match(line):
                continue
            if line.startswith(("    ", "\t")) or _TABLE_ROW.match(line):
                skipping_html = True  # indented code or a table: up to the next blank line
                continue
            if _RAW_HTML_BLOCK.match(line):
                skipping_html = True
                continue
            kind = "list" if _LIST_ITEM.match(line) else "text"
        elif _SETEXT_UNDERLINE.match(line) and kind == "text":
            block = []  # the lines so far were a heading
            continue
        elif _ATX_HEADING.match(line) or _RULE.match(line):
            yield kind, block
            block = []
            continue
        if kind == "list":
            line = _LIST_ITEM.sub("", line, count=1)
        line = _QUOTE.sub("", line, count=1) if line.lstrip().startswith(">") else line
        block.append(line.strip())
        if sum(len(part) for part in block) > _BLOCK_CHARS:
            yield kind, block
            return
    if block:
        yield kind, block


def _plain(text: str) -> str:
    """One block's Markdown and HTML as plain text on one line."""
    text = text[:_BLOCK_CHARS]
    text = _TEMPLATE.sub("", text)
    text = _IMAGE.sub("", text)
    text = _WIKI_LINK.sub(r"\1", text)
    text = _FOOTNOTE_REFERENCE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = _CODE_SPAN.sub(lambda m: m.group(2).strip(), text)
    text = _STRONG.sub(r"\2", text)
    text = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    text = _STRIKE.sub(r"\1", text)
    text = _ESCAPE.sub(r"\1", text)
    # Entities last: "&lt;b&gt;" is text about a tag, not a tag. clean_line then
    # removes whatever an entity could smuggle in (&#27; is ESC).
    return clean_line(html.unescape(text), _BLOCK_CHARS)


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"
