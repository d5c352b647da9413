"""WeChat's message XML, read safely and written with CDATA as WeChat does.

defusedxml refuses DTDs, entity declarations and external references, so a hostile body can
neither expand into gigabytes ("billion laughs") nor read files.
"""

from __future__ import annotations

from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring


class BadXml(ValueError):
    """The body is not one flat WeChat message."""


def parse_message(body: bytes | str) -> dict[str, str]:
    """The ``<xml>`` element's children as a flat mapping (nested ones, such as
    ``ScanCodeInfo``, flattened with their own tags)."""
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        raise BadXml(str(exc)) from exc
    if root.tag != "xml":
        raise BadXml("root element is not <xml>")
    fields: dict[str, str] = {}
    for element in root.iter():
        if element is not root and len(element) == 0:
            fields[element.tag] = (element.text or "").strip()
    return fields


def _cdata(value: str) -> str:
    # "]]>" cannot stand inside CDATA: split it across two sections.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_message(fields: dict[str, str | int]) -> str:
    """A flat ``<xml>`` message: numbers bare, text in CDATA."""
    parts = []
    for tag, value in fields.items():
        text = str(value) if isinstance(value, int) else _cdata(value)
        parts.append(f"<{tag}>{text}</{tag}>")
    return "<xml>" + "".join(parts) + "</xml>"
