"""CSV, JSON and XLSX renderings of an `Export`, and the readers that parse them back.

- CSV (RFC 4180, UTF-8): the manifest travels in the file itself, on leading comment lines before the header:
  `# provenance-ledger ESG export ...` (a human note) then `# manifest: {...}` (the manifest as one line of JSON).
  Any CSV reader can skip them: `csv.DictReader(line for line in f if not line.startswith("#"))`.
- JSON: `{"manifest": {...}, "rows": [{field: value}, ...]}`; decimals travel as strings (exact), datetimes as
  ISO 8601 UTC strings.
- XLSX (openpyxl): one sheet per framework with a bold, frozen header row and typed cells (numbers as numbers,
  datetimes as datetimes in UTC, booleans as booleans), then a `Manifest` sheet of key/value rows. A value with more
  significant digits than a spreadsheet number holds exactly is written as text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ledger.chain.codec import plain
from ledger.domain.errors import ValidationError
from ledger.domain.jsonlimits import load_json
from ledger.esg.model import (
    BOOL_FIELDS,
    DATETIME_FIELDS,
    DECIMAL_FIELDS,
    FIELDS,
    INT_FIELDS,
    OPTIONAL_INT_FIELDS,
    Export,
    ExportRow,
    Manifest,
    canonical_value,
    format_time,
    parse_time,
)

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SUFFIXES: dict[str, str] = {fmt: f".{fmt}" for fmt in MEDIA_TYPES}
MANIFEST_SHEET = "Manifest"
CSV_NOTE = (
    "# provenance-ledger ESG export: one row per metric value. The manifest line below is JSON; "
    "check the file with `ledger verify-export FILE`."
)
CSV_MANIFEST_PREFIX = "# manifest: "
EXACT_DIGITS = 15  # significant digits an IEEE double (a spreadsheet number) always holds exactly


def format_of(path: str | Path, fmt: str | None = None) -> str:
    """The export format named, or implied by the file's suffix."""
    chosen = (fmt or Path(path).suffix.lstrip(".")).lower()
    if chosen not in MEDIA_TYPES:
        raise ValidationError(
            f"export format {chosen or '(none)'!r} is not one of {', '.join(MEDIA_TYPES)}", field="format"
        )
    return chosen


def render_export(export: Export, fmt: str) -> bytes:
    renderers: dict[str, Callable[[Export], bytes]] = {"csv": _render_csv, "json": _render_json, "xlsx": _render_xlsx}
    return renderers[format_of("", fmt)](export)


def read_export(source: str | Path | bytes, fmt: str | None = None) -> Export:
    """Parse an export from a path or its bytes; the format comes from `fmt`, else the suffix, else the content."""
    if isinstance(source, bytes):
        data = source
        chosen = format_of("", fmt) if fmt else _sniff(data)
    else:
        data = Path(source).read_bytes()
        chosen = format_of(source, fmt) if fmt or Path(source).suffix else _sniff(data)
    readers: dict[str, Callable[[bytes], Export]] = {"csv": _read_csv, "json": _read_json, "xlsx": _read_xlsx}
    return readers[chosen](data)


def _sniff(data: bytes) -> str:
    if data.startswith(b"PK"):
        return "xlsx"
    return "json" if data.lstrip().startswith(b"{") else "csv"


# -- typed values ------------------------------------------------------------------------------------------------


def _typed(name: str, raw: Any, row: int) -> Any:
    """A field's value from whatever a format carried (text, number, datetime, bool, None)."""
    try:
        if name in DECIMAL_FIELDS:
            if isinstance(raw, float):
                return plain(Decimal(repr(raw)))
            if isinstance(raw, bool) or raw is None or raw == "":
                raise ValueError("not a number")
            return plain(Decimal(str(raw).strip()))
        if name in INT_FIELDS or name in OPTIONAL_INT_FIELDS:
            if raw is None or raw == "":
                if name in OPTIONAL_INT_FIELDS:
                    return None
                raise ValueError("missing")
            if isinstance(raw, bool):
                raise ValueError("not an integer")
            if isinstance(raw, float):
                if not raw.is_integer():
                    raise ValueError("not an integer")
                return int(raw)
            return int(str(raw).strip())
        if name in BOOL_FIELDS:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text not in ("true", "false"):
                raise ValueError("not true or false")
            return text == "true"
        if name in DATETIME_FIELDS:
            if raw is None or raw == "":
                raise ValueError("missing")
            return parse_time(raw if isinstance(raw, datetime) else str(raw).strip())
        return "" if raw is None else str(raw)
    except (ValueError, InvalidOperation, TypeError) as exc:
        raise ValidationError(f"row {row}, field {name}: cannot read {raw!r} ({exc})", field=name) from None


def _row(values: dict[str, Any], position: int) -> ExportRow:
    missing = [name for name in FIELDS if name not in values]
    if missing:
        raise ValidationError(f"row {position}: missing columns {', '.join(missing)}", field=missing[0])
    return ExportRow(**{name: _typed(name, values[name], position) for name in FIELDS})


# -- CSV ---------------------------------------------------------------------------------------------------------


def _render_csv(export: Export) -> bytes:
    out = io.StringIO(newline="")
    out.write(CSV_NOTE + "\r\n")
    out.write(CSV_MANIFEST_PREFIX + json.dumps(export.manifest.to_dict(), sort_keys=True) + "\r\n")
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for row in export.rows:
        writer.writerow([canonical_value(getattr(row, name)) for name in FIELDS])
    return out.getvalue().encode("utf-8")


