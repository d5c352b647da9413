"""Printable registration posters for contact points: an administrator hangs one at the office,
a resident scans its QR code to open the bot. `render_poster` is pure: text in, PNG bytes out.
Fonts are found in ``fonts``, text wrapped in ``text``, laid out in ``layout``, drawn in
``drawing``."""

from __future__ import annotations

# Relative imports of the parts only: the names below are handed on from them.
from . import drawing, fonts, layout, text

BUNDLED_FONT = fonts.BUNDLED_FONT
FONT_ENV = fonts.FONT_ENV
FontFace = fonts.FontFace
choose_font = fonts.choose_font
font_candidates = fonts.font_candidates
has_glyph = fonts.has_glyph
ink_width = text.ink_width
wrap_text = text.wrap_text
CONTENT_WIDTH = layout.CONTENT_WIDTH
MARGIN = layout.MARGIN
PAGE_HEIGHT = layout.PAGE_HEIGHT
PAGE_WIDTH = layout.PAGE_WIDTH
SUBTITLE_SIZE = layout.SUBTITLE_SIZE
TITLE_SIZE = layout.TITLE_SIZE
_title_lines = layout._title_lines
qr_matrix = drawing.qr_matrix
render_poster = drawing.render_poster

__all__ = [
    "BUNDLED_FONT",
    "CONTENT_WIDTH",
    "FONT_ENV",
    "MARGIN",
    "PAGE_HEIGHT",
    "PAGE_WIDTH",
    "SUBTITLE_SIZE",
    "TITLE_SIZE",
    "FontFace",
    "choose_font",
    "drawing",
    "font_candidates",
    "fonts",
    "has_glyph",
    "ink_width",
    "layout",
    "qr_matrix",
    "render_poster",
    "text",
    "wrap_text",
]
