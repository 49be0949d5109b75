"""A whole library in one piece of bytes: what a warm start reads instead of rows.

At the end of a load the library is written as it stands: its columns
(``columns.py``), every tree node's members, every sort order, and what the
loader needs to check the folder later (each file's stamp, the files that
are not articles). The next start reads it back in one go: at 100,000
articles a few tens of megabytes and a few tens of milliseconds, where rows
would be parsed, summaries built and everything sorted again (seconds).

The format: ``MAGIC``, a CRC-32 of the rest, the length of a JSON header,
the header, then the arrays' bytes. The header says where each array is.
Damage (a bad checksum, a length that does not add up) raises
``SnapshotDamaged``: the loader then reads the rows, as before snapshots.
No code and no pickle: the bytes are only ever read as numbers and text.
"""

from __future__ import annotations

import json
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .cache import SCHEMA, Record
from .columns import ArticleColumns, TextColumn
from .library import Library, Node, NodeKind, SortKey
from .loading import Skipped
from .model import Article, ArticleSummary, Duplicate, LoadError, Provider

MAGIC = b"RDRSNAP1"
_FORMAT = 1
_PREFIX = len(MAGIC) + 4 + 8  # magic, CRC-32, header length
_STAMP_TYPES = ("Q", "q", "q", "Q")  # size, mtime_ns, ctime_ns, inode: mtimes before 1970 are negative
_TEXT = ("ids", "paths", "titles", "urls")
_NUMBERS = ("quality", "heat", "dates", "provider_codes", "category_codes", "type_codes", "topic_codes", "author_codes")


class SnapshotDamaged(ValueError):
    """The bytes are not a snapshot this version wrote, or were damaged since."""


@dataclass(frozen=True)
class Snapshot:
    """A library read back, with what its loader knew of the folder."""

    library: Library
    stamps: tuple[array, array, array, array]  # of each article of library.articles, in its order
    others: list[Record]  # every other file: not articles, unreadable, duplicates of a kept article

    def stamp(self, index: int) -> tuple[int, int, int, int]:
        size, mtime, ctime, inode = self.stamps
        return (size[index], mtime[index], ctime[index], inode[index])


def encode(library: Library, stamp_of: Callable[[str], Sequence[int] | None], others: Iterable[Record]) -> bytes:
    """The library's bytes. Computes every sort order first (each is written).

    ``stamp_of(path)``: the stamp each article's file was read at; ``others``:
    the records of every file that is not in ``library.articles``.
    """
    library.prepare(search=False)
    columns = library.articles
    blobs = _Blobs()
    header: dict = {
        "format": _FORMAT,
        "schema": SCHEMA,  # the version that loaded the files: another one may read them otherwise
        "byteorder": sys.byteorder,
        "count": len(columns),
        "arrays": {},
    }
    arrays = header["arrays"]
    for name in _TEXT:
        text: TextColumn = getattr(columns, name)
        arrays[name] = [blobs.add(text.data), blobs.add(text.starts)]
    for name in _NUMBERS:
        arrays[name] = blobs.add(getattr(columns, name))
    arrays["published"] = blobs.add(columns.published)
    header["tables"] = {
        "providers": [[p.name, p.domain] for p in columns.providers],
        "categories": columns.categories,
        "types": columns.types,
        "topic_lists": [list(topics) for topics in columns.topic_lists],
        "author_lists": [list(names) for names in columns.author_lists],
    }
    nodes, members = [], array("i")
    for node, node_members in library._members.items():
        nodes.append([str(node.kind), node.name, node.category, len(members), len(node_members)])
        members.extend(node_members)
    header["nodes"] = nodes
    arrays["members"] = blobs.add(members)
    header["orders"] = {}
    for key, (order, rank, with_value) in library._orders.items():
        header["orders"][str(key)] = [blobs.add(order), blobs.add(rank), with_value]
    stamps = [array(code) for code in _STAMP_TYPES]
    for path in columns.paths:
        stamp = stamp_of(path)
        if stamp is None:
            raise ValueError(f"no stamp for {path!r}")
        for column, value in zip(stamps, stamp, strict=True):
            column.append(value)
    arrays["stamps"] = [blobs.add(column) for column in stamps]
    header["duplicates"] = [[d.path, d.kept] for d in library.duplicates]
    header["errors"] = [[e.path, e.reason] for e in library.errors]
    header["skipped"] = [[s.path, s.reason] for s in library.skipped]
    header["others"] = [list(record) for record in others]
    head = json.dumps(header, separators=(",", ":")).encode()
    body = len(head).to_bytes(8, "little") + head + blobs.data()
    return MAGIC + zlib.crc32(body).to_bytes(4, "little") + body