def _read_csv(data: bytes) -> Export:
    text = data.decode("utf-8-sig")
    manifest: Manifest | None = None
    position = 0
    while text.startswith("#", position):
        end = text.find("\n", position)
        end = len(text) if end < 0 else end + 1
        line = text[position:end].rstrip("\r\n")
        if line.startswith(CSV_MANIFEST_PREFIX):
            manifest = Manifest.from_dict(_json_object(line[len(CSV_MANIFEST_PREFIX) :]))
        position = end
    if manifest is None:
        raise ValidationError("the CSV carries no '# manifest: {...}' line before its header", field="manifest")
    reader = csv.DictReader(io.StringIO(text[position:], newline=""))
    rows = tuple(_row(values, n) for n, values in enumerate(reader, start=1))
    return Export(rows, manifest)


# -- JSON --------------------------------------------------------------------------------------------------------


def _json_value(name: str, value: Any) -> Any:
    if name in DECIMAL_FIELDS or name in DATETIME_FIELDS:
        return canonical_value(value)
    return value


def _render_json(export: Export) -> bytes:
    body = {
        "manifest": export.manifest.to_dict(),
        "rows": [{name: _json_value(name, getattr(row, name)) for name in FIELDS} for row in export.rows],
    }
    return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _json_object(text: str | bytes) -> dict[str, Any]:
    try:
        body = load_json(text)  # UTF-8, depth bounded, on the text it parses
    except ValidationError as exc:
        raise ValidationError(f"not valid JSON: {exc}", field="manifest") from None
    if not isinstance(body, dict):
        raise ValidationError("expected a JSON object", field="manifest")
    return body


def _read_json(data: bytes) -> Export:
    body = _json_object(data)
    rows = body.get("rows")
    if not isinstance(body.get("manifest"), dict) or not isinstance(rows, list):
        raise ValidationError('a JSON export is {"manifest": {...}, "rows": [...]}', field="manifest")
    parsed = []
    for n, values in enumerate(rows, start=1):
        if not isinstance(values, dict):
            raise ValidationError(f"row {n} is not an object", field="rows")
        parsed.append(_row(values, n))
    return Export(tuple(parsed), Manifest.from_dict(body["manifest"]))


# -- XLSX --------------------------------------------------------------------------------------------------------


def _cell_value(name: str, value: Any) -> Any:
    if isinstance(value, Decimal):
        exact = len(value.as_tuple().digits) <= EXACT_DIGITS
        return (int(value) if value == value.to_integral_value() else float(value)) if exact else canonical_value(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)  # Excel has no time zones: UTC
    if value is None:
        return None
    return value


def _sheet_title(framework: str, taken: set[str]) -> str:
    base = "".join(c for c in framework if c not in "[]:*?/\\")[:31] or "Framework"
    title, n = base, 2
    while title.casefold() in taken or title.casefold() == MANIFEST_SHEET.casefold():
        title, n = f"{base[:28]} {n}", n + 1
    taken.add(title.casefold())
    return title


def _render_xlsx(export: Export) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    bold = Font(bold=True)
    taken: set[str] = set()
    widths = {name: max(len(name), 12) for name in FIELDS}
    for framework in export.frameworks:
        sheet = workbook.create_sheet(_sheet_title(framework, taken))
        sheet.append(list(FIELDS))
        for cell in sheet[1]:
            cell.font = bold
        for row in (r for r in export.rows if r.framework == framework):
            sheet.append([_cell_value(name, getattr(row, name)) for name in FIELDS])
            for cell, name in zip(sheet[sheet.max_row], FIELDS, strict=True):
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text: a legal name starting with "=" is no formula
                    widths[name] = max(widths[name], min(len(cell.value), 70))
                elif isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                    widths[name] = 20
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for column, name in enumerate(FIELDS, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = widths[name] + 2
    manifest_sheet = workbook.create_sheet(MANIFEST_SHEET)
    manifest_sheet.append(["key", "value"])
    for cell in manifest_sheet[1]:
        cell.font = bold
    for key in export.manifest.to_dict():
        typed = getattr(export.manifest, key)
        manifest_sheet.append([key, _cell_value(key, typed) if typed is not None else ""])
        cell = manifest_sheet.cell(manifest_sheet.max_row, 2)
        if isinstance(cell.value, str):
            cell.data_type = "s"
        elif isinstance(cell.value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
    manifest_sheet.freeze_panes = "A2"
    manifest_sheet.column_dimensions["A"].width = 20
    manifest_sheet.column_dimensions["B"].width = 70
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _read_xlsx(data: bytes) -> Export:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except (BadZipFile, KeyError, OSError) as exc:
        raise ValidationError(f"not a readable XLSX workbook: {exc}", field="format") from None
    if MANIFEST_SHEET not in workbook.sheetnames:
        raise ValidationError(f"the workbook has no {MANIFEST_SHEET!r} sheet", field="manifest")
    manifest_body: dict[str, Any] = {}
    for key, value, *_ in workbook[MANIFEST_SHEET].iter_rows(min_row=2, values_only=True):
        if key:
            manifest_body[str(key)] = format_time(parse_time(value)) if isinstance(value, datetime) else value
    rows: list[ExportRow] = []
    for name in workbook.sheetnames:
        if name == MANIFEST_SHEET:
            continue
        lines = workbook[name].iter_rows(values_only=True)
        header = next(lines, None)
        if header is None:
            continue
        columns = [str(c) if c is not None else "" for c in header]
        for values in lines:
            if all(v is None for v in values):
                continue
            rows.append(_row(dict(zip(columns, values, strict=False)), len(rows) + 1))
    return Export(tuple(rows), Manifest.from_dict(manifest_body))
