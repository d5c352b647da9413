"""The emulator's reading and writing of WeChat's message XML (flat ``<xml>``, text in CDATA).

Kept apart from the bot's ``wechat.xml`` for the same reason as ``crypto.py``. Replies come from
the bot under test, so they are read with defusedxml as well.
"""

from __future__ import annotations

from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring


class XmlError(ValueError):
    pass


def read_xml(text: str) -> dict[str, str]:
    try:
        root = fromstring(text, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        raise XmlError(str(exc)) from exc
    return {child.tag: (child.text or "") for child in root}


def write_xml(fields: dict[str, str | int]) -> str:
    out = []
    for tag, value in fields.items():
        if isinstance(value, int):
            out.append(f"<{tag}>{value}</{tag}>")
        else:
            safe = value.replace("]]>", "]]]]><![CDATA[>")
            out.append(f"<{tag}><![CDATA[{safe}]]></{tag}>")
    return "<xml>" + "".join(out) + "</xml>"
