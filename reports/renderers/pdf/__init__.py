"""The PDF report: laid out into pages of drawing operations, then written as PDF bytes.

Modules: ``document`` (the sections, in order), ``layout`` (page geometry, text flow),
``tables``, ``chart`` and ``heatmap`` (what they draw), ``content`` (operations to PDF
operators), ``fonts`` (DejaVu Sans, subsets cached per process), ``faces`` (the font files,
which draws a character), ``shaping`` (runs of other scripts, shaped with HarfBuzz),
``cidfonts`` (the shaped glyphs as Type0 fonts), ``truetype`` (their glyph-id subsets),
``tags`` (the structure tree of the tagged PDF, PDF/UA-1) and ``writer`` (the file).
"""

from reports.renderers.pdf.document import layout_pdf, render_pdf
from reports.renderers.pdf.layout import MARGIN, PAGE_W, text_width

__all__ = ["MARGIN", "PAGE_W", "layout_pdf", "render_pdf", "text_width"]
