"""Printable registration posters for contact points.

An administrator prints the poster and hangs it at the office; a resident scans its QR code
to open the bot with a deep link. `render_poster` is a pure function: text in, PNG bytes out.

Chinese needs a font with CJK glyphs. The renderer looks, without any setting, for one on the
system (Noto Sans CJK first), then uses the subset of Noto Sans CJK SC Bold bundled in
``services/fonts/`` (see its README.md), then any other CJK font found (WenQuanYi, Droid Sans
Fallback). ``CPBOT_POSTER_FONT`` names a font file to try before all of them. Of these, the
first that has a glyph for every character of the poster is used; if none has, the one
missing the fewest, and the missing characters print as the font's "missing glyph" box.
"""

from __future__ import annotations

import glob
import io
import logging
import os
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_Q

log = logging.getLogger(__name__)

# A4 portrait at 150 dpi.
DPI = 150
PAGE_WIDTH, PAGE_HEIGHT = 1240, 1754
MARGIN = 90  # about 15 mm; nothing is drawn outside it
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

FONT_ENV = "CPBOT_POSTER_FONT"
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
BUNDLED_FONT = FONTS_DIR / "CPBotPosterSansSC-Bold.otf"

# Searched in this order; a pattern may match several files (taken in name order).
NOTO_CJK_FONTS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-*.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-*.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-*.ttc",
)
OTHER_CJK_FONTS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/*",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)

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

ELLIPSIS = "…"
_LOCK = threading.Lock()  # FreeType faces are shared (cached) and not safe across threads
_PROBE_SIZE = 32
_NOTDEF_PROBE = "\U0010fffd"  # a private-use code point no font maps: renders as .notdef
_REFERENCE = "国Hgy"  # sets the ink height of a line
# Kept off the start of a line (joined to what precedes them) ...
_CLOSING = set("，。、；：？！）》」』】〕〉〗’”…‥·・%,.;:!?)]}")
# ... and off the end of one (joined to what follows them).
_OPENING = set("（《「『【〔〈〖‘“([{")


# --------------------------------------------------------------------------- fonts


@dataclass(frozen=True)
class FontFace:
    """One face of a font file (a .ttc holds several)."""

    path: str
    index: int = 0

    def at(self, size: int) -> ImageFont.FreeTypeFont:
        return _load(self.path, self.index, max(1, size))

    @property
    def name(self) -> str:
        family, style = self.at(_PROBE_SIZE).getname()
        return f"{family} {style}".strip() if style else str(family)


@lru_cache(maxsize=128)
def _load(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


def _expand(patterns: Iterable[str]) -> list[str]:
    paths: list[str] = []
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]:
            if path not in paths and os.path.isfile(path):
                paths.append(path)
    return paths


@lru_cache(maxsize=64)
def _face(path: str) -> FontFace | None:
    """The Simplified Chinese face of a font file, or None if it has no CJK glyphs."""
    index = 0
    if path.lower().endswith((".ttc", ".otc")):
        for i in range(64):
            try:
                family = _load(path, i, _PROBE_SIZE).getname()[0] or ""
            except OSError:
                break
            if "SC" in family.split() or family.endswith("SC") or "GB" in family.split():
                index = i
                break
    face = FontFace(path, index)
    try:
        usable = has_glyph(face, "中")
    except OSError as exc:
        log.warning("poster font %s cannot be loaded: %s", path, exc)
        return None
    return face if usable else None


@lru_cache(maxsize=16)
def _candidates(env: str, noto: tuple[str, ...], other: tuple[str, ...]) -> tuple[FontFace, ...]:
    faces: list[FontFace] = []
    if env:
        if os.path.isfile(env):
            face = _face(env)
            if face is not None:
                faces.append(face)
            else:
                log.warning("%s=%s has no Chinese glyphs; ignored", FONT_ENV, env)
        else:
            log.warning("%s=%s is not a file; ignored", FONT_ENV, env)
    for path in [*_expand(noto), str(BUNDLED_FONT), *_expand(other)]:
        face = _face(path) if os.path.isfile(path) else None
        if face is not None and face not in faces:
            faces.append(face)
    return tuple(faces)


def font_candidates() -> tuple[FontFace, ...]:
    """The usable CJK fonts, most preferred first (see the module's docstring)."""
    env = os.environ.get(FONT_ENV, "").strip()
    return _candidates(env, NOTO_CJK_FONTS, OTHER_CJK_FONTS)


def _render_probe(face: FontFace, char: str) -> bytes:
    image = Image.new("L", (_PROBE_SIZE * 3, _PROBE_SIZE * 3), 0)
    ImageDraw.Draw(image).text(
        (_PROBE_SIZE, _PROBE_SIZE), char, font=face.at(_PROBE_SIZE), fill=255
    )
    return image.tobytes()


@lru_cache(maxsize=32)
def _notdef(face: FontFace) -> bytes:
    return _render_probe(face, _NOTDEF_PROBE)


def _ignorable(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Mn", "Me")


@lru_cache(maxsize=65536)
def has_glyph(face: FontFace, char: str) -> bool:
    """Whether `face` draws `char` as itself rather than as its missing-glyph box."""
    if _ignorable(char):
        return True
    return _render_probe(face, char) != _notdef(face)


def choose_font(text: str) -> FontFace:
    """The font to draw `text` with: the first candidate that has all its characters."""
    faces = font_candidates()
    if not faces:
        raise RuntimeError(
            f"no poster font: {BUNDLED_FONT} is missing and no CJK font is installed"
        )
    needed = sorted({ch for ch in text if not _ignorable(ch)})
    best, best_missing = faces[0], len(needed) + 1
    for face in faces:
        missing = [ch for ch in needed if not has_glyph(face, ch)]
        if not missing:
            return face
        if len(missing) < best_missing:
            best, best_missing = face, len(missing)
    log.warning("poster font %s lacks %d of the poster's characters", best.name, best_missing)
    return best


# --------------------------------------------------------------------------- text


def ink_width(font: ImageFont.FreeTypeFont, text: str) -> int:
    if not text:
        return 0
    left, _, right, _ = font.getbbox(text, anchor="ls")
    return int(right - left)


@lru_cache(maxsize=65536)
def _advance(font: ImageFont.FreeTypeFont, char: str) -> float:
    return float(font.getlength(char))


def _fits(font: ImageFont.FreeTypeFont, text: str, width: int) -> bool:
    """Whether `text` is at most `width` wide. Summed advances (cached per character) settle
    most cases; only those near the limit are measured exactly, which is slow."""
    text = text.rstrip()
    estimate = sum(_advance(font, char) for char in text)
    if estimate <= width * 0.95:
        return True
    if estimate > width * 1.1:
        return False
    return ink_width(font, text) <= width


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _tokens(text: str) -> list[str]:
    """Split into unbreakable pieces: a CJK character each, a Latin word with its spaces."""
    tokens: list[str] = []
    word = ""
    for char in text:
        if char.isspace():
            if word:
                tokens.append(word + " ")
                word = ""
            elif tokens and not tokens[-1].endswith(" "):
                tokens[-1] += " "
        elif _wide(char):
            if word:
                tokens.append(word)
                word = ""
            tokens.append(char)
        else:
            word += char
    if word:
        tokens.append(word)
    merged: list[str] = []
    glue_next = False
    for token in tokens:
        if merged and (glue_next or token[0] in _CLOSING):
            merged[-1] += token
        else:
            merged.append(token)
        glue_next = token.rstrip()[-1:] in _OPENING
    return merged


def _script_runs(text: str) -> list[str]:
    """`text` cut at each space between a CJK and a non-CJK character."""
    runs: list[str] = []
    start = 0
    for i, char in enumerate(text):
        if char == " " and 0 < i < len(text) - 1:
            before, after = text[:i].rstrip(), text[i:].lstrip()
            if before and after and _wide(before[-1]) != _wide(after[0]):
                runs.append(text[start:i])
                start = i + 1
    runs.append(text[start:])
    return [run.strip() for run in runs if run.strip()]


def _split_long(token: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    pieces: list[str] = []
    piece = ""
    for char in token:
        if piece and not _fits(font, piece + char, width):
            pieces.append(piece)
            piece = char.lstrip()
        else:
            piece += char
    pieces.append(piece)
    return pieces


def wrap_text(
    text: str, font: ImageFont.FreeTypeFont, width: int, *, anywhere: bool = False
) -> list[str]:
    """Lines of `text` no wider than `width`: CJK breaks between characters, Latin between
    words (a word wider than the line is broken too). `anywhere` breaks between any two
    characters, as for a URL. Hard line breaks are kept."""
    lines: list[str] = []
    for paragraph in text.replace("\t", " ").splitlines() or [""]:
        tokens = list(paragraph) if anywhere else _tokens(paragraph)
        line = ""
        for token in tokens:
            if _fits(font, line + token, width):
                line += token
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = token.lstrip()
            if not _fits(font, line, width):
                *full, line = _split_long(line, font, width)
                lines.extend(piece.rstrip() for piece in full)
        lines.append(line.rstrip())
    checked: list[str] = []  # a last exact check, in case an estimate let a line through
    for line in lines:
        if ink_width(font, line) > width:
            checked.extend(_split_long(line, font, width - 1))
        else:
            checked.append(line)
    return checked


def _ellipsize(line: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    while line and ink_width(font, line + ELLIPSIS) > width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


# --------------------------------------------------------------------------- layout


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


# --------------------------------------------------------------------------- QR code


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
