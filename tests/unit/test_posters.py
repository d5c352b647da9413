"""The registration poster: a printable A4 PNG whose QR code opens the bot."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest
import qrcode
from PIL import Image, ImageChops
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_M, ERROR_CORRECT_Q

from services import posters
from services.posters import (
    BUNDLED_FONT,
    FONT_ENV,
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    FontFace,
    choose_font,
    font_candidates,
    has_glyph,
    ink_width,
    render_poster,
    wrap_text,
)

LINK = "https://t.me/contact_point_bot?start=cp_XH01"
SAMPLE = {
    "title": "新华街道联系点 Xinhua Street Contact Point",
    "lines": ["扫码联系您的联系干部", "Scan to reach your contact point's cadre"],
    "link": LINK,
    "footer": "XH01 · 新华路12号",
}
BLACK = (0, 0, 0)
WHITE = (255, 255, 255)
TOFU = "\U0010fffd"  # a private-use code point that no font draws


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def expected_grid(link: str, level: int) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=level, border=0)
    code.add_data(link)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def read_qr(image: Image.Image) -> list[list[bool]]:
    """The module grid of the poster's QR code, read back from its pixels.

    The code is the only thing drawn in pure black (text is a dark slate), so the bounding box
    of pure-black pixels is the symbol itself. Its top-left finder pattern is 7 modules wide,
    which gives the module size; then each module is sampled at its centre. On the way, this
    checks that the code is crisp (only pure black and white in and around it) and keeps its
    4-module quiet zone."""
    rgb = image.convert("RGB")
    channels = [band.point(lambda v: 255 if v == 0 else 0) for band in rgb.split()]
    black = ImageChops.multiply(ImageChops.multiply(channels[0], channels[1]), channels[2])
    box = black.getbbox()
    assert box is not None, "no QR code on the poster"
    left, top, right, bottom = box
    first_row = black.crop((left, top, right, top + 1)).tobytes()
    finder = len(first_row) - len(first_row.lstrip(b"\xff"))
    assert finder % 7 == 0, "the finder pattern is not a whole number of pixels per module"
    module = finder // 7
    assert module >= 4, "modules too small to print"
    side = right - left
    assert side == bottom - top, "the code is not square"
    assert side % module == 0, "modules are not all the same whole number of pixels"

    quiet = 4 * module
    around = rgb.crop((left - quiet, top - quiet, right + quiet, bottom + quiet))
    colours = {colour for _, colour in around.getcolors(maxcolors=1 << 20) or []}
    assert colours <= {BLACK, WHITE}, "the code is blurred or has something drawn in it"
    assert around.size[0] <= PAGE_WIDTH and left - quiet >= 0 and top - quiet >= 0

    count = side // module
    return [
        [
            black.getpixel((left + col * module + module // 2, top + row * module + module // 2))
            == 255
            for col in range(count)
        ]
        for row in range(count)
    ]


def assert_encodes(image: Image.Image, link: str) -> None:
    grid = read_qr(image)
    levels = (ERROR_CORRECT_M, ERROR_CORRECT_Q, ERROR_CORRECT_H)
    assert any(grid == expected_grid(link, level) for level in levels), (
        f"the QR code does not encode {link!r} at error correction M or higher"
    )


def assert_inside_margins(image: Image.Image) -> None:
    ink = ImageChops.difference(image.convert("RGB"), Image.new("RGB", image.size, WHITE))
    box = ink.getbbox()
    assert box is not None
    left, top, right, bottom = box
    assert left >= MARGIN and top >= MARGIN, box
    assert right <= PAGE_WIDTH - MARGIN and bottom <= PAGE_HEIGHT - MARGIN, box


def test_renders_an_a4_png_at_150_dpi():
    png = render_poster(**SAMPLE)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = decode(png)
    assert image.format == "PNG"
    assert image.size == (PAGE_WIDTH, PAGE_HEIGHT) == (1240, 1754)
    assert round(image.info["dpi"][0]) == 150
    assert_inside_margins(image)


def test_qr_code_encodes_the_link():
    image = decode(render_poster(**SAMPLE))
    assert_encodes(image, LINK)
    with pytest.raises(AssertionError, match="does not encode"):
        assert_encodes(image, LINK.replace("XH01", "XH02"))


def test_qr_code_is_large():
    image = decode(render_poster(**SAMPLE))
    grid = read_qr(image)
    # the symbol alone is more than half the page's width
    channels = [band.point(lambda v: 255 if v == 0 else 0) for band in image.split()]
    box = ImageChops.multiply(ImageChops.multiply(channels[0], channels[1]), channels[2]).getbbox()
    assert box is not None
    assert box[2] - box[0] > PAGE_WIDTH // 2
    assert len(grid) >= 21


def test_minimal_poster_without_lines_or_footer():
    image = decode(render_poster(title="联系点", lines=[], link="https://t.me/b?start=x"))
    assert_encodes(image, "https://t.me/b?start=x")
    assert_inside_margins(image)


def test_link_is_required():
    with pytest.raises(ValueError, match="link"):
        render_poster(title="x", lines=[], link="")


def test_chinese_renders_as_real_glyphs():
    face = choose_font(SAMPLE["title"])
    for char in "新华街道联系点扫码干部路号":
        assert has_glyph(face, char), char
    assert not has_glyph(face, TOFU)
    # the same poster with the title's characters swapped for missing ones looks different
    chinese = decode(render_poster(**{**SAMPLE, "title": "新华街道联系点"}))
    tofu = decode(render_poster(**{**SAMPLE, "title": TOFU * 7}))
    assert ImageChops.difference(chinese.convert("RGB"), tofu.convert("RGB")).getbbox()


def test_bundled_font_alone_renders_chinese(monkeypatch):
    monkeypatch.setattr(posters.fonts, "NOTO_CJK_FONTS", ())
    monkeypatch.setattr(posters.fonts, "OTHER_CJK_FONTS", ())
    monkeypatch.delenv(FONT_ENV, raising=False)
    bundled = FontFace(str(BUNDLED_FONT))
    assert font_candidates() == (bundled,)
    assert choose_font(SAMPLE["title"]) == bundled
    chinese = decode(render_poster(**{**SAMPLE, "title": "新华街道联系点"}))
    tofu = decode(render_poster(**{**SAMPLE, "title": TOFU * 7}))
    assert ImageChops.difference(chinese.convert("RGB"), tofu.convert("RGB")).getbbox()
    assert_encodes(chinese, LINK)


def test_bundled_font_is_small_and_covers_common_chinese():
    assert BUNDLED_FONT.is_file()
    assert BUNDLED_FONT.stat().st_size < 3_000_000
    assert (BUNDLED_FONT.parent / "OFL.txt").is_file()
    face = FontFace(str(BUNDLED_FONT))
    # every 7th character of GB 2312 (levels 1 and 2), plus punctuation and Latin
    hanzi = [
        bytes((lead, trail)).decode("gb2312")
        for lead in range(0xB0, 0xF8)
        for trail in range(0xA1, 0xFF)
        if (lead, trail) < (0xD7, 0xFA) or lead > 0xD7
    ]
    sample = hanzi[::7] + list("，。、；：？！“”（）《》·—…AZaz09@é")
    assert [char for char in sample if not has_glyph(face, char)] == []
    assert not has_glyph(face, "\U00020000")  # CJK extension B: deliberately not included


def test_missing_characters_do_not_crash():
    png = render_poster(
        title="𠀀𠀁 联系点 😀",
        lines=["\u200b零宽 ✓ ☃", "Ω ж ק"],
        link=LINK,
        footer="\x00\t𪚥",
    )
    image = decode(png)
    assert image.size == (PAGE_WIDTH, PAGE_HEIGHT)
    assert_encodes(image, LINK)


def test_env_var_font_comes_first(monkeypatch):
    monkeypatch.setenv(FONT_ENV, str(BUNDLED_FONT))
    assert font_candidates()[0] == FontFace(str(BUNDLED_FONT))


def test_env_var_pointing_nowhere_is_ignored(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "missing.ttf"))
    assert font_candidates()
    assert_encodes(decode(render_poster(**SAMPLE)), LINK)


def test_long_text_wraps_and_shrinks_inside_the_page():
    long_title = (
        "朝阳区建国门外街道永安里社区居民委员会第三联系点 "
        "Jianguomenwai Subdistrict Yong'anli Community Residents Committee Contact Point No. 3"
    )
    lines = [
        "请用手机扫描下方二维码，打开机器人，联系您的联系干部。如有疑问请到办公室咨询。" * 3,
        "Scan the QR code below with your phone to open the bot and reach your cadre. " * 3,
    ]
    link = LINK + "_with_a_rather_long_parameter_that_needs_wrapping_under_the_code_0123456789"
    footer = "XH01 · 北京市朝阳区建国门外大街永安里新华路12号院3号楼2单元 · 电话 010-12345678"
    image = decode(render_poster(title=long_title, lines=lines, link=link, footer=footer))
    assert_inside_margins(image)
    assert_encodes(image, link)


def test_absurdly_long_text_is_cut_but_stays_on_the_page():
    image = decode(
        render_poster(
            title="联系点" * 200,
            lines=["Scan me " * 200, *["另一行说明"] * 40],
            link=LINK,
            footer="地址" * 300,
        )
    )
    assert_inside_margins(image)
    assert_encodes(image, LINK)


def test_cjk_wraps_per_character_and_latin_per_word():
    face = choose_font("联系点 contact")
    font = face.at(40)
    chinese = "联系点" * 20
    wrapped = wrap_text(chinese, font, 400)
    assert len(wrapped) > 1
    assert "".join(wrapped) == chinese
    assert all(ink_width(font, line) <= 400 for line in wrapped)
    assert len(wrapped[0]) >= 8  # filled by characters, not broken early

    english = "Scan the code below to reach the cadre assigned to your contact point"
    wrapped = wrap_text(english, font, 400)
    assert len(wrapped) > 1
    assert " ".join(wrapped) == english
    assert all(ink_width(font, line) <= 400 for line in wrapped)
    words = set(english.split())
    assert all(word in words for line in wrapped for word in line.split())


def test_wrap_keeps_closing_punctuation_off_line_starts():
    font = choose_font("联系").at(40)
    text = "请扫码，联系干部。" * 12
    for width in range(200, 420, 20):
        wrapped = wrap_text(text, font, width)
        assert "".join(wrapped) == text
        assert not any(line[0] in "，。" for line in wrapped), (width, wrapped)


def test_overlong_word_and_link_are_broken_to_fit():
    font = choose_font("x").at(40)
    word = "x" * 200
    wrapped = wrap_text(word, font, 300)
    assert "".join(wrapped) == word
    assert all(ink_width(font, line) <= 300 for line in wrapped)
    link = "https://t.me/contact_point_bot?start=" + "a" * 80
    wrapped = wrap_text(link, font, 300, anywhere=True)
    assert "".join(wrapped) == link


def test_services_do_not_import_aiogram():
    modules = set()
    for path in Path(posters.__file__).parent.glob("*.py"):  # every part of the package
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
    assert "aiogram" not in modules
    assert modules <= {
        "__future__",
        "glob",
        "io",
        "logging",
        "os",
        "threading",
        "unicodedata",
        "collections",
        "dataclasses",
        "functools",
        "pathlib",
        "qrcode",
        "PIL",
        "services",  # its own parts
    }


def test_bilingual_title_puts_each_language_on_its_own_line():
    face = choose_font(SAMPLE["title"])
    parts = list(posters._title_lines(SAMPLE["title"], face, 1.0))
    assert parts == [
        (["新华街道联系点"], posters.TITLE_SIZE),
        (["Xinhua Street Contact Point"], posters.SUBTITLE_SIZE),
    ]
    # Chinese with a Latin word inside is one run, wrapped as usual
    mixed = "打开 Telegram 机器人"
    assert list(posters._title_lines(mixed, face, 1.0)) == [([mixed], posters.TITLE_SIZE)]
