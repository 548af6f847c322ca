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


@dataclass(eq=False, slots=True)
class Elem:
    """A structure element: ``role`` is its standard type (Document, Sect, H1, P, Table…)."""

    role: str
    parent: Elem | None = None
    alt: str = ""  # a Figure's text alternative
    scope: str = ""  # a TH's: Column or Row
    bookmark: str = ""  # a Sect's entry in the outline (class reports)


Kid = Elem | str  # a child element, or content: its MCID (on the element's /Pg) or an MCR


@dataclass(frozen=True, slots=True)
class Tree:
    """The structure objects, numbered from ``first``: bodies in order, and the numbers
    the catalog and the pages refer to."""

    bodies: list[bytes]
    root: int  # the StructTreeRoot
    outline: int | None  # the Outlines dictionary, when there are bookmarks


def build_tree(marks: Sequence[Sequence[Elem]], pages: Sequence[int], first: int) -> Tree:
    """``marks[p][mcid]`` is the element owning MCID ``mcid`` of page ``p``, whose object is
    ``pages[p]``; the objects get the numbers ``first``, ``first + 1``, …"""
    kids, top, first_page = _kids(marks, pages)
    refs: dict[Elem, str] = {}
    order: list[Elem] = []
    stack = top[::-1]
    while stack:  # depth first, in reading order
        elem = stack.pop()
        refs[elem] = f"{first + 2 + len(order)} 0 R"
        order.append(elem)
        stack.extend([k for k in reversed(kids[elem]) if type(k) is Elem])
    nums = " ".join(
        f"{page} [{' '.join([refs[e] for e in owners])}]" for page, owners in enumerate(marks)
    )
    bodies = [
        f"<< /Type /StructTreeRoot /K [{' '.join([refs[e] for e in top])}] "
        f"/ParentTree {first + 1} 0 R /ParentTreeNextKey {len(marks)} >>".encode(),
        f"<< /Nums [{nums}] >>".encode(),
    ]
    root = f"{first} 0 R"
    for elem in order:
        own = kids[elem]
        k = [kid if isinstance(kid, str) else refs[kid] for kid in own]
        extra = f" /Pg {pages[first_page[elem]]} 0 R" if elem in first_page else ""
        if elem.alt:
            extra += f" /Alt {text_string(elem.alt)}"
        if elem.scope:
            extra += f" /A << /O /Table /Scope /{elem.scope} >>"
        parent = root if elem.parent is None else refs[elem.parent]
        bodies.append(
            f"<< /Type /StructElem /S /{elem.role} /P {parent}{extra} "
            f"/K {k[0] if len(k) == 1 else '[' + ' '.join(k) + ']'} >>".encode("latin-1")
        )
    marked = [e for e in order if e.bookmark]
    outline = _outline(marked, kids, first_page, pages, first + len(bodies)) if marked else []
    bodies += outline
    return Tree(bodies, first, first + len(bodies) - len(outline) if outline else None)


def _kids(
    marks: Sequence[Sequence[Elem]], pages: Sequence[int]
) -> tuple[dict[Elem, list[Kid]], list[Elem], dict[Elem, int]]:
    """Every element with content (and its ancestors): its children in order of first
    content; the elements without a parent; and the page each element's content starts on."""
    kids: dict[Elem, list[Kid]] = {}
    top: list[Elem] = []
    first_page: dict[Elem, int] = {}
    for page, owners in enumerate(marks):
        for mcid, elem in enumerate(owners):
            own = kids.get(elem)
            if own is None:
                own = kids[elem] = []
                child, parent = elem, elem.parent
                while True:  # join the tree: the parent, and any new ancestors
                    if parent is None:
                        top.append(child)
                        break
                    siblings = kids.get(parent)
                    if siblings is not None:
                        siblings.append(child)
                        break
                    kids[parent] = [child]
                    child, parent = parent, parent.parent
            start = first_page.setdefault(elem, page)
            if start == page:
                own.append(str(mcid))
            else:
                own.append(f"<< /Type /MCR /Pg {pages[page]} 0 R /MCID {mcid} >>")
    return kids, top, first_page


def _outline(
    marked: list[Elem],
    kids: dict[Elem, list[Kid]],
    first_page: dict[Elem, int],
    pages: Sequence[int],
    first: int,
) -> list[bytes]:
    """One bookmark per marked section, to the page its content starts on."""
    items = []
    for i, elem in enumerate(marked):
        page = min(_pages_of(elem, kids, first_page))
        links = f" /Prev {first + i} 0 R" if i else ""
        links += f" /Next {first + i + 2} 0 R" if i + 1 < len(marked) else ""
        items.append(
            f"<< /Title {text_string(elem.bookmark)} /Parent {first} 0 R{links} "
            f"/Dest [{pages[page]} 0 R /Fit] >>".encode("latin-1")
        )
    head = f"<< /Type /Outlines /First {first + 1} 0 R /Last {first + len(marked)} 0 R "
    return [f"{head}/Count {len(marked)} >>".encode(), *items]


def _pages_of(
    elem: Elem, kids: dict[Elem, list[Kid]], first_page: dict[Elem, int]
) -> Iterator[int]:
    """The pages where the content of ``elem`` and its descendants starts."""
    if elem in first_page:
        yield first_page[elem]
    for kid in kids[elem]:
        if type(kid) is Elem:
            yield from _pages_of(kid, kids, first_page)


def text_string(text: str) -> str:
    """A PDF text string: literal when ASCII, else UTF-16 with its byte order mark."""
    if text.isascii():
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"
