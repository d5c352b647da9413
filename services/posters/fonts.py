"""Finding and checking the CJK fonts a poster is drawn with.

Without any setting the renderer looks for a font on the system (Noto Sans CJK first), then uses
the subset of Noto Sans CJK SC Bold bundled in ``services/fonts/`` (see its README.md), then any
other CJK font found (WenQuanYi, Droid Sans Fallback). ``CPBOT_POSTER_FONT`` names a font file to
try before all of them. Of these, the first that has a glyph for every character of the poster
is used; if none has, the one missing the fewest, and the missing characters print as the
font's "missing glyph" box.
"""

from __future__ import annotations

import glob
import logging
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from services.bundled_font import BUNDLED_FONT as BUNDLED_FONT

log = logging.getLogger(__name__)

FONT_ENV = "CPBOT_POSTER_FONT"

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

_PROBE_SIZE = 32
_NOTDEF_PROBE = "\U0010fffd"  # a private-use code point no font maps: renders as .notdef


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
    """The usable CJK fonts, most preferred first (see this module's docstring)."""
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
