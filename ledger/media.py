"""A document's media type, from its content (never from what an uploader claims).

The vault is content-addressed: it keeps no file names and no metadata beside the bytes, so the type is sniffed from
the bytes whenever a document is served. Magic numbers first (PDF, images, ZIP-based office files, XML), then JSON
(GeoJSON when its top-level `type` is a GeoJSON type), then text; anything else is `application/octet-stream`.
"""

from __future__ import annotations

from ledger.errors import ValidationError
from ledger.jsonlimits import load_json

PDF = "application/pdf"
GEOJSON = "application/geo+json"
JSON = "application/json"
XML = "application/xml"
CSV_OR_TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"

GEOJSON_TYPES = frozenset({"FeatureCollection", "Feature", "Point", "MultiPoint", "LineString", "MultiLineString",
                           "Polygon", "MultiPolygon", "GeometryCollection"})
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
EXTENSIONS = {PDF: "pdf", GEOJSON: "geojson", JSON: "json", XML: "xml", CSV_OR_TEXT: "txt", BINARY: "bin",
              "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/tiff": "tif",
              "application/zip": "zip"}


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
