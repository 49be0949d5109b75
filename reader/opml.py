"""OPML, the file feed readers exchange their lists in: reading one (hostile or not) and writing one.

Reading uses expat directly and refuses any document type declaration, so
no entity (the "billion laughs" bomb, an external file, a URL) is ever
declared, let alone expanded: the care ``defusedxml`` takes, without the
dependency. The file is bounded (``MAX_OPML_BYTES``), and so are the
outlines taken and the nesting followed. Every outline with an ``xmlUrl`` is
a feed, wherever it sits (folders are flattened); its name is its ``text``,
else its ``title``.

Writing builds OPML 2.0 with ``xml.etree.ElementTree``, which escapes every
attribute; names hold no control characters (``feeds.clean_feed_name``), so
the document is always well-formed XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.parsers import expat

from .feeds import Feed
from .text import escape_line

MAX_OPML_BYTES = 10 * 1024 * 1024
MAX_OUTLINES = 10_000
MAX_DEPTH = 100


class OpmlError(Exception):
    """A file that is not OPML the reader will read; the message is one line, safe to print."""


@dataclass(frozen=True)
class Outline:
    """A feed found in an OPML file: its URL as written, and its name (None when it has none)."""

    url: str
    name: str | None


class _Refused(Exception):
    pass


def read_opml(data: bytes) -> list[Outline]:
    """The feeds an OPML document lists, in order. Raises OpmlError for anything else."""
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"larger than {MAX_OPML_BYTES >> 20} MB, not a feed list")
    outlines: list[Outline] = []
    depth = 0
    root: list[str] = []

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels")
        if not root:
            root.append(tag)
            if tag != "opml":
                raise _Refused(f"its root is <{escape_line(tag)[:40]}>, not <opml>")
        if tag == "outline" and attributes.get("xmlUrl"):
            if len(outlines) >= MAX_OUTLINES:
                raise _Refused(f"more than {MAX_OUTLINES:,} feeds")
            name = attributes.get("text") or attributes.get("title")
            outlines.append(Outline(url=attributes["xmlUrl"], name=name or None))

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1

    def refuse_doctype(*_: object) -> None:
        raise _Refused("it declares a document type (DTD), which an OPML file has no use for")

    def refuse_entity(*_: object) -> None:
        raise _Refused("it declares entities, which an OPML file has no use for")

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_entity  # type: ignore[assignment]
    try:
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.Parse(data, True)
    except _Refused as refused:
        raise OpmlError(f"not read: {refused}") from None
    except expat.ExpatError as error:
        message = expat.ErrorString(error.code) if error.code else str(error)
        raise OpmlError(f"not well-formed XML ({escape_line(message)}, line {error.lineno})") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise OpmlError(f"cannot be read ({type(error).__name__})") from None
    if not root:
        raise OpmlError("not an OPML file (no root element)")
    return outlines


def write_opml(feeds: list[Feed], *, title: str = "reader feeds", now: datetime | None = None) -> str:
    """An OPML 2.0 document listing ``feeds``."""
    opml = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(opml, "head")
    ElementTree.SubElement(head, "title").text = title
    ElementTree.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC), usegmt=True)
    body = ElementTree.SubElement(opml, "body")
    for feed in feeds:
        ElementTree.SubElement(body, "outline", type="rss", text=feed.name, title=feed.name, xmlUrl=feed.url)
    ElementTree.indent(opml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(opml, encoding="unicode") + "\n"
