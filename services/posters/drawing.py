"""Drawing the poster: the QR code of the link, and the page with everything in its place."""

from __future__ import annotations

import io
import threading

import qrcode
from PIL import Image, ImageDraw
from qrcode.constants import ERROR_CORRECT_Q

from services.posters.fonts import choose_font
from services.posters.layout import (
    ACCENT,
    DPI,
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    QR_BORDER,
    QR_DARK,
    RULE,
    WHITE,
    _fit,
)

_LOCK = threading.Lock()  # FreeType faces are shared (cached) and not safe across threads


def qr_matrix(link: str) -> list[list[bool]]:
    """The QR code of `link` (error correction Q, 25 % recoverable), quiet zone included."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QR_BORDER, box_size=1)
    code.add_data(link)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def _qr_image(matrix: list[list[bool]], space: int) -> Image.Image:
    """The code at a whole number of pixels per module, so every module is a sharp square."""
    modules = len(matrix)
    scale = space // modules
    if scale < 1:
        raise ValueError("the link is too long for a QR code on the poster")
    small = Image.new("RGB", (modules, modules), WHITE)
    pixels = small.load()
    assert pixels is not None
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[x, y] = QR_DARK
    return small.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


# --------------------------------------------------------------------------- poster


def render_poster(*, title: str, lines: list[str], link: str, footer: str = "") -> bytes:
    """A printable PNG (A4 portrait at 150 dpi, 1240x1754 px): the point's name as the title,
    a few instruction lines (given already translated; typically Chinese then English), a large
    QR code of `link`, the link in text under it, and an optional footer (e.g. the point's code
    and address). Returns PNG bytes."""
    if not link:
        raise ValueError("a poster needs a link")
    with _LOCK:
        return _render(title, lines, link, footer)


def _render(title: str, lines: list[str], link: str, footer: str) -> bytes:
    matrix = qr_matrix(link)
    title, footer = title.strip(), footer.strip()
    lines = [line.strip() for line in lines if line.strip()]
    face = choose_font("".join([title, *lines, link, footer]))
    layout = _fit(face, title, lines, link, footer, len(matrix))
    px = layout.px

    page = Image.new("RGB", (PAGE_WIDTH, PAGE_HEIGHT), WHITE)
    canvas = ImageDraw.Draw(page)

    # Header: accent bar, title, short accent rule, instructions.
    y = MARGIN
    canvas.rectangle((MARGIN, y, PAGE_WIDTH - MARGIN - 1, y + px(12) - 1), fill=ACCENT)
    y += px(12) + px(56)
    layout.title.draw(canvas, y)
    y += layout.title.height
    if layout.body.lines:
        y += px(40)
        half = px(60)
        centre = PAGE_WIDTH // 2
        canvas.rectangle((centre - half, y, centre + half - 1, y + px(5) - 1), fill=ACCENT)
        y += px(5) + px(40)
        layout.body.draw(canvas, y)
        y += layout.body.height
    header_bottom = y

    # Footer, from the bottom margin up: a thin rule, then the text.
    footer_top = PAGE_HEIGHT - MARGIN
    if layout.footer.lines:
        footer_top -= layout.footer_height
        canvas.rectangle(
            (MARGIN, footer_top, PAGE_WIDTH - MARGIN - 1, footer_top + px(2) - 1), fill=RULE
        )
        layout.footer.draw(canvas, footer_top + px(2) + px(24))

    # The code and the link under it, centred in the space between.
    code = _qr_image(matrix, max(layout.qr_space, len(matrix)))
    group = code.height + px(12) + layout.link.height
    room_top = header_bottom + px(24)
    room_bottom = footer_top - (px(32) if layout.footer.lines else 0)
    top = room_top + max(0, (room_bottom - room_top - group) // 2)
    page.paste(code, ((PAGE_WIDTH - code.width) // 2, top))
    layout.link.draw(canvas, top + code.height + px(12))

    out = io.BytesIO()
    page.save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()
