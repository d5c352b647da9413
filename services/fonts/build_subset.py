"""Build the CJK font bundled for the poster renderer (services/posters/).

Run by hand, not at runtime; it needs Debian's ``fonts-noto-cjk`` and ``fonttools``::

    apt-get install -y fonts-noto-cjk
    .venv/bin/pip install fonttools
    .venv/bin/python services/fonts/build_subset.py

It takes the Simplified Chinese face of Noto Sans CJK Bold and keeps only Basic Latin,
Latin-1, Latin Extended-A, the pinyin tone letters, general punctuation, CJK symbols and
punctuation, fullwidth forms, the non-Han symbols of GB 2312 and all 6763 Han characters of
GB 2312: level 1 (the 3755 most common Simplified Chinese characters) and level 2 (3008 less
common ones, which street and place names often need). The result is renamed
("CPBot Poster Sans SC"), as the SIL Open Font License asks of modified versions, and keeps
the licence (OFL.txt beside this file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fontTools import subset  # type: ignore[import-untyped, import-not-found, unused-ignore]
from fontTools.ttLib import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
    TTCollection,
    TTFont,
)

HERE = Path(__file__).resolve().parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
FACE = "Noto Sans CJK SC"
OUTPUT = HERE / "CPBotPosterSansSC-Bold.otf"
FAMILY = "CPBot Poster Sans SC"
STYLE = "Bold"
POSTSCRIPT = "CPBotPosterSansSC-Bold"

RANGES = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 Supplement
    (0x0100, 0x017F),  # Latin Extended-A (pinyin ā ē ī ō ū …)
    (0x2000, 0x206F),  # General Punctuation
    (0x20AC, 0x20AC),  # euro sign
    (0x2100, 0x2122),  # letterlike symbols (℃, №, ™)
    (0x2190, 0x2193),  # arrows
    (0x2460, 0x2473),  # circled numbers ①…⑳
    (0x25A0, 0x25CF),  # squares, triangles, circles
    (0x3000, 0x303F),  # CJK Symbols and Punctuation
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
]
PINYIN = "ǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜ"


def gb2312_chars(first_row: int, last_row: int) -> set[str]:
    """The characters of GB 2312 rows ``first_row``..``last_row`` (EUC-CN lead bytes)."""
    chars: set[str] = set()
    for lead in range(first_row, last_row + 1):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # unassigned cell (e.g. the end of row 0xD7)
    return chars


def wanted_codepoints() -> set[int]:
    points = {cp for low, high in RANGES for cp in range(low, high + 1)}
    points.update(ord(ch) for ch in PINYIN)
    points.update(ord(ch) for ch in gb2312_chars(0xA1, 0xA9))  # GB 2312 symbols
    level1 = gb2312_chars(0xB0, 0xD7)  # 0xB0A1-0xD7F9: the 3755 most common
    level2 = gb2312_chars(0xD8, 0xF7)  # 0xD8A1-0xF7FE: 3008 less common (many in place names)
    assert (len(level1), len(level2)) == (3755, 3008), (len(level1), len(level2))
    points.update(ord(ch) for ch in level1 | level2)
    return points


def load_face(source: Path, face: str) -> TTFont:
    if source.suffix.lower() == ".ttc":
        for font in TTCollection(str(source)).fonts:
            if font["name"].getDebugName(1) == face:
                return font
        raise SystemExit(f"{face!r} not found in {source}")
    return TTFont(str(source))


def rename(font: TTFont) -> None:
    names = {
        1: FAMILY,
        2: STYLE,
        3: f"{POSTSCRIPT};subset",
        4: f"{FAMILY} {STYLE}",
        6: POSTSCRIPT,
        16: FAMILY,
        17: STYLE,
    }
    table = font["name"]
    for record in list(table.names):
        if record.nameID in names or record.nameID in (18, 21, 22):
            table.removeNames(nameID=record.nameID)
    for name_id, text in names.items():
        table.setName(text, name_id, 3, 1, 0x409)
        table.setName(text, name_id, 1, 0, 0)
    table.setName(
        "Subset of Noto Sans CJK SC Bold, made with services/fonts/build_subset.py",
        10,
        3,
        1,
        0x409,
    )
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [POSTSCRIPT]
        top = cff.topDictIndex[0]
        top.FullName = f"{FAMILY} {STYLE}"
        top.FamilyName = FAMILY


def build(source: Path, output: Path) -> None:
    font = load_face(source, FACE)
    options = subset.Options()
    options.notdef_outline = True  # a missing character shows as a box, not as nothing
    options.hinting = False  # the poster is rendered large; hints only add bytes
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.layout_features = ["kern", "ccmp", "liga"]  # no vertical or locale forms
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted_codepoints())
    subsetter.subset(font)
    rename(font)
    font.recalcTimestamp = False  # keep the source's dates, so a rebuild is byte-identical
    font.save(str(output))
    size = output.stat().st_size
    sys.stdout.write(f"{output}: {size} bytes, {len(font.getGlyphOrder())} glyphs\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    build(args.source, args.output)


if __name__ == "__main__":
    main()
