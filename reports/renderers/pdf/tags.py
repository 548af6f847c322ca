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


Kid = Elem | tuple[int, int]  # a child element, or content: (page index, MCID)


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
    kids, top = _kids(marks)
    numbers: dict[Elem, int] = {}
    order: list[Elem] = []
    stack = top[::-1]
    while stack:  # depth first, in reading order
        elem = stack.pop()
        numbers[elem] = first + 2 + len(order)
        order.append(elem)
        stack.extend([k for k in reversed(kids[elem]) if type(k) is Elem])
    refs = {elem: b"%d 0 R" % n for elem, n in numbers.items()}
    root = first
    bodies = [
        b"<< /Type /StructTreeRoot /K [%s] /ParentTree %d 0 R /ParentTreeNextKey %d >>"
        % (b" ".join(refs[e] for e in top), first + 1, len(marks)),
        b"<< /Nums [%s] >>"
        % b" ".join(
            b"%d [%s]" % (page, b" ".join([refs[e] for e in owners]))
            for page, owners in enumerate(marks)
        ),
    ]
    page_refs = [b"%d 0 R" % p for p in pages]
    for elem in order:
        parent = refs[elem.parent] if elem.parent is not None else b"%d 0 R" % root
        bodies.append(_element(elem, kids[elem], parent, refs, page_refs))
    marked = [e for e in order if e.bookmark]
    outline = _outline(marked, kids, pages, first + len(bodies)) if marked else []
    bodies += outline
    return Tree(bodies, root, first + len(bodies) - len(outline) if outline else None)


def _kids(marks: Sequence[Sequence[Elem]]) -> tuple[dict[Elem, list[Kid]], list[Elem]]:
    """Every element with content (and its ancestors): its children in order of first
    content; and the elements without a parent."""
    kids: dict[Elem, list[Kid]] = {}
    top: list[Elem] = []
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
            own.append((page, mcid))
    return kids, top


def _element(
    elem: Elem, kids: list[Kid], parent: bytes, refs: dict[Elem, bytes], pages: list[bytes]
) -> bytes:
    first_page = next((k[0] for k in kids if type(k) is tuple), None)
    parts = []
    for kid in kids:
        if type(kid) is Elem:
            parts.append(refs[kid])
        elif kid[0] == first_page:  # type: ignore[index]  # a tuple here
            parts.append(b"%d" % kid[1])  # type: ignore[index]
        else:
            parts.append(b"<< /Type /MCR /Pg %s /MCID %d >>" % (pages[kid[0]], kid[1]))  # type: ignore[index]
    extra = b"" if first_page is None else b" /Pg " + pages[first_page]
    if elem.alt:
        extra += b" /Alt " + text_string(elem.alt).encode("latin-1")
    if elem.scope:
        extra += b" /A << /O /Table /Scope /%s >>" % elem.scope.encode()
    k = parts[0] if len(parts) == 1 else b"[" + b" ".join(parts) + b"]"
    return b"<< /Type /StructElem /S /%s /P %s%s /K %s >>" % (
        elem.role.encode(),
        parent,
        extra,
        k,
    )


def _outline(
    marked: list[Elem], kids: dict[Elem, list[Kid]], pages: Sequence[int], first: int
) -> list[bytes]:
    """One bookmark per marked section, to the page its content starts on."""
    items = []
    for i, elem in enumerate(marked):
        page = next(_pages_of(elem, kids))
        links = f" /Prev {first + i} 0 R" if i else ""
        links += f" /Next {first + i + 2} 0 R" if i + 1 < len(marked) else ""
        items.append(
            f"<< /Title {text_string(elem.bookmark)} /Parent {first} 0 R{links} "
            f"/Dest [{pages[page]} 0 R /Fit] >>".encode("latin-1")
        )
    head = f"<< /Type /Outlines /First {first + 1} 0 R /Last {first + len(marked)} 0 R "
    return [f"{head}/Count {len(marked)} >>".encode(), *items]


def _pages_of(elem: Elem, kids: dict[Elem, list[Kid]]) -> Iterator[int]:
    for kid in kids[elem]:
        if type(kid) is Elem:
            yield from _pages_of(kid, kids)
        else:
            yield kid[0]  # type: ignore[index]  # a tuple here


def text_string(text: str) -> str:
    """A PDF text string: literal when ASCII, else UTF-16 with its byte order mark."""
    if text.isascii():
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"
