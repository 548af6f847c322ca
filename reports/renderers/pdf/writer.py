"""The PDF file itself: numbered objects, cross-reference table and trailer, no clock.

The file is tagged and claims PDF/UA-1: a structure tree (``tags``), the language, the
title shown by viewers, and XMP metadata saying so; class reports get an outline.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from collections.abc import Sequence
from xml.sax.saxutils import escape

from reports.renderers.pdf.cidfonts import Type0Objects
from reports.renderers.pdf.content import Painter
from reports.renderers.pdf.fonts import DocumentFonts, SubsetObjects, stream
from reports.renderers.pdf.layout import PAGE_H, PAGE_W, Page
from reports.renderers.pdf.tags import Tree, build_tree, text_string

_CATALOG, _PAGES, _INFO, _RESOURCES = 1, 2, 3, 4  # pages follow, then the fonts
LANGUAGE = "en"  # unless the report says which


def write_pdf(
    pages: Sequence[Page],
    *,
    title: str,
    date: str,
    outline: bool = True,
    language: str = LANGUAGE,
) -> bytes:
    """``date`` is a PDF date ("D:20240721030455+00'00'"): the same input, the same bytes.
    With ``outline``, the elements that name a bookmark are the document's outline."""
    fonts = DocumentFonts()
    painter = Painter(fonts)
    contents, marks = [], []
    for page in pages:
        contents.append(stream(painter.page(page.ops)))
        marks.append(painter.marks)
    first_page = _RESOURCES + 1
    kids = [first_page + 2 * i for i in range(len(pages))]
    refs = " ".join(f"{k} 0 R" for k in kids)
    bodies = [
        b"",  # the catalog, once the structure tree's numbers are known
        f"<< /Type /Pages /Count {len(pages)} /Kids [{refs}] >>".encode(),
        _info(title, date),
        b"",  # the resources, once the fonts are known
    ]
    media = f"[0 0 {PAGE_W:.4f} {PAGE_H:.4f}]"
    for index, (kid, content) in enumerate(zip(kids, contents, strict=True)):
        bodies.append(
            f"<< /Type /Page /Parent {_PAGES} 0 R /MediaBox {media} "
            f"/Resources {_RESOURCES} 0 R /Contents {kid + 1} 0 R "
            f"/StructParents {index} /Tabs /S >>".encode()
        )
        bodies.append(content)
    names, first_font = [], len(bodies) + 1
    subsets: list[tuple[str, SubsetObjects | Type0Objects]] = [*fonts.subsets()]
    for resource, objects in [*subsets, *painter.glyphs.fonts()]:
        names.append(f"/{resource} {len(bodies) + 1} 0 R")
        bodies.extend(objects.bodies(len(bodies) + 1))
    bodies[_RESOURCES - 1] = f"<< /ProcSet [/PDF /Text] /Font << {' '.join(names)} >> >>".encode()
    bodies.append(_metadata(title, date, language))
    tree = build_tree(marks, kids, len(bodies) + 1, outline)
    bodies[_CATALOG - 1] = _catalog(len(bodies), tree.root, tree.outline, language)
    return _serialize(bodies, first_font, tree)


def _catalog(metadata: int, root: int, outline: int | None, language: str) -> bytes:
    extra = f" /Outlines {outline} 0 R /PageMode /UseOutlines" if outline else ""
    return (
        f"<< /Type /Catalog /Pages {_PAGES} 0 R /Lang ({language}) /MarkInfo << /Marked true >> "
        f"/StructTreeRoot {root} 0 R /Metadata {metadata} 0 R "
        f"/ViewerPreferences << /DisplayDocTitle true >>{extra} >>"
    ).encode()


def _info(title: str, date: str) -> bytes:
    return (
        f"<< /Title {text_string(title)} /Author (Report Task) /Creator (Report Task) "
        f"/Producer (Report Task) /CreationDate ({date}) /ModDate ({date}) >>"
    ).encode("latin-1")


