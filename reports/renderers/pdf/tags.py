"""The tagged PDF's logical structure: elements made while laying out, written as objects.

Layout makes an ``Elem`` per heading, paragraph, list item part, table cell or figure,
under its section; drawing operations name the element whose content they are. The
writer numbers each page's marked-content sequences (MCIDs) in the order it paints them,
and an element joins the tree when its first content is painted: elements of a layout
that was tried and undone never appear, and every element's children are in reading order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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
    """The structure objects, numbered from ``first``: bodies in order, and the numbers
    the catalog and the pages refer to."""

    bodies: list[bytes]
    root: int  # the StructTreeRoot
    outline: int | None  # the Outlines dictionary, when there are bookmarks


@dataclass(slots=True)
class _Found:
    """The elements with content, and their ancestors, numbered in the order found."""

    refs: dict[Elem, str]  # "12 0 R"
    kids: dict[Elem, list[str]]  # /K's items: children's refs, MCIDs, MCR dictionaries
    pages: dict[Elem, int]  # where each element's content starts (its /Pg)
    top: list[str]  # the elements without a parent


def build_tree(
    marks: Sequence[Sequence[Elem]], pages: Sequence[int], first: int, outline: bool = True
) -> Tree:
    """``marks[p][mcid]`` is the element owning MCID ``mcid`` of page ``p``, whose object is
    ``pages[p]``; the objects get the numbers ``first``, ``first + 1``, …"""
    found = _find(marks, pages, first + 2)
    refs = found.refs
    nums = " ".join(
        f"{page} [{' '.join([refs[e] for e in owners])}]" for page, owners in enumerate(marks)
    )
    bodies = [
        f"<< /Type /StructTreeRoot /K [{' '.join(found.top)}] "
        f"/ParentTree {first + 1} 0 R /ParentTreeNextKey {len(marks)} >>".encode(),
        f"<< /Nums [{nums}] >>".encode(),
    ]
    root = f"{first} 0 R"
    for elem, k in found.kids.items():  # in the order of their numbers
        extra = ""
        if elem.alt:
            extra = f" /Alt {text_string(elem.alt)}"
        if elem.scope:
            extra += f" /A << /O /Table /Scope /{elem.scope} >>"
        parent = root if elem.parent is None else refs[elem.parent]
        bodies.append(
            f"<< /S /{elem.role} /P {parent} /Pg {pages[found.pages[elem]]} 0 R{extra} "
            f"/K {k[0] if len(k) == 1 else '[' + ' '.join(k) + ']'} >>".encode("latin-1")
        )
    marked = [e for e in found.kids if e.bookmark] if outline else []
    items = _outline(marked, found, pages, first + len(bodies)) if marked else []
    bodies += items
    return Tree(bodies, first, first + len(bodies) - len(items) if items else None)


def _find(marks: Sequence[Sequence[Elem]], pages: Sequence[int], number: int) -> _Found:
    """Every element with content, and its ancestors, joins the tree where its first
    content is drawn, numbered from ``number`` as found; so children are in reading order."""
    found = _Found({}, {}, {}, [])
    refs, kids, starts = found.refs, found.kids, found.pages
    for page, owners in enumerate(marks):
        for mcid, elem in enumerate(owners):
            own = kids.get(elem)
            if own is None:
                child, parent = elem, elem.parent
                refs[elem], own, starts[elem] = f"{number} 0 R", [], page
                kids[elem], number = own, number + 1
                while True:  # join the tree: the parent, and any new ancestors
                    if parent is None:
                        found.top.append(refs[child])
                        break
                    siblings = kids.get(parent)
                    if siblings is not None:
                        siblings.append(refs[child])
                        break
                    refs[parent], kids[parent], starts[parent] = f"{number} 0 R", [], page
                    kids[parent].append(refs[child])
                    child, parent, number = parent, parent.parent, number + 1
            if starts[elem] == page:
                own.append(str(mcid))
            else:
                own.append(f"<< /Type /MCR /Pg {pages[page]} 0 R /MCID {mcid} >>")
    return found


def _outline(marked: list[Elem], found: _Found, pages: Sequence[int], first: int) -> list[bytes]:
    """One bookmark per marked element, to the page its content starts on."""
    items = []
    for i, elem in enumerate(marked):
        links = f" /Prev {first + i} 0 R" if i else ""
        links += f" /Next {first + i + 2} 0 R" if i + 1 < len(marked) else ""
        items.append(
            f"<< /Title {text_string(elem.bookmark)} /Parent {first} 0 R{links} "
            f"/Dest [{pages[found.pages[elem]]} 0 R /Fit] >>".encode("latin-1")
        )
    head = f"<< /Type /Outlines /First {first + 1} 0 R /Last {first + len(marked)} 0 R "
    return [f"{head}/Count {len(marked)} >>".encode(), *items]


def text_string(text: str) -> str:
    """A PDF text string: literal when ASCII, else UTF-16 with its byte order mark."""
    if text.isascii():
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"