def decode(data: bytes, fetch: Callable[[ArticleSummary], Article | None]) -> Snapshot:
    """A snapshot from ``encode``'s bytes; raises SnapshotDamaged for anything else."""
    try:
        return _decode(memoryview(data), fetch)
    except SnapshotDamaged:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as error:
        raise SnapshotDamaged(f"snapshot unreadable ({type(error).__name__})") from error


def _decode(data: memoryview, fetch: Callable[[ArticleSummary], Article | None]) -> Snapshot:
    if len(data) < _PREFIX or bytes(data[: len(MAGIC)]) != MAGIC:
        raise SnapshotDamaged("not a snapshot")
    body = data[len(MAGIC) + 4 :]
    if zlib.crc32(body) != int.from_bytes(data[len(MAGIC) : len(MAGIC) + 4], "little"):
        raise SnapshotDamaged("snapshot damaged (checksum)")
    head_length = int.from_bytes(body[:8], "little")
    header = json.loads(bytes(body[8 : 8 + head_length]))
    if header.get("format") != _FORMAT or header.get("schema") != SCHEMA or header.get("byteorder") != sys.byteorder:
        raise SnapshotDamaged("snapshot of another version")
    blobs = body[8 + head_length :]

    def get(where: list, typecode: str | None = None):
        kind, start, length = where
        piece = blobs[start : start + length]
        if len(piece) != length:
            raise SnapshotDamaged("snapshot cut short")
        if kind == "bytes":
            return bytes(piece)
        if typecode is not None and kind != typecode:
            raise SnapshotDamaged("snapshot array of another type")
        values = array(kind)
        values.frombytes(piece)
        return values

    arrays, tables = header["arrays"], header["tables"]
    text = {name: TextColumn(get(arrays[name][0]), get(arrays[name][1])) for name in _TEXT}
    columns = ArticleColumns(
        **text,
        **{name: get(arrays[name]) for name in _NUMBERS},
        published=get(arrays["published"]),
        providers=[Provider(name, domain) for name, domain in tables["providers"]],
        categories=list(tables["categories"]),
        types=list(tables["types"]),
        topic_lists=[tuple(topics) for topics in tables["topic_lists"]],
        author_lists=[tuple(names) for names in tables["author_lists"]],
    )
    columns.check()
    count = len(columns)
    if count != header["count"] or any(len(column) != count for column in text.values()):
        raise SnapshotDamaged("snapshot columns of different lengths")
    all_members = get(arrays["members"], "i")
    if all_members and (min(all_members) < 0 or max(all_members) >= count):
        raise SnapshotDamaged("snapshot node out of range")
    members: dict[Node, array] = {}
    for kind, name, category, start, length in header["nodes"]:
        node_members = all_members[start : start + length]
        if len(node_members) != length:
            raise SnapshotDamaged("snapshot node out of range")
        members[Node(NodeKind(kind), name, category)] = node_members
    orders: dict[SortKey, tuple[array, array, int]] = {}
    for key, (order_at, rank_at, with_value) in header["orders"].items():
        order, rank = get(order_at, "i"), get(rank_at, "i")
        if len(order) != count or len(rank) != count or not 0 <= with_value <= count:
            raise SnapshotDamaged("snapshot order of another length")
        orders[SortKey(key)] = (order, rank, with_value)
    stamps = tuple(get(at, code) for at, code in zip(arrays["stamps"], _STAMP_TYPES, strict=True))
    if any(len(column) != count for column in stamps):
        raise SnapshotDamaged("snapshot stamps of another length")
    library = Library.from_parts(
        columns,
        members,
        orders,
        duplicates=[Duplicate(path, kept) for path, kept in header["duplicates"]],
        errors=[LoadError(path, reason) for path, reason in header["errors"]],
        skipped=[Skipped(path, reason) for path, reason in header["skipped"]],
        fetch=fetch,
        complete=True,
    )
    others = [Record(*fields) for fields in header["others"]]
    return Snapshot(library, stamps, others)  # type: ignore[arg-type]


class _Blobs:
    """Arrays and bytes laid end to end; each added one's place, for the header."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._size = 0

    def add(self, values: array | bytes) -> list:
        raw = values if isinstance(values, bytes) else values.tobytes()
        kind = "bytes" if isinstance(values, bytes) else values.typecode
        place = [kind, self._size, len(raw)]
        self._pieces.append(raw)
        self._size += len(raw)
        return place

    def data(self) -> bytes:
        return b"".join(self._pieces)
