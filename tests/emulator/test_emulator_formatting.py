"""Telegram's parse modes and entity detection, character for character."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.errors import ApiError
from emulator.formatting import format_text
from emulator.formatting.utf16 import Utf16Index, utf16_len


def html(text: str) -> tuple[str, list[dict[str, Any]]]:
    return format_text(text, "HTML", None)


def refused(text: str, mode: str = "HTML") -> str:
    with pytest.raises(ApiError) as error:
        format_text(text, mode, None)
    assert error.value.code == 400
    return error.value.description


def test_nested_tags_and_utf16_offsets() -> None:
    text, entities = html("👍 <b>bold <i>both</i></b> <u>u</u><s>s</s> <tg-spoiler>x</tg-spoiler>")
    assert text == "👍 bold both us x"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "underline", "offset": 13, "length": 1},
        {"type": "strikethrough", "offset": 14, "length": 1},
        {"type": "spoiler", "offset": 16, "length": 1},
    ]


def test_synonyms_and_case() -> None:
    _, entities = html("<STRONG>a</STRONG><em>b</em><ins>c</ins><del>d</del><strike>e</strike>")
    assert [e["type"] for e in entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "strikethrough",
    ]


def test_links_code_pre_blockquote() -> None:
    text, entities = html(
        "<a href=\"example.com\">site</a> <a href='tg://user?id=1'>nobody</a> "
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>quote</blockquote><code>c</code>"
    )
    assert text == "site nobody x = 1quotec"
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "http://example.com/"},
        {"type": "pre", "offset": 12, "length": 5, "language": "python"},
        {"type": "expandable_blockquote", "offset": 17, "length": 5},
        {"type": "code", "offset": 22, "length": 1},
    ]


def test_html_entities_like_telegram() -> None:
    text, _ = html("&lt;b&gt; &amp;amp; &quot;q&quot; &#x41;&#66; &nbsp; &copy;")
    assert text == '<b> &amp; "q" AB &nbsp; &copy;'


def test_empty_tags_make_no_entity_and_whitespace_is_trimmed() -> None:
    assert html("  <b></b>\n hi <i>there</i>\n\n") == (
        "hi there",
        [{"type": "italic", "offset": 3, "length": 5}],
    )


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        (
            "<b x>",
            'Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0',
        ),
        ("<a href=x/y>", "Unexpected end of name token at byte offset 8"),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("é <b", "Unclosed start tag at byte offset 3"),
        ('<a href="x', "Unclosed start tag at byte offset 0"),
        ("<i>x</i", "Unclosed end tag at byte offset 4"),
        ("<span class=x>y</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_html_errors(markup: str, reason: str) -> None:
    assert refused(markup) == f"Bad Request: can't parse entities: {reason}"


def test_markdown_v2() -> None:
    text, entities = format_text(
        "*b* _i_ __u__ ~s~ ||p|| [l](https://x.org/a\\)b) `c` 1\\.5", "MarkdownV2", None
    )
    assert text == "b i u s p l c 1.5"
    assert [e["type"] for e in entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "text_link",
        "code",
    ]
    assert entities[5]["url"] == "https://x.org/a)b"
    assert refused("1.5", "MarkdownV2") == (
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
        "with the preceding '\\'"
    )
    assert refused("_open", "MarkdownV2") == (
        "Bad Request: can't parse entities: Can't find end of Italic entity at byte offset 0"
    )


def test_legacy_markdown_and_unknown_mode() -> None:
    assert format_text("*b* _i_", "Markdown", None)[1] == [
        {"type": "bold", "offset": 0, "length": 1},
        {"type": "italic", "offset": 2, "length": 1},
    ]
    assert refused("x", "BBCode") == "Bad Request: unsupported parse_mode BBCode"


def test_detected_entities_skip_code() -> None:
    text, entities = format_text(
        "/help@cp_bot mail a@b.cn or see https://t.me/cp_bot?start=x. "
        "#tag @someone <code>/no</code>",
        "HTML",
        None,
    )
    kinds = [(e["type"], text[e["offset"] : e["offset"] + e["length"]]) for e in entities]
    assert kinds == [
        ("bot_command", "/help@cp_bot"),
        ("email", "a@b.cn"),
        ("url", "https://t.me/cp_bot?start=x"),
        ("hashtag", "#tag"),
        ("mention", "@someone"),
        ("code", "/no"),
    ]


def test_explicit_entities_are_clipped() -> None:
    text, entities = format_text(
        "hello", None, [{"type": "bold", "offset": 1, "length": 99}, {"type": "x"}]
    )
    assert (text, entities) == ("hello", [{"type": "bold", "offset": 1, "length": 4}])


def test_utf16_index() -> None:
    text = "a😀b𝄞c"
    index = Utf16Index(text)
    assert utf16_len(text) == 7
    assert [index.to_utf16(i) for i in range(len(text) + 1)] == [0, 1, 3, 4, 6, 7]
    assert index.slice(1, 2) == "😀"
    assert index.slice(4, 2) == "𝄞"
