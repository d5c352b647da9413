"""Laying a poster out: the page, its colours and sizes, the title, instructions, link and
footer as centred blocks, shrunk together until the QR code has room."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from PIL import ImageDraw, ImageFont

from services.posters.fonts import FontFace
from services.posters.text import _ellipsize, _script_runs, _wide, ink_width, wrap_text

# A4 portrait at 150 dpi.
DPI = 150
PAGE_WIDTH, PAGE_HEIGHT = 1240, 1754
MARGIN = 90  # about 15 mm; nothing is drawn outside it
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

WHITE = (255, 255, 255)
INK = (17, 24, 39)  # text; deliberately not pure black, which only the QR code uses
MUTED = (75, 85, 99)
ACCENT = (185, 28, 28)
RULE = (209, 213, 219)
QR_DARK = (0, 0, 0)

# Sizes in pixels at scale 1; long text shrinks them all together.
TITLE_SIZE = 84
SUBTITLE_SIZE = 56  # the Latin line of a bilingual title
LINE_SIZE = 46
LINK_SIZE = 28
FOOTER_SIZE = 32
MIN_SCALE = 0.35
SCALE_STEP = 0.9
QR_MAX = 800  # side of the code including its quiet zone
QR_MIN = 420  # text shrinks before the code gets smaller than this
QR_BORDER = 4  # quiet zone, in modules (the standard's minimum)

_REFERENCE = "国Hgy"  # sets the ink height of a line


@lru_cache(maxsize=256)
def _line_metrics(font: ImageFont.FreeTypeFont) -> tuple[int, int]:
    """(ascent, height) of a line's ink, from a reference with tall and descending glyphs."""
    _, top, _, bottom = font.getbbox(_REFERENCE, anchor="ls")
    return int(-top), int(bottom - top)


@dataclass
class _Line:
    text: str
    font: ImageFont.FreeTypeFont
    new_paragraph: bool = False  # a wider gap above it than above a wrapped line

    def gap_above(self) -> int:
        return round(float(self.font.size) * (0.5 if self.new_paragraph else 0.28))


@dataclass
class _Block:
    """Centred lines of one colour."""

    fill: tuple[int, int, int]
    lines: list[_Line] = field(default_factory=list)

    def add(self, texts: Iterable[str], font: ImageFont.FreeTypeFont) -> None:
        for i, text in enumerate(texts):
            self.lines.append(_Line(text, font, new_paragraph=bool(self.lines) and i == 0))

    @property
    def height(self) -> int:
        return sum(
            (line.gap_above() if i else 0) + _line_metrics(line.font)[1]
            for i, line in enumerate(self.lines)
        )

    def truncate(self) -> None:
        """Drop the last line, marking the cut with an ellipsis."""
        self.lines.pop()
        last = self.lines[-1]
        last.text = _ellipsize(last.text, last.font, CONTENT_WIDTH)

    def draw(self, canvas: ImageDraw.ImageDraw, top: int) -> None:
        y = top
        for i, line in enumerate(self.lines):
            if i:
                y += line.gap_above()
            ascent, height = _line_metrics(line.font)
            if line.text:
                left, _, right, _ = line.font.getbbox(line.text, anchor="ls")
                x = MARGIN + (CONTENT_WIDTH - (right - left)) / 2 - left
                canvas.text((x, y + ascent), line.text, font=line.font, fill=self.fill, anchor="ls")
            y += height


@dataclass
class _Layout:
    title: _Block
    body: _Block
    link: _Block
    footer: _Block
    scale: float

    def px(self, value: float) -> int:
        return round(value * self.scale)

    @property
    def header_height(self) -> int:
        height = self.px(12) + self.px(56) + self.title.height
        if self.body.lines:
            height += self.px(40) + self.px(5) + self.px(40) + self.body.height
        return height

    @property
    def footer_height(self) -> int:
        return self.px(2) + self.px(24) + self.footer.height if self.footer.lines else 0

    @property
    def qr_space(self) -> int:
        """Room left for the QR code (its quiet zone included) by everything else."""
        middle = PAGE_HEIGHT - 2 * MARGIN - self.header_height - self.footer_height
        middle -= self.px(24) + self.px(12) + self.link.height  # gaps around code, link
        if self.footer.lines:
            middle -= self.px(32)
        return min(middle, CONTENT_WIDTH, QR_MAX)


def _has_cjk(text: str) -> bool:
    return any(_wide(char) for char in text)


def _title_lines(title: str, face: FontFace, scale: float) -> Iterable[tuple[list[str], int]]:
    """The title's lines, and their font size. A title in both Chinese and a Latin script
    ("新华街道联系点 Xinhua Street Contact Point", in either order) puts each on its own
    line, the Latin one smaller, as bilingual signs do. A line a little too wide is set a
    little smaller (down to 80 %) rather than wrapped."""
    runs = _script_runs(title)
    bilingual = len(runs) == 2 and _has_cjk(runs[0]) != _has_cjk(runs[1])
    if not bilingual:
        runs = [title]
    for run in runs:
        base = TITLE_SIZE if not bilingual or _has_cjk(run) else SUBTITLE_SIZE
        size = round(base * scale)
        width = ink_width(face.at(size), run)
        if CONTENT_WIDTH < width <= CONTENT_WIDTH / 0.8:
            smaller = int(size * CONTENT_WIDTH / width)
            while smaller > 1 and ink_width(face.at(smaller), run) > CONTENT_WIDTH:
                smaller -= 1
            size = smaller
        yield wrap_text(run, face.at(size), CONTENT_WIDTH), size


def _layout(
    face: FontFace, title: str, lines: Sequence[str], link: str, footer: str, scale: float
) -> _Layout:
    layout = _Layout(_Block(INK), _Block(MUTED), _Block(MUTED), _Block(MUTED), scale)
    if title:
        for texts, size in _title_lines(title, face, scale):
            layout.title.add(texts, face.at(size))
    body_font = face.at(round(LINE_SIZE * scale))
    for paragraph in lines:
        layout.body.add(wrap_text(paragraph, body_font, CONTENT_WIDTH), body_font)
    link_font = face.at(round(LINK_SIZE * scale))
    layout.link.add(wrap_text(link, link_font, CONTENT_WIDTH, anywhere=True), link_font)
    if footer:
        footer_font = face.at(round(FOOTER_SIZE * scale))
        layout.footer.add(wrap_text(footer, footer_font, CONTENT_WIDTH), footer_font)
    return layout


def _fit(
    face: FontFace, title: str, lines: Sequence[str], link: str, footer: str, modules: int
) -> _Layout:
    """The largest layout whose QR code gets at least QR_MIN px; failing that, the smallest
    with its longest text cut short until the code fits."""
    scale = 1.0
    while True:
        layout = _layout(face, title, lines, link, footer, scale)
        if layout.qr_space >= QR_MIN:
            return layout
        if scale * SCALE_STEP < MIN_SCALE:
            break
        scale *= SCALE_STEP
    while layout.qr_space < max(QR_MIN, modules * 2):
        blocks = [
            b for b in (layout.body, layout.title, layout.footer, layout.link) if len(b.lines) > 1
        ]
        if not blocks:
            break
        max(blocks, key=lambda b: b.height).truncate()
    return layout