def _metadata(title: str, date: str, language: str) -> bytes:
    """The XMP packet: the title, the Info dictionary's facts, and the PDF/UA-1 claim."""
    when = f"{date[2:6]}-{date[6:8]}-{date[8:10]}T{date[10:12]}:{date[12:14]}:{date[14:16]}"
    when += date[16:19].replace("Z", "+00") + ":" + (date[20:22] or "00")
    xmp = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
 xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>Report Task</rdf:li></rdf:Seq></dc:creator>
<dc:language><rdf:Bag><rdf:li>{escape(language)}</rdf:li></rdf:Bag></dc:language>
<xmp:CreatorTool>Report Task</xmp:CreatorTool>
<xmp:CreateDate>{when}</xmp:CreateDate><xmp:ModifyDate>{when}</xmp:ModifyDate>
<pdf:Producer>Report Task</pdf:Producer>
<pdfuaid:part>1</pdfuaid:part>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>""".encode()
    head = f"<< /Type /Metadata /Subtype /XML /Length {len(xmp)} >>\nstream\n".encode()
    return head + xmp + b"\nendstream"


_PER_STREAM = 500  # objects per object stream
_SMALL = 8192  # bytes of an object or cross-reference stream left uncompressed
_ENTRY = struct.Struct(">BIH")  # a cross-reference stream's entry: /W [1 4 2]


def _serialize(bodies: list[bytes], first_font: int, tree: Tree) -> bytes:
    """``bodies`` as they are, then the structure tree's objects (small dictionaries, one
    per table cell) compressed in object streams; a cross-reference stream says where each
    object is."""
    out = [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"]
    position = len(out[0])
    table = bytearray(_ENTRY.pack(0, 0, 65535))  # per object: type, where, index
    for number, body in enumerate(bodies, start=1):
        chunk = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        table += _ENTRY.pack(1, position, 0)
        out.append(chunk)
        position += len(chunk)
    # The file's identifier: a digest of what this document alone holds (its info and its
    # pages; the font subsets follow from the text), so it is stable for the same input.
    digest = hashlib.md5(b"".join(out[1:first_font]), usedforsecurity=False).hexdigest()
    number = len(bodies) + 1  # the tree's first object; its object streams follow it
    streams: list[int] = []  # where each object stream starts
    while group := list(itertools.islice(tree.bodies, _PER_STREAM)):
        packed_in = len(bodies) + tree.count + 1 + len(streams)
        table += b"".join(_ENTRY.pack(2, packed_in, i) for i in range(len(group)))
        chunk = b"%d 0 obj\n%s\nendobj\n" % (packed_in, _object_stream(number, group))
        streams.append(position)
        out.append(chunk)
        position += len(chunk)
        number += len(group)
    table += b"".join(_ENTRY.pack(1, at, 0) for at in [*streams, position])  # and the xref
    size = number + len(streams) + 1
    info = f" /Type /XRef /Size {size} /W [1 4 2] /Root {_CATALOG} 0 R /Info {_INFO} 0 R"
    out.append(b"%d 0 obj\n" % (size - 1))
    out.append(_stream(bytes(table), f"{info} /ID [<{digest}> <{digest}>]") + b"\nendobj\n")
    out.append(b"startxref\n%d\n%%%%EOF\n" % position)
    return b"".join(out)


def _object_stream(first: int, bodies: list[bytes]) -> bytes:
    """Objects ``first``, ``first + 1``, … in one compressed stream."""
    offsets, at = [], 0
    for number, body in enumerate(bodies, start=first):
        offsets.append(b"%d %d" % (number, at))
        at += len(body) + 1
    head = b" ".join(offsets) + b"\n"
    data = head + b"\n".join(bodies) + b"\n"
    return _stream(data, f" /Type /ObjStm /N {len(bodies)} /First {len(head)}")


def _stream(data: bytes, extra: str) -> bytes:
    """A stream compressed when that saves more than it costs: a small document's few
    structure objects and its cross-reference table are faster written as they are."""
    if len(data) > _SMALL:
        return stream(data, extra)
    return f"<< /Length {len(data)}{extra} >>\nstream\n".encode() + data + b"\nendstream"
