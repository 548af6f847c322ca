"""The PDF file itself: numbered objects, cross-reference table and trailer, no clock."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from reports.renderers.pdf.content import Painter
from reports.renderers.pdf.fonts import DocumentFonts, stream
from reports.renderers.pdf.layout import PAGE_H, PAGE_W, Page

_CATALOG, _PAGES, _INFO, _RESOURCES = 1, 2, 3, 4  # pages follow, then the fonts


def write_pdf(pages: Sequence[Page], *, title: str, date: str) -> bytes:
    """``date`` is a PDF date ("D:20240721030455+00'00'"): the same input, the same bytes."""
    fonts = DocumentFonts()
    painter = Painter(fonts)
    contents = [stream(painter.page(page.ops)) for page in pages]
    first_page = _RESOURCES + 1
    kids = [first_page + 2 * i for i in range(len(pages))]
    refs = " ".join(f"{k} 0 R" for k in kids)
    bodies = [
        f"<< /Type /Catalog /Pages {_PAGES} 0 R >>".encode(),
        f"<< /Type /Pages /Count {len(pages)} /Kids [{refs}] >>".encode(),
        _info(title, date),
        b"",  # the resources, once the fonts are known
    ]
    media = f"[0 0 {PAGE_W:.4f} {PAGE_H:.4f}]"
    for kid, content in zip(kids, contents, strict=True):
        bodies.append(
            f"<< /Type /Page /Parent {_PAGES} 0 R /MediaBox {media} "
            f"/Resources {_RESOURCES} 0 R /Contents {kid + 1} 0 R >>".encode()
        )
        bodies.append(content)
    names, first_font = [], len(bodies) + 1
    for resource, objects in fonts.subsets():
        names.append(f"/{resource} {len(bodies) + 1} 0 R")
        bodies.extend(objects.bodies(len(bodies) + 1))
    bodies[_RESOURCES - 1] = f"<< /ProcSet [/PDF /Text] /Font << {' '.join(names)} >> >>".encode()
    return _serialize(bodies, first_font)


def _info(title: str, date: str) -> bytes:
    return (
        f"<< /Title {_text_string(title)} /Author (Report Task) /Creator (Report Task) "
        f"/Producer (Report Task) /CreationDate ({date}) /ModDate ({date}) >>"
    ).encode("latin-1")


def _text_string(text: str) -> str:
    if text.isascii():
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def _serialize(bodies: list[bytes], first_font: int) -> bytes:
    out = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    position = len(out[0])
    offsets = []
    for number, body in enumerate(bodies, start=1):
        chunk = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        offsets.append(position)
        out.append(chunk)
        position += len(chunk)
    # The file's identifier: a digest of what this document alone holds (its info and its
    # pages; the font subsets follow from the text), so it is stable for the same input.
    digest = hashlib.md5(b"".join(out[1:first_font]), usedforsecurity=False).hexdigest()
    out.append(b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1))
    out.append(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.append(
        b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n"
        % (len(bodies) + 1, _CATALOG, _INFO, digest.encode(), digest.encode())
    )
    out.append(b"startxref\n%d\n%%%%EOF\n" % position)
    return b"".join(out)
