"""Validation against the official EPCIS 2.0 JSON Schema (draft 07), vendored unchanged in `data/` from GS1's
repository (github.com/gs1/EPCIS at 2b888bef), with `jsonschema` and its format checker (uri, date-time).

The schema's `$ref`s are inlined once when it is loaded (it has no recursive references): the same schema, checked
without resolving a reference at every step, which makes validating a 1,000-event document about twice as fast.
`tests/ledger/epcis/test_schema.py` checks that the inlined schema gives the official schema's verdict on every example
and every bad input of the tests.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import best_match

from ledger.domain.errors import ValidationError

SCHEMA_FILE = "EPCIS-JSON-Schema.json"


class EpcisSchemaError(ValidationError):
    """The document does not conform to the EPCIS 2.0 JSON Schema; `field` is the JSON path of the first problem."""

    code = "epcis_schema"


@cache
def official_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(files("ledger.epcis").joinpath("data", SCHEMA_FILE).read_text())
    return data


def _inline(node: Any, definitions: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            name = ref.removeprefix("#/definitions/").replace("%40", "@")
            if name in seen:  # pragma: no cover - the EPCIS schema has no recursive definition
                raise ValueError(f"recursive definition {name}")
            return _inline(definitions[name], definitions, (*seen, name))  # draft 07 ignores a $ref's siblings
        return {k: _inline(v, definitions, seen) for k, v in node.items() if k != "definitions"}
    if isinstance(node, list):
        return [_inline(item, definitions, seen) for item in node]
    return node


@cache
def _validator() -> Draft7Validator:
    schema = official_schema()
    return Draft7Validator(_inline(schema, schema["definitions"]), format_checker=FormatChecker())


@cache
def official_validator() -> Draft7Validator:
    """The schema as published, references resolved by jsonschema (the reference for the inlined one)."""
    return Draft7Validator(official_schema(), format_checker=FormatChecker())


def problem(document: Any) -> str | None:
    """What is wrong with `document` by the schema ("$.path: message"), or None if it conforms."""
    validator = _validator()
    if validator.is_valid(document):
        return None
    error = best_match(validator.iter_errors(document))
    message = error.message if len(error.message) <= 300 else error.message[:299] + "…"
    return f"{error.json_path}: {message}"


def validate(document: Any) -> None:
    """Refuse a document that does not conform to the EPCIS 2.0 JSON Schema, naming the path of the problem."""
    found = problem(document)
    if found is not None:
        path = found.split(":", 1)[0]
        raise EpcisSchemaError(f"the document does not conform to the EPCIS 2.0 JSON Schema at {found}", field=path)
