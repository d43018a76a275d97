"""Screening lists (the UFLPA Entity List and lists like it): loaded by the operator, kept per version, matched.

A list is a CSV file the operator loads with the date the list was published (`ledger regimes load-list uflpa
FILE.csv --date 2025-01-15`). Columns (header row, case-insensitive): `name` (required), and optionally `aliases`
(separated by `;` or `|`), `country`, `address`, `listed_on`, `reference`; other columns are ignored. The file must be
UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order mark, unless an encoding is named. Each load
of new content is a new version of that list; loading the same file with the same date again changes nothing.
Versions live in `<home>/screening/lists.sqlite`; a report uses the newest version published on or before its date,
and names it.

Matching: names are normalised (Unicode NFKC, case-folded, punctuation and legal-form words such as "Co", "Ltd",
"Company Limited", "GmbH" dropped) and compared with each entry's name and aliases. Equal after normalising is an
exact match; otherwise a rapidfuzz score (the better of the edit-distance ratio and the sorted-words ratio) at or
above the threshold (90 by default) is a fuzzy match, reported with its score.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from rapidfuzz import fuzz, process

from ledger.domain.errors import ValidationError
from ledger.lru import WeightedLru
from ledger.sqlite_files import open_database

#: Lists the packs know, by name: what they are.
KNOWN_LISTS = {"uflpa": "UFLPA Entity List (DHS Forced Labor Enforcement Task Force)"}
REQUIRED_COLUMNS = ("name",)
OPTIONAL_COLUMNS = ("aliases", "country", "address", "listed_on", "reference")
MAX_LIST_BYTES = 20 * 1024 * 1024
MAX_ENTRIES = 100_000
MAX_CELL = 2_000
FUZZY_THRESHOLD = 90.0
#: A name's score against an entry is the better of the plain edit-distance ratio (spelling variants: "North-West" and
#: "Northwest") and the ratio of the sorted words (word order: "Cotton Aksu Processing").
SCORERS = (fuzz.ratio, fuzz.token_sort_ratio)
LEGAL_FORMS = frozenset(
    {
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "bv",
        "nv",
        "jsc",
        "pjsc",
        "ojsc",
        "pvt",
        "private",
        "pte",
        "sdn",
        "bhd",
        "tbk",
        "kk",
        "srl",
        "spa",
        "oy",
        "ab",
        "as",
        "the",
        "group",
        "holdings",
    }
)
_PUNCTUATION = re.compile(r"[^\w\s]+", re.UNICODE)


def list_name(value: str) -> str:
    name = (value or "").strip().lower()
    if name not in KNOWN_LISTS:
        raise ValidationError(f"unknown screening list {value!r}; known: {', '.join(KNOWN_LISTS)}", field="list")
    return name


def normalise(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold().replace("&", " and ")
    words = _PUNCTUATION.sub(" ", text).replace("_", " ").split()
    kept = [w for w in words if w not in LEGAL_FORMS]
    return " ".join(kept or words)


#: The list entries whose matchers are kept (a version's matcher weighs its entries): a few versions of even the
#: largest lists fit; past that the least recently used version is built again when next screened against.
MATCHER_ENTRIES = 1_000_000


@dataclass(frozen=True)
class ListEntry:
    row: int  # line of the CSV (the header is line 1)
    name: str
    aliases: tuple[str, ...] = ()
    country: str | None = None
    address: str | None = None
    listed_on: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class ListVersion:
    name: str
    version: int
    list_date: date
    sha256: str
    loaded_at: datetime
    source: str
    entries: int


@dataclass(frozen=True)
class Match:
    entry: ListEntry
    matched: str  # the entry's name or alias
    screened: str  # the screened name
    score: float
    exact: bool


def parse_csv(content: bytes, encoding: str | None = None) -> tuple[ListEntry, ...]:
    """The entries of a list file. ValidationError for an unknown encoding, missing columns or bad rows."""
    if len(content) > MAX_LIST_BYTES:
        raise ValidationError(f"the list file is larger than {MAX_LIST_BYTES:,} bytes", field="file")
    text = _decode(content, encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError("the list file is empty (no header row)", field="file") from None
    except csv.Error as exc:
        raise ValidationError(f"the list file is not CSV: {exc}", field="file") from None
    columns = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ValidationError(
            f"the list file lacks the column(s) {', '.join(missing)} (its header names: "
            f"{', '.join(c[:40] for c in columns[:20]) or 'nothing'}); required: "
            f"{', '.join(REQUIRED_COLUMNS)}, optional: {', '.join(OPTIONAL_COLUMNS)}",
            field="columns",
        )
    where = {c: columns.index(c) for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in columns}
    entries: list[ListEntry] = []
    try:
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(entries) >= MAX_ENTRIES:
                raise ValidationError(f"the list has more than {MAX_ENTRIES:,} entries", field="file")

            def cell(column: str, row: list[str] = row, line: int = line) -> str | None:
                index = where.get(column)
                value = row[index].strip() if index is not None and index < len(row) else ""
                if len(value) > MAX_CELL:
                    raise ValidationError(f"line {line}: {column} is longer than {MAX_CELL} characters", field=column)
                return value or None

            name = cell("name")
            if name is None:
                raise ValidationError(f"line {line}: the name is empty", field="name")
            aliases = tuple(a.strip() for a in re.split(r"[;|]", cell("aliases") or "") if a.strip())
            entries.append(
                ListEntry(line, name, aliases, cell("country"), cell("address"), cell("listed_on"), cell("reference"))
            )
    except csv.Error as exc:
        raise ValidationError(f"the list file is not CSV: {exc}", field="file") from None
    if not entries:
        raise ValidationError("the list has no entries", field="file")
    return tuple(entries)


def _decode(content: bytes, encoding: str | None) -> str:
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValidationError(f"unknown encoding {encoding!r}", field="encoding") from None
        try:
            return content.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"the list file is not {encoding}: {exc.reason} at byte {exc.start}", field="encoding"
            ) from None
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise ValidationError("the list file starts like UTF-16 but is not", field="encoding") from None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"unknown encoding: the list file is not UTF-8 (byte {exc.start} is 0x{content[exc.start]:02x}) nor "
            "UTF-16 with a byte-order mark; save it as UTF-8 or name its encoding (--encoding)",
            field="encoding",
        ) from None


class ScreeningLists:
    """List versions in one SQLite file (":memory:" for none on disk). Thread-safe."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self.path = str(path)
        #: Where an unreadable lists file was moved on opening (None if it opened as it was).
        self.moved_aside: Path | None
        self._db, self.moved_aside = self._open()
        self._lock = threading.Lock()
        self._cache: WeightedLru[tuple[str, int], _Matcher] = WeightedLru(MATCHER_ENTRIES, max_item=MATCHER_ENTRIES)

    def _open(self) -> tuple[sqlite3.Connection, Path | None]:
        # damage found while running is handled as on opening: moved aside, a fresh file (no list loaded, so screening
        # answers "no list loaded: review" until the operator loads the lists again, never a silent pass)
        return open_database(
            self.path,
            """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS versions (
                name TEXT NOT NULL, version INTEGER NOT NULL, list_date TEXT NOT NULL, sha256 TEXT NOT NULL,
                loaded_at TEXT NOT NULL, source TEXT NOT NULL, entries INTEGER NOT NULL, PRIMARY KEY (name, version));
            CREATE TABLE IF NOT EXISTS entries (
                name TEXT NOT NULL, version INTEGER NOT NULL, row INTEGER NOT NULL, entity TEXT NOT NULL,
                aliases TEXT NOT NULL, country TEXT, address TEXT, listed_on TEXT, reference TEXT,
                PRIMARY KEY (name, version, row));
        """,
            what="screening lists",
            consequence="load the lists again (ledger regimes load-list)",
            check=lambda db: db.execute("SELECT COUNT(*) FROM versions").fetchone(),
            reopen=self._reopen,
        )

    def _reopen(self, moved: Path) -> None:
        self._db, _ = self._open()
        self.moved_aside = moved
        self._cache.clear()  # matchers of the versions in the damaged file

    def close(self) -> None:
        self._db.close()

    def load(
        self, name: str, content: bytes, list_date: date, *, encoding: str | None = None, source: str = ""
    ) -> ListVersion:
        """Validate and keep a list file as the next version of list `name`; the same content and date again give
        the version kept before."""
        name = list_name(name)
        entries = parse_csv(content, encoding)
        digest = hashlib.sha256(content).hexdigest()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # one writer at a time, also across processes
            try:
                known = self._db.execute(
                    "SELECT * FROM versions WHERE name = ? AND sha256 = ? AND list_date = ?",
                    (name, digest, list_date.isoformat()),
                ).fetchone()
                if known is not None:
                    self._db.execute("ROLLBACK")
                    return _version(known)
                row = self._db.execute("SELECT MAX(version) AS v FROM versions WHERE name = ?", (name,)).fetchone()
                version = (row["v"] or 0) + 1
                loaded = datetime.now(UTC).replace(microsecond=0)
                self._db.execute(
                    "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (name, version, list_date.isoformat(), digest, loaded.isoformat(), source[:200], len(entries)),
                )
                self._db.executemany(
                    "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            name,
                            version,
                            e.row,
                            e.name,
                            json.dumps(e.aliases),
                            e.country,
                            e.address,
                            e.listed_on,
                            e.reference,
                        )
                        for e in entries
                    ],
                )
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        return ListVersion(name, version, list_date, digest, loaded, source[:200], len(entries))

    def versions(self, name: str) -> list[ListVersion]:
        rows = self._db.execute("SELECT * FROM versions WHERE name = ? ORDER BY version", (list_name(name),))
        return [_version(r) for r in rows.fetchall()]

    def current(self, name: str, as_of: date) -> ListVersion | None:
        """The newest version published on or before `as_of` (the list in force then)."""
        row = self._db.execute(
            "SELECT * FROM versions WHERE name = ? AND list_date <= ? ORDER BY list_date DESC, version DESC LIMIT 1",
            (list_name(name), as_of.isoformat()),
        ).fetchone()
        return _version(row) if row is not None else None

    def entries(self, name: str, version: int) -> tuple[ListEntry, ...]:
        return self._matcher(name, version).entries

    def screen(self, used: ListVersion, names: Sequence[str], threshold: float = FUZZY_THRESHOLD) -> list[Match]:
        """Matches of `names` in the list version, the best per entry and screened name, exact ones first."""
        return self._matcher(used.name, used.version).match(names, threshold)

    def _matcher(self, name: str, version: int) -> _Matcher:
        with self._lock:
            found = self._cache.get((name, version))
            if found is None:
                rows = self._db.execute(
                    "SELECT * FROM entries WHERE name = ? AND version = ? ORDER BY row", (name, version)
                ).fetchall()
                entries = tuple(
                    ListEntry(
                        r["row"],
                        r["entity"],
                        tuple(json.loads(r["aliases"])),
                        r["country"],
                        r["address"],
                        r["listed_on"],
                        r["reference"],
                    )
                    for r in rows
                )
                found = _Matcher(entries)
                self._cache.put((name, version), found, len(entries) + 1)
            return found


