"""Masking personal data in the digest's excerpts: names, phone numbers, addresses, ID numbers.

Patterns for what has a shape (Chinese mobile and landline numbers, international numbers,
resident ID numbers, house numbers and street addresses in both languages, e-mail), and the
names the bot knows (the resident who filed, and any staff name) wherever they appear, plus
the ways people introduce a name ("我叫…", "姓…", "my name is …", "Mr …"). What is masked
becomes "＊＊" so an excerpt still reads as a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "＊＊"

_PATTERNS = [
    # Resident ID numbers (18 characters, the last may be X) before any phone pattern.
    re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"),
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    # Phone numbers: +86 / 0086 prefixes, mobiles, landlines with area codes, spaced or dashed.
    re.compile(r"(?:(?:\+|00)\d{1,3}[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"),
    re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)"),
    re.compile(r"(?:\+|00)\d[\d\s-]{7,16}\d"),
    # Chinese addresses: a place name ending in 路/街/巷/道/弄/小区 with a number, and
    # building / unit / room numbers.
    re.compile(
        r"[\u4e00-\u9fff]{1,8}(?:路|街|巷|大道|弄|胡同)\s*\d+\s*号(?:院)?"
        r"|\d+\s*(?:号楼|栋|幢|单元|室|号院|号)(?:\s*\d+\s*(?:单元|室|层|楼))*"
    ),
    # English addresses: "12 Xinhua Rd", "Flat 3, 5 Lake Street", "No. 8 ...".
    re.compile(
        r"\b(?:flat|apt\.?|apartment|room|unit|no\.?)\s*\d+\w?\b|\b\d+\w?\s+(?:[A-Z][a-z]+\s+){1,3}"
        r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Alley|Way|Drive|Dr)\b\.?",
        re.IGNORECASE,
    ),
    # Names introduced as names.
    re.compile(r"(?:我叫|我是|本人|姓名[:：]?\s*)[\u4e00-\u9fff]{2,3}"),
    re.compile(r"(?<=[姓])[\u4e00-\u9fff](?=[的,，\s])"),
    re.compile(
        r"\b(?:my name is|i am|i'm|mr\.?|mrs\.?|ms\.?|miss|dr\.?)\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?",
        re.IGNORECASE,
    ),
]


def mask(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with every known name and every phone, ID, e-mail and address masked."""
    out = text
    for name in sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len, reverse=True):
        out = re.sub(re.escape(name), MASK, out, flags=re.IGNORECASE)
        # "Zhang San" is also written "Zhang" or "San" alone in English.
        for part in name.split():
            if len(part) >= 3:
                out = re.sub(rf"\b{re.escape(part)}\b", MASK, out, flags=re.IGNORECASE)
    for pattern in _PATTERNS:
        out = pattern.sub(MASK, out)
    return re.sub(rf"(?:{re.escape(MASK)}\s*)+", MASK + " ", out).strip()


def excerpt(text: str, names: Iterable[str] = (), limit: int = 80) -> str:
    """A short, masked excerpt: the first line, masked, then cut."""
    first = " ".join(text.split())
    masked = mask(first, names)
    return masked if len(masked) <= limit else masked[: limit - 1].rstrip() + "…"
