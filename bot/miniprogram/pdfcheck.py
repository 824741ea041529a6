"""PDF uploads checked with a real parser (pypdf): every object, every stream fully decoded.

The check refuses a PDF that is encrypted, damaged beyond parsing, too large to decode, or that carries
active content anywhere: a JavaScript or launch action, automatic actions (/AA), an /OpenAction that is an
action rather than a destination, embedded files, XFA forms, rich media or form submission.

Objects are reached three ways, so none hides from the walk: through the cross-reference table or stream
(including objects inside object streams), by every `N G obj` header in the file (objects a repairing
viewer would find though no table lists them), and by parsing every object stream's contents, whichever
filters (nested ones included) it was compressed with. Every decoded stream, and the raw file with its
#xx name escapes undone, is also scanned for the long action names. Runs in a worker thread.
"""

from __future__ import annotations

import io
import logging
import re
import zlib

from pypdf import PdfReader
from pypdf.errors import DependencyError, LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject, read_object

log = logging.getLogger(__name__)

# Keys or name values that make a PDF active; found anywhere, the PDF is refused.
ACTIVE_NAMES = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/AA",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/EF",
        "/XFA",
        "/RichMedia",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
    }
)
# Long enough never to occur by chance in compressed data (short keys such as /JS are left to the parser).
RAW_ACTIVE = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFiles?|RichMedia|SubmitForm|ImportData)(?![A-Za-z0-9])")
ENCRYPT = re.compile(rb"/Encrypt(?![A-Za-z0-9])")
NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
OBJECT_HEADER = re.compile(rb"(?<![0-9])(\d{1,10})\s+(\d{1,5})\s+obj(?![A-Za-z])")
DECODE_BUDGET = 128 * 1024 * 1024  # decoded bytes per PDF, all streams together
MAX_OBJECTS = 200_000
EOF_WINDOW = 2048


class PdfRefused(Exception):
    """Why a PDF is refused: `reason` is one of corrupt, active, encrypted, complex."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _unescape(raw: bytes) -> bytes:
    return NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw) if b"#" in raw else raw


class _Walker:
    def __init__(self, reader: PdfReader, data: bytes):
        self.reader = reader
        self.data = data
        self.budget = DECODE_BUDGET
        self.seen_streams: set[int] = set()
        self.visited = 0

    def walk(self, obj, depth: int = 0) -> None:
        """Every key and name of a direct object; indirect objects are walked on their own."""
        self.visited += 1
        if self.visited > MAX_OBJECTS * 20 or depth > 100:
            raise PdfRefused("complex", "too many or too deeply nested objects")
        if isinstance(obj, NameObject):
            if str(obj) in ACTIVE_NAMES:
                raise PdfRefused("active", str(obj))
        elif isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                if key in ACTIVE_NAMES:
                    raise PdfRefused("active", key)
                if key == "/OpenAction" and isinstance(self._resolve(value), DictionaryObject):
                    raise PdfRefused("active", "/OpenAction with an action")
                self.walk(value, depth + 1)
            if isinstance(obj, StreamObject):
                self.stream(obj)
        elif isinstance(obj, ArrayObject):
            for value in obj:
                self.walk(value, depth + 1)

    def _resolve(self, value):
        return value.get_object() if isinstance(value, IndirectObject) else value

    def stream(self, obj: StreamObject) -> None:
        if id(obj) in self.seen_streams:
            return
        self.seen_streams.add(id(obj))
        try:
            decoded = obj.get_data()
        except DependencyError:
            if obj.get("/Subtype") == "/Image":
                return  # an image codec pypdf leaves to a plug-in (JBIG2): pixels, never objects
            raise PdfRefused("complex", "a stream with a filter that cannot be decoded") from None
        self.budget -= len(decoded)
        if self.budget < 0:
            raise PdfRefused("complex", "decodes to too much data")
        if obj.get("/Subtype") != "/Image" and RAW_ACTIVE.search(_unescape(decoded)):
            raise PdfRefused("active", "active name inside a stream")
        if obj.get("/Type") == "/ObjStm":
            self.object_stream(obj, decoded)

    def object_stream(self, obj: StreamObject, decoded: bytes) -> None:
        """Every object inside an object stream, whether or not a cross-reference lists it."""
        try:
            count, first = int(obj["/N"]), int(obj["/First"])
            numbers = decoded[:first].split()
        except (KeyError, TypeError, ValueError):
            raise PdfRefused("corrupt", "object stream without /N or /First") from None
        if count > MAX_OBJECTS or len(numbers) < 2 * count:
            raise PdfRefused("corrupt", "object stream header")
        buffer = io.BytesIO(decoded)
        for i in range(count):
            buffer.seek(first + int(numbers[2 * i + 1]))
            self.walk(read_object(buffer, self.reader))

    def everything(self) -> None:
        reader = self.reader
        refs = {(num, gen) for gen, table in reader.xref.items() for num in table}
        refs |= {(num, 0) for num in reader.xref_objStm}
        headers = list(OBJECT_HEADER.finditer(self.data))
        refs |= {(int(m.group(1)), int(m.group(2))) for m in headers}
        if len(refs) > MAX_OBJECTS:
            raise PdfRefused("complex", "too many objects")
        self.walk(reader.trailer)
        for num, gen in sorted(refs):
            self.walk(reader.get_object(IndirectObject(num, gen, reader)))
        # An object whose number repeats (an update) hides the earlier body from get_object: parse each body.
        for m in headers:
            reader.stream.seek(m.start())
            reader.read_object_header(reader.stream)
            self.walk(read_object(reader.stream, reader))


def check_pdf(data: bytes) -> None:
    """Raise PdfRefused unless the PDF parses completely and carries no active content."""
    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise PdfRefused("corrupt", "no %%EOF at the end")
    raw = _unescape(data)
    if RAW_ACTIVE.search(raw):
        raise PdfRefused("active", "active name in the file")
    if ENCRYPT.search(raw):
        raise PdfRefused("encrypted")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise PdfRefused("encrypted")
        _Walker(reader, data).everything()
    except PdfRefused:
        raise
    except LimitReachedError:
        raise PdfRefused("complex", "a decoding limit was reached") from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, zlib.error, OSError) as exc:
        # pypdf reports damaged files with any of these, depending on where the damage is.
        raise PdfRefused("corrupt", type(exc).__name__) from None