class _Matcher:
    """An immutable list version, normalised once for matching."""

    def __init__(self, entries: tuple[ListEntry, ...]) -> None:
        self.entries = entries
        self.choices: list[str] = []
        self.owners: list[tuple[ListEntry, str]] = []
        self.exact: dict[str, list[int]] = {}
        for entry in entries:
            for listed in (entry.name, *entry.aliases):
                key = normalise(listed)
                if not key:
                    continue
                self.exact.setdefault(key, []).append(len(self.choices))
                self.choices.append(key)
                self.owners.append((entry, listed))

    def match(self, names: Sequence[str], threshold: float) -> list[Match]:
        best: dict[tuple[int, str], Match] = {}
        for screened in names:
            key = normalise(screened)
            if not key:
                continue
            for i in self.exact.get(key, ()):
                entry, listed = self.owners[i]
                best[(entry.row, screened)] = Match(entry, listed, screened, 100.0, True)
            for scorer in SCORERS:
                for _choice, score, i in process.extract(
                    key, self.choices, scorer=scorer, score_cutoff=threshold, limit=10
                ):
                    entry, listed = self.owners[i]
                    current = best.get((entry.row, screened))
                    if current is None or (not current.exact and score > current.score):
                        best[(entry.row, screened)] = Match(entry, listed, screened, round(float(score), 1), False)
        return sorted(best.values(), key=lambda m: (not m.exact, -m.score, m.entry.row))


def _version(row: sqlite3.Row) -> ListVersion:
    return ListVersion(
        row["name"],
        int(row["version"]),
        date.fromisoformat(row["list_date"]),
        row["sha256"],
        datetime.fromisoformat(row["loaded_at"]),
        row["source"],
        int(row["entries"]),
    )
