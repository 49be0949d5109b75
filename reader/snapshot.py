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

import io
import json
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from .cache import SCHEMA, Record
from .columns import ArticleColumns, TextColumn
from .library import Library, Node, NodeKind, SortKey
from .loading import Skipped
from .model import Article, ArticleSummary, Duplicate, LoadError, Provider

MAGIC = b"RDRSNAP1"
_FORMAT = 1
_PREFIX = len(MAGIC) + 4 + 8  # magic, CRC-32, header length
_MAX_HEADER = 1 << 30  # the header is JSON of names (topics, providers): far below this
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
    """The library's bytes, in one piece (see ``encode_pieces``)."""
    return b"".join(encode_pieces(library, stamp_of, others))


def encode_pieces(
    library: Library, stamp_of: Callable[[str], Sequence[int] | None], others: Iterable[Record]
) -> list[bytes | memoryview]:
    """The library's bytes, as pieces to write one after the other: the arrays are not
    copied (at a million articles the snapshot is hundreds of megabytes).
    Computes every sort order first (each is written).

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
    pieces = [len(head).to_bytes(8, "little"), head, *blobs.pieces]
    crc = 0
    for piece in pieces:
        crc = zlib.crc32(piece, crc)
    return [MAGIC + crc.to_bytes(4, "little"), *pieces]


def decode(data: bytes, fetch: Callable[[ArticleSummary], Article | None]) -> Snapshot:
    """A snapshot from ``encode``'s bytes; raises SnapshotDamaged for anything else."""
    return read(io.BytesIO(data), fetch)


def read(file: BinaryIO, fetch: Callable[[ArticleSummary], Article | None]) -> Snapshot:
    """A snapshot from a file ``encode_pieces`` wrote, read array by array (nothing is held twice);
    raises SnapshotDamaged for anything else."""
    try:
        return _decode(file, fetch)
    except SnapshotDamaged:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError, OSError) as error:
        raise SnapshotDamaged(f"snapshot unreadable ({type(error).__name__})") from error


def _decode(file: BinaryIO, fetch: Callable[[ArticleSummary], Article | None]) -> Snapshot:
    prefix = file.read(_PREFIX)
    if len(prefix) < _PREFIX or prefix[: len(MAGIC)] != MAGIC:
        raise SnapshotDamaged("not a snapshot")
    expected_crc = int.from_bytes(prefix[len(MAGIC) : len(MAGIC) + 4], "little")
    head_length = int.from_bytes(prefix[len(MAGIC) + 4 :], "little")
    if head_length > _MAX_HEADER:
        raise SnapshotDamaged("snapshot damaged (header)")
    head = file.read(head_length)
    crc = zlib.crc32(head, zlib.crc32(prefix[len(MAGIC) + 4 :]))
    header = json.loads(head)
    if header.get("format") != _FORMAT or header.get("schema") != SCHEMA or header.get("byteorder") != sys.byteorder:
        raise SnapshotDamaged("snapshot of another version")
    # Every array, in the order written: each read straight into its own memory.
    places = [header["arrays"][name] for name in ("published", "members", *_NUMBERS)]
    places += [place for name in _TEXT for place in header["arrays"][name]]
    places += header["arrays"]["stamps"]
    places += [place for order in header["orders"].values() for place in order[:2]]
    loaded: dict[int, bytes | array] = {}  # by id() of the header's place lists
    position = 0
    for place in sorted(places, key=lambda place: place[1]):
        kind, start, length = place
        if start != position:
            raise SnapshotDamaged("snapshot damaged (layout)")
        raw = file.read(length)
        if len(raw) != length:
            raise SnapshotDamaged("snapshot cut short")
        crc = zlib.crc32(raw, crc)
        if kind == "bytes":
            loaded[id(place)] = raw  # (by the header's own list: empty arrays share an offset)
        else:
            values = array(kind)
            values.frombytes(raw)
            loaded[id(place)] = values
        position += length
    if file.read(1) or crc != expected_crc:
        raise SnapshotDamaged("snapshot damaged (checksum)")

    def get(where: list, typecode: str | None = None):
        if typecode is not None and where[0] != typecode:
            raise SnapshotDamaged("snapshot array of another type")
        return loaded.pop(id(where))

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
        self.pieces: list[bytes | memoryview] = []
        self._size = 0

    def add(self, values: array | bytes) -> list:
        raw = values if isinstance(values, bytes) else memoryview(values).cast("B")  # no copy
        kind = "bytes" if isinstance(values, bytes) else values.typecode
        place = [kind, self._size, len(raw)]
        self.pieces.append(raw)
        self._size += len(raw)
        return place
