"""HTML from feeds as Markdown (an article's body) and as plain text (its excerpt, a title).

Feed entries carry HTML; article files carry Markdown, and the app renders
Markdown with links it checks. So the HTML is rebuilt, not passed through:
paragraphs, line breaks, links (http(s) only; anything else keeps just its
text), emphasis, lists, headings, quotes, code and rules become their Markdown;
every other tag is dropped with its text kept, and script, style and the like
are dropped whole. Text is escaped wherever Markdown would read it as syntax,
so no raw HTML, no link and no emphasis reaches the file that the feed's text
did not mean as one (a test renders the output with markdown-it and checks).

The work is bounded: the input is cut to ``MAX_HTML_CHARS`` first, the output
stops at ``MAX_BODY_CHARS``, nesting deeper than ``MAX_NESTING`` is shown
flat, and nothing recurses.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .links import parse_link
from .text import MAX_BODY_CHARS, strip_controls

MAX_HTML_CHARS = 1_000_000
MAX_NESTING = 8  # list and quote levels shown; deeper ones are shown at this depth

# Dropped with everything inside them: never text a reader should see.
_SKIPPED = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math", "head", "title"}
    | {"select", "textarea", "button", "canvas", "audio", "video", "map"}
)
# Start and end a block: the text before and after them are separate paragraphs.
_BLOCKS = frozenset(
    {"p", "div", "section", "article", "header", "footer", "aside", "nav", "main", "figure", "figcaption"}
    | {"table", "thead", "tbody", "tfoot", "tr", "caption", "dl", "dt", "dd", "address", "details", "summary"}
    | {"form", "fieldset", "center", "body", "html"}
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_EMPHASIS = {"em": "*", "i": "*", "cite": "*", "strong": "**", "b": "**", "del": "~~", "s": "~~", "strike": "~~"}
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "area", "base", "col", "source", "track"})

_HARD_BREAK = "\x00"  # stands for <br> until a paragraph is laid out
_WHITE_SPACE = re.compile(r"[ \t\n\r\f\v\u2028\u2029\u0085]+")
# Characters Markdown may read as syntax anywhere in a line; each is escaped with "\".
_INLINE_SYNTAX = re.compile(r"([\\`*_\[\]<>&|~#!])")
# Syntax only at the start of a line: a list item, a setext underline, an ordered item.
_LINE_START_SYNTAX = re.compile(r"^([-+=])|^(\d{1,9})([.)])", re.MULTILINE)
_BACKTICKS = re.compile(r"`+")


def html_to_markdown(html: str, limit: int = MAX_BODY_CHARS) -> str:
    """The HTML as Markdown: its structure kept, its text escaped, nothing raw left."""
    return _convert(html, markdown=True, limit=limit)


def html_to_text(html: str, limit: int = MAX_BODY_CHARS) -> str:
    """The HTML as plain text: paragraphs separated by blank lines, no markup, entities decoded."""
    return _convert(html, markdown=False, limit=limit)


def escape_markdown(text: str) -> str:
    """Plain text as Markdown that shows exactly that text."""
    return _LINE_START_SYNTAX.sub(_escape_line_start, _INLINE_SYNTAX.sub(r"\\\1", text))


def _escape_line_start(match: re.Match[str]) -> str:
    if match[1]:
        return "\\" + match[1]
    return match[2] + "\\" + match[3]


def _convert(html: str, *, markdown: bool, limit: int) -> str:
    if not isinstance(html, str) or not html:
        return ""
    converter = _Converter(markdown=markdown, limit=limit)
    try:
        converter.feed(html[:MAX_HTML_CHARS])
        converter.close()
    except _Full:
        pass
    converter.end_block()
    return converter.result()[:limit]


class _Full(Exception):
    """The output reached its limit: the rest of the input is not read."""


class _Converter(HTMLParser):
    def __init__(self, *, markdown: bool, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.markdown = markdown
        self.limit = limit
        self.size = 0
        # Finished blocks: (quote depth, text with its list indentation, follows its list's
        # previous block without a blank line: list items are kept tight).
        self.blocks: list[tuple[int, str, bool]] = []
        self.pieces: list[str] = []  # the paragraph being built
        # Open inline elements: (tag, index in pieces where they began, link target or None).
        self.open_inline: list[tuple[str, int, str | None]] = []
        self.skipping: list[str] = []  # the skipped elements we are inside
        self.quotes = 0
        # Open lists: [marker kind ("-" or a number), width of the current item's marker].
        self.lists: list[list] = []
        self.marker: str | None = None  # the current item's marker, until its first block is written
        self.in_list_block = False  # the last block written was inside a list
        self.heading = 0
        self.pre: list[str] | None = None  # the text of a <pre>, as it is
        self.code: int | None = None  # index in pieces where an inline <code> began

    # --- the parser's callbacks ----------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag == self.skipping[-1] and tag not in _VOID:
                self.skipping.append(tag)
            return
        if tag in _SKIPPED:
            self.skipping.append(tag)
        elif self.pre is not None:
            if tag == "br":
                self.pre.append("\n")
        elif tag in _BLOCKS:
            self.end_block()
        elif tag in _HEADINGS:
            self.end_block()
            self.heading = _HEADINGS[tag]
        elif tag == "br":
            self.pieces.append(_HARD_BREAK)
        elif tag == "hr":
            self.end_block()
            if self.markdown:
                self._add_block("* * *")
        elif tag in ("ul", "ol", "menu"):
            self.end_block()
            start = _start_number(attrs) if tag == "ol" else None
            self.lists.append(["-" if start is None else start, 2])
        elif tag == "li":
            self.end_block()
            self._start_item()
        elif tag == "blockquote":
            self.end_block()
            self.quotes += 1
        elif tag == "pre":
            self.end_block()
            self.pre = []
        elif tag == "code" and self.code is None:
            self.code = len(self.pieces)
        elif tag == "a":
            href = dict(attrs).get("href")
            link = parse_link(href) if href else None
            self.open_inline.append(("a", len(self.pieces), link.url if link else None))
        elif tag in _EMPHASIS:
            self.open_inline.append((tag, len(self.pieces), None))
        elif tag == "td" or tag == "th":
            if self.pieces and "".join(self.pieces).strip():
                self.pieces.append(" · ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if self.pre is not None:
            if tag == "pre":
                self._end_pre()
            return
        if tag in _BLOCKS or tag in _HEADINGS:
            self.end_block()
        elif tag in ("ul", "ol", "menu"):
            self.end_block()
            if self.lists:
                self.lists.pop()
            self.marker = None
        elif tag == "li":
            self.end_block()
            self.marker = None
        elif tag == "blockquote":
            self.end_block()
            self.quotes = max(0, self.quotes - 1)
        elif tag == "code" and self.code is not None:
            self._end_code()
        elif tag == "a" or tag in _EMPHASIS:
            self._end_inline(tag)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.pre is not None:
            self.pre.append(data)
            return
        text = _WHITE_SPACE.sub(" ", strip_controls(data))
        if self.markdown and self.code is None:
            text = _INLINE_SYNTAX.sub(r"\\\1", text)
        self.pieces.append(text)
        self.size += len(text)
        if self.size > self.limit:
            raise _Full

    # --- inline elements -----------------------------------------------------------

    def _end_inline(self, tag: str) -> None:
        for position in range(len(self.open_inline) - 1, -1, -1):
            if self.open_inline[position][0] == tag:
                break
        else:
            return  # closes nothing open (or its paragraph has ended): ignored
        _, start, target = self.open_inline[position]
        del self.open_inline[position:]
        inner = "".join(self.pieces[start:])
        del self.pieces[start:]
        content = inner.strip(" ")
        if not self.markdown or not content.replace(_HARD_BREAK, ""):
            self.pieces.append(inner)
            return
        before = " " if inner.startswith(" ") else ""
        after = " " if inner.endswith(" ") else ""
        content = content.replace(_HARD_BREAK, " ")
        if tag == "a":
            made = f"[{content}](<{target}>)" if target else content
        else:
            mark = _EMPHASIS[tag]
            made = f"{mark}{content}{mark}"
        self.pieces.append(before + made + after)

    def _end_code(self) -> None:
        start, self.code = self.code, None
        assert start is not None
        content = "".join(self.pieces[start:]).replace(_HARD_BREAK, " ").strip()
        del self.pieces[start:]
        if not content:
            return
        if not self.markdown:
            self.pieces.append(content)
            return
        runs = [len(run) for run in _BACKTICKS.findall(content)]
        fence = "`" * (max(runs, default=0) + 1)
        padding = " " if content.startswith("`") or content.endswith("`") else ""
        self.pieces.append(f"{fence}{padding}{content}{padding}{fence}")

    # --- blocks ----------------------------------------------------------------------

    def _start_item(self) -> None:
        if not self.lists:  # an <li> outside any list: a bullet anyway
            self.lists.append(["-", 2])
        current = self.lists[-1]
        if current[0] == "-":
            marker = "- " if self.markdown else "• "
        else:
            marker = f"{current[0]}. "
            current[0] += 1
        current[1] = len(marker)
        self.marker = marker

    def end_block(self) -> None:
        """Lay out the paragraph built so far (if any) as one block."""
        self.open_inline.clear()
        if self.code is not None:
            self._end_code()
        text = _WHITE_SPACE.sub(" ", "".join(self.pieces)).strip(" ")
        self.pieces.clear()
        lines = [line.strip(" ") for line in text.split(_HARD_BREAK)]
        while lines and not lines[-1]:
            lines.pop()
        while lines and not lines[0]:
            lines.pop(0)
        heading, self.heading = self.heading, 0
        if not lines:
            return
        if heading and self.markdown:
            lines = ["#" * heading + " " + " ".join(line for line in lines if line)]
        if self.markdown:
            text = _LINE_START_SYNTAX.sub(_escape_line_start, "\\\n".join(lines)) if not heading else lines[0]
        else:
            text = "\n".join(lines)
        self._add_block(text)

    def _end_pre(self) -> None:
        code = strip_controls("".join(self.pre or [])).replace("\r\n", "\n").replace("\r", "\n")
        self.pre = None
        code = code.strip("\n")
        if not code.strip():
            return
        if self.markdown:
            runs = [len(run) for run in _BACKTICKS.findall(code)]
            fence = "`" * max(3, max(runs, default=0) + 1)
            code = f"{fence}\n{code}\n{fence}"
        self.size += len(code)
        self._add_block(code, verbatim=True)
        if self.size > self.limit:
            raise _Full

    def _add_block(self, text: str, *, verbatim: bool = False) -> None:
        """A block, indented under its list item (the first line carries the item's marker)."""
        depth = min(len(self.lists), MAX_NESTING)
        outer = "".join(" " * width for _, width in self.lists[: depth - 1]) if depth else ""
        tight = False
        if depth:
            width = self.lists[depth - 1][1]
            first = outer + (self.marker or " " * width)
            rest = outer + " " * width
            tight = self.marker is not None and self.in_list_block
            self.marker = None
        else:
            first = rest = ""
        self.in_list_block = bool(depth)
        lines = text.split("\n")
        laid = [first + lines[0]] + [(rest + line) if (line or not verbatim) else line for line in lines[1:]]
        self.blocks.append((min(self.quotes, MAX_NESTING), "\n".join(laid), tight))

    def result(self) -> str:
        if not self.markdown:
            return "".join(("\n" if tight else "\n\n") * bool(i) + text for i, (_, text, tight) in enumerate(self.blocks))
        out: list[str] = []
        previous = 0
        for index, (quotes, text, tight) in enumerate(self.blocks):
            prefix = "> " * quotes
            if index and not (tight and quotes == previous):
                shared = min(previous, quotes)
                out.append(("> " * shared).rstrip() + "\n" if shared else "\n")
            out.append("\n".join((prefix + line).rstrip() if line else prefix.rstrip() for line in text.split("\n")))
            out.append("\n")
            previous = quotes
        return "".join(out).strip("\n")


def _start_number(attrs: list[tuple[str, str | None]]) -> int:
    start = dict(attrs).get("start") or "1"
    return int(start) if start.isascii() and start.isdigit() and len(start) <= 9 else 1
