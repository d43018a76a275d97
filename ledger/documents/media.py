"""A document's media type, from its content (never from what an uploader claims), and the file name it is served as.

The type is sniffed from the bytes once, when the vault stores them (`ledger.documents.vault` keeps it beside the
file): a download never parses a document. Magic numbers first (PDF, images, ZIP-based office files, XML), then JSON
(GeoJSON when its top-level `type` is a GeoJSON type), then text; anything else is `application/octet-stream`.

A file name comes from an uploader, so it is hostile like any other input: `file_name` keeps its last path part,
drops control and bidi-override characters, replaces the characters file systems or headers refuse, bounds its
length, and makes sure its extension tells the sniffed type (`report.pdf.exe` of a PDF is kept as
`report.pdf.exe.pdf`), so a browser never opens a file as something its bytes are not.
"""

from __future__ import annotations

import re
import unicodedata

from ledger.domain.errors import ValidationError
from ledger.domain.jsonlimits import load_json

PDF = "application/pdf"
GEOJSON = "application/geo+json"
JSON = "application/json"
XML = "application/xml"
CSV_OR_TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"

GEOJSON_TYPES = frozenset(
    {
        "FeatureCollection",
        "Feature",
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),
)
#: JSON larger than this is typed by its first byte only (a full parse to tell GeoJSON apart is not worth it).
SNIFF_PARSE_LIMIT = 8 * 1024 * 1024
#: The file name extension of each media type this module gives (for a download's file name).
EXTENSIONS = {
    PDF: "pdf",
    GEOJSON: "geojson",
    JSON: "json",
    XML: "xml",
    CSV_OR_TEXT: "txt",
    BINARY: "bin",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/tiff": "tif",
    "application/zip": "zip",
}
#: Extensions a file name may keep for each media type (ZIP covers the office formats built on it).
ACCEPTED_EXTENSIONS = {
    PDF: {"pdf"},
    GEOJSON: {"geojson", "json"},
    JSON: {"json", "jsonld"},
    XML: {"xml", "gml", "kml"},
    CSV_OR_TEXT: {"txt", "csv", "tsv", "md"},
    BINARY: {"bin"},
    "image/png": {"png"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/gif": {"gif"},
    "image/tiff": {"tif", "tiff"},
    "application/zip": {"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp"},
}
#: A stored file name is at most this many bytes of UTF-8 (file systems allow 255).
NAME_MAX_BYTES = 200
_REFUSED = re.compile(r'["*:<>?|\\/]')
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def sniff(content: bytes) -> str:
    """The media type of `content`."""
    for magic, media_type in MAGIC:
        if content.startswith(magic):
            return media_type
    head = content[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<?xml"):
        return XML
    if head[:1] in (b"{", b"["):
        if len(content) > SNIFF_PARSE_LIMIT:
            return JSON
        try:
            parsed = load_json(content)
        except ValidationError:
            pass
        else:
            if isinstance(parsed, dict) and parsed.get("type") in GEOJSON_TYPES:
                return GEOJSON
            return JSON
    if b"\x00" not in content[:8192]:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return BINARY
        return CSV_OR_TEXT
    return BINARY


def file_name(raw: str | None, media_type: str) -> str | None:
    """The name to keep for an uploaded file of `media_type` (see the module's docstring); None when nothing usable
    is left of `raw`."""
    if not raw:
        return None
    last = re.split(r"[\\/]", unicodedata.normalize("NFC", raw[-1024:]))[-1]  # a browser may send C:\fakepath\name
    kept = "".join(
        " "
        if unicodedata.category(c).startswith("Z") or c in "\t\n\r"
        else ""
        if unicodedata.category(c).startswith("C")
        else c
        for c in last
    )
    name = " ".join(_REFUSED.sub("_", kept).split()).strip(" .")
    if not name:
        return None
    stem, dot, extension = name.rpartition(".")
    if not dot or extension.lower() not in ACCEPTED_EXTENSIONS.get(media_type, set()):
        stem, extension = name, EXTENSIONS.get(media_type, "bin")
    while stem and len(f"{stem}.{extension}".encode()) > NAME_MAX_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    if not stem:
        return None
    if _WINDOWS_DEVICES.match(stem):
        stem = "_" + stem
    return f"{stem}.{extension}"
