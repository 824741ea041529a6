"""Whether an XML document declares a DTD: WeChat never sends one, so a callback that does is refused.

Only the prolog can hold a document type declaration (and with it entity declarations): what comes
before the root element, i.e. a byte-order mark, whitespace, the XML declaration, comments and processing
instructions. Looking there only lets a resident's text contain "<!DOCTYPE html>" (it sits inside the
CDATA of <Content>), while a DTD before <xml> (entity expansion, external entities) is still caught.
"""

from __future__ import annotations

import re

# The prolog's allowed parts, any number of them, then what follows.
_PROLOG_PART = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def has_dtd(document: bytes | str) -> bool:
    """True when a DOCTYPE or ENTITY declaration comes before the root element."""
    data = document.encode("utf-8") if isinstance(document, str) else document
    data = data.replace(b"\x00", b"")  # UTF-16 documents: look at the ASCII of the markup
    for bom in _BOMS:
        if data.startswith(bom):
            data = data[len(bom) :]
            break
    position = 0
    while True:
        part = _PROLOG_PART.match(data, position)
        if part is None or part.end() == position:
            break
        position = part.end()
    return bool(_DECLARATION.match(data, position))
