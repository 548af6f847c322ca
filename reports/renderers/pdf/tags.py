"""The tagged PDF's logical structure: elements made while laying out, written as objects.

Layout makes an ``Elem`` per heading, paragraph, list item part, table cell or figure,
under its section; drawing operations name the element whose content they are. The
writer numbers each page's marked-content sequences (MCIDs) in the order it paints them,
and an element joins the tree when its first content is painted: elements of a layout
that was tried and undone never appear, and every element's children are in reading order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(eq=False, slots=True)
class Elem:
    """A structure element: ``role`` is its standard type (Document, Sect, H1, P, Table…)."""

    role: str
    parent: Elem | None = None
    alt: str = ""  # a Figure's text alternative
    scope: str = ""  # a TH's: Column or Row
    bookmark: str = ""  # its entry in the outline: a class's sections, a student's headings


@dataclass(frozen=True, slots=True)
class Tree:
    """The structure objects, numbered from ``first``: how many, their bodies in order
    (made as they are read, so a big document's are never all held at once), and the
    numbers the catalog refers to."""

    count: int
    bodies: Iterator[bytes]
    root: int  # the StructTreeRoot
    outline: int | None  # the Outlines dictionary, when there are bookmarks


# Per element found: [its object number, the page its content starts on (its /Pg), then
# its /K items: an MCID on that page (int), a child (Elem), an MCR dictionary (str)].
_Entries = dict[Elem, list[Any]]


def build_tree(
    marks: Sequence[Sequence[Elem]], pages: Sequence[int], first: int, outline: bool = True
) -> Tree:
    """``marks[p][mcid]`` is the element owning MCID ``mcid`` of page ``p``, whose object is
    ``pages[p]``; the objects get the numbers ``first``, ``first + 1``, …"""
    entries, top = _find(marks, pages, first + 2)
    marked = [e for e in entries if e.bookmark] if outline else []
    count = 2 + len(entries) + (len(marked) + 1 if marked else 0)
    bodies = _bodies(entries, top, marks, pages, first, marked)
    return Tree(count, bodies, first, first + 2 + len(entries) if marked else None)


def _bodies(
    entries: _Entries,
    top: list[Elem],
    marks: Sequence[Sequence[Elem]],
    pages: Sequence[int],
    first: int,
    marked: list[Elem],
) -> Iterator[bytes]:
    yield (
        f"<< /Type /StructTreeRoot /K [{' '.join(f'{entries[e][0]} 0 R' for e in top)}] "
        f"/ParentTree {first + 1} 0 R /ParentTreeNextKey {len(marks)} >>"
    ).encode()
    nums = " ".join(
        f"{page} [{' '.join([f'{entries[e][0]} 0 R' for e in owners])}]"
        for page, owners in enumerate(marks)
    )
    yield f"<< /Nums [{nums}] >>".encode()
    for elem, entry in entries.items():  # in the order of their numbers
        k = [
            str(kid) if type(kid) is int else f"{entries[kid][0]} 0 R" if type(kid) is Elem else kid
            for kid in entry[2:]
        ]
        extra = f" /Alt {text_string(elem.alt)}" if elem.alt else ""
        if elem.scope:
            extra += f" /A << /O /Table /Scope /{elem.scope} >>"
        parent = first if elem.parent is None else entries[elem.parent][0]
        yield (
            f"<< /S /{elem.role} /P {parent} 0 R /Pg {pages[entry[1]]} 0 R{extra} "
            f"/K {k[0] if len(k) == 1 else '[' + ' '.join(k) + ']'} >>"
        ).encode("latin-1")
    if marked:
        yield from _outline(marked, entries, pages, first + 2 + len(entries))


def _find(
    marks: Sequence[Sequence[Elem]], pages: Sequence[int], number: int
) -> tuple[_Entries, list[Elem]]:
    """Every element with content, and its ancestors, joins the tree where its first
    content is drawn, numbered from ``number`` as found; so children are in reading order.
    Also the elements without a parent."""
    entries: _Entries = {}
    top: list[Elem] = []
    for page, owners in enumerate(marks):
        for mcid, elem in enumerate(owners):
            entry = entries.get(elem)
            if entry is None:
                entry = entries[elem] = [number, page]
                child, parent, number = elem, elem.parent, number + 1
                while True:  # join the tree: the parent, and any new ancestors
                    if parent is None:
                        top.append(child)
                        break
                    siblings = entries.get(parent)
                    if siblings is not None:
                        siblings.append(child)
                        break
                    entries[parent] = [number, page, child]
                    child, parent, number = parent, parent.parent, number + 1
            if entry[1] == page:
                entry.append(mcid)
            else:
                entry.append(f"<< /Type /MCR /Pg {pages[page]} 0 R /MCID {mcid} >>")
    return entries, top


def _outline(
    marked: list[Elem], entries: _Entries, pages: Sequence[int], first: int
) -> list[bytes]:
    """One bookmark per marked element, to the page its content starts on."""
    items = []
    for i, elem in enumerate(marked):
        links = f" /Prev {first + i} 0 R" if i else ""
        links += f" /Next {first + i + 2} 0 R" if i + 1 < len(marked) else ""
        items.append(
            f"<< /Title {text_string(elem.bookmark)} /Parent {first} 0 R{links} "
            f"/Dest [{pages[entries[elem][1]]} 0 R /Fit] >>".encode("latin-1")
        )
    head = f"<< /Type /Outlines /First {first + 1} 0 R /Last {first + len(marked)} 0 R "
    return [f"{head}/Count {len(marked)} >>".encode(), *items]


def text_string(text: str) -> str:
    """A PDF text string: literal when ASCII, else UTF-16 with its byte order mark."""
    if text.isascii():
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"
