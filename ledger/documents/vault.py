"""The document vault: the files behind the hashes recorded on chain, content-addressed and write-once.

A document's on-chain hash is the SHA-256 of its bytes. The vault keeps each document once, under that hash
(`<root>/<2 hex>/<64 hex>`), and checks it both ways: an upload whose bytes do not hash to the hash it is sent for is
refused, and a stored file is hashed again on every read, so nothing is ever handed out whose bytes do not match (a
file damaged on disk is moved aside to `<root>/.corrupt/` and counts as absent until it is uploaded again).

Writes are atomic and safe for several processes sharing one directory (a mounted volume): the bytes go to a
temporary file in `<root>/.tmp/` (same file system), are flushed and fsynced, then hard-linked to their final name.
`link` never replaces an existing file, so two writers of the same document cannot corrupt it: the first link wins,
the second finds the file, checks it and drops its copy. A crash leaves at most a temporary file, swept on the next
opening after an hour. File systems without hard links fall back to an atomic rename (same bytes, same name).

Beside each file the vault keeps what it decided when it stored it and who uploaded it:
- `<64 hex>.type`: the media type, sniffed once from the bytes when they are stored (a download reads it, never
  parses the document again; a file stored before this existed is typed at its first read, once);
- `<64 hex>.uploads/<0x address>.json`: one record per uploader (the members who sent these bytes, each with the
  file name it gave, sanitised by `media.file_name`). Several members may upload the same bytes (a shared
  certificate): each is an uploader. Who may read a document follows from these records (`ledger.documents.evidence`),
  so a participant that only knows a hash can never become its owner: uploading takes the bytes.

Over 400 lines on purpose: one class whose write-once, multi-process invariants (link, never replace; hash on every
read; uploads and types beside the bytes) are easiest to check when every file operation is in one place.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ledger.documents import media
from ledger.domain.errors import DocumentMismatchError, DocumentTooLargeError, ValidationError, VaultUnavailableError
from ledger.domain.types import Hash32
from ledger.lru import WeightedLru

#: Default size limit per document (LEDGER_DOCUMENT_MAX_BYTES).
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
#: Temporary files older than this are left-overs of a crashed writer.
STALE_TEMP_SECONDS = 3_600
CHUNK = 1024 * 1024
#: Checked document bytes `read` keeps in memory for the rules (documents larger than 1/16 of it are not kept).
CACHE_BYTES = 32 * 1024 * 1024
log = logging.getLogger("ledger.vault")
_ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")
#: A file in the vault's root saying every document in it has its uploads recorded (a vault made before uploads
#: were recorded lacks it until `ledger.documents.evidence.adopt` has run over it once).
RECORDED_MARKER = ".uploads-recorded"


def document_hash(value: str, field: str = "sha256") -> Hash32:
    """A document hash as the ledger writes it (0x + 64 lower-case hex digits); the 0x may be left out."""
    text = (value or "").strip().lower()
    if not text.startswith("0x"):
        text = "0x" + text
    if len(text) != 66 or any(c not in "0123456789abcdef" for c in text[2:]):
        raise ValidationError(
            f"{field} must be 64 hex digits (the SHA-256 of the document), optionally after 0x", field=field
        )
    return Hash32(text)


def sha256_of(content: bytes) -> Hash32:
    return Hash32("0x" + hashlib.sha256(content).hexdigest())


def uploader_address(value: str) -> str:
    """An uploader as the vault records it: a 0x address in lower case."""
    text = (value or "").strip().lower()
    if not _ADDRESS.match(text):
        raise ValidationError("an uploader is a 0x address of 40 hex digits", field="uploader")
    return text


@dataclass(frozen=True)
class StoredDocument:
    """What an upload left in the vault: the hash, the size, the media type, whether it is new (with an uploader:
    this uploader had not sent these bytes before; without one: this call wrote the file), and the file name kept
    for this uploader."""

    hash: Hash32
    size: int
    media_type: str
    created: bool
    name: str | None = None


@dataclass(frozen=True)
class Upload:
    """One member's upload of a document: who (a lower-case 0x address), the file name it gave (sanitised; None if
    it gave none), when it first sent the bytes, and whether the record was made by `ledger.documents.evidence.adopt`
    for a file stored before uploads were recorded."""

    uploader: str
    name: str | None
    at: str
    adopted: bool = False


@dataclass(frozen=True)
class VaultDocument:
    """A document read back from the vault, its bytes checked against its hash."""

    hash: Hash32
    content: bytes
    media_type: str

    @property
    def size(self) -> int:
        return len(self.content)


class Vault:
    """Documents under `root`, at most `max_bytes` each."""

    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes < 1:
            raise ValidationError("the document size limit must be positive", field="max_bytes")
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._tmp = self.root / ".tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._cache: WeightedLru[Hash32, bytes] = WeightedLru(CACHE_BYTES)  # checked bytes (a sixteenth at most each)
        self._sweep()
        if not self.uploads_recorded and not any(self.root.glob("[0-9a-f][0-9a-f]")):
            self.mark_uploads_recorded()  # a new vault: every file it will hold comes with its uploads

    @property
    def uploads_recorded(self) -> bool:
        """False for a vault whose files were stored before uploads were recorded, until they are adopted."""
        return (self.root / RECORDED_MARKER).exists()

    def mark_uploads_recorded(self) -> None:
        with contextlib.suppress(OSError):
            self._write_small(self.root / RECORDED_MARKER, b"every document here has its uploads recorded\n")

    def path_of(self, sha256: str) -> Path:
        digest = document_hash(sha256)[2:]
        return self.root / digest[:2] / digest

    # -- writing -------------------------------------------------------------------------------------------------

    def put(
        self, content: bytes, expected: str | None = None, *, uploader: str | None = None, name: str | None = None
    ) -> StoredDocument:
        """Store `content`; if `expected` is given, only if it is the content's SHA-256. See `put_stream`."""
        return self.put_stream((content,), expected, uploader=uploader, name=name)

    def put_file(self, path: Path, expected: str | None = None, *, uploader: str | None = None) -> StoredDocument:
        """Store a file under the SHA-256 of its bytes, named as it is named on disk."""
        with open(path, "rb") as source:
            return self.put_stream(iter(lambda: source.read(CHUNK), b""), expected, uploader=uploader, name=path.name)

    def put_stream(
        self,
        chunks: Iterable[bytes],
        expected: str | None = None,
        *,
        uploader: str | None = None,
        name: str | None = None,
    ) -> StoredDocument:
        """Store the bytes `chunks` yield, refusing them as soon as they pass the size limit, and refusing a
        content whose SHA-256 is not `expected` (when given). Returns what is stored; storing a document the vault
        holds already leaves its bytes as they are (write-once). With an `uploader`, records its upload with the
        file `name` it gave (a later upload by the same uploader with a name renames its copy)."""
        want = document_hash(expected) if expected is not None else None
        who = uploader_address(uploader) if uploader is not None else None
        try:
            stored = self._put(chunks, want)
            if who is None:
                return stored
            created = self._record_upload(stored.hash, who, media.file_name(name, stored.media_type))
            upload = self.upload(stored.hash, who)  # the name kept, given now or before
            return StoredDocument(
                stored.hash, stored.size, stored.media_type, created, upload.name if upload is not None else None
            )
        except OSError as exc:  # the directory is gone, read-only or full: no path in the message (it may leak)
            raise VaultUnavailableError(
                f"the document vault cannot be written: {exc.strerror or 'I/O error'}"
            ) from None

    def _put(self, chunks: Iterable[bytes], want: Hash32 | None) -> StoredDocument:
        digest = hashlib.sha256()
        size = 0
        head = bytearray()  # the first bytes, to sniff the media type
        fd, temp = tempfile.mkstemp(dir=self._tmp, prefix="upload-")
        os.fchmod(fd, 0o644)  # readable by the other instances sharing the directory (mkstemp makes it 0600)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise DocumentTooLargeError(
                            f"the document is larger than {self.max_bytes:,} bytes (LEDGER_DOCUMENT_MAX_BYTES)",
                            limit=self.max_bytes,
                        )
                    digest.update(chunk)
                    out.write(chunk)
                    if len(head) <= media.SNIFF_PARSE_LIMIT:
                        head += chunk[: media.SNIFF_PARSE_LIMIT + 1 - len(head)]
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise ValidationError("the document is empty: a file of no bytes is no evidence", field="file")
            actual = Hash32("0x" + digest.hexdigest())
            if want is not None and actual != want:
                raise DocumentMismatchError(f"the document's SHA-256 is {actual}, not {want}: refused", field="sha256")
            created = self._commit(Path(temp), actual)
            known = None if created else self._recorded_type(actual)
            if known is None:  # decided once, here: a download reads it and never parses the document
                known = media.sniff(bytes(head))
                self._write_small(self._type_path(actual), known.encode())
            return StoredDocument(actual, size, known, created)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)

    def _commit(self, temp: Path, digest: Hash32) -> bool:
        """Give the checked temporary file its final name. True if this call stored it."""
        final = self.path_of(digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            try:
                os.link(temp, final)
            except FileExistsError:
                if self._intact(final, digest):
                    return False  # another writer stored the same bytes first: keep theirs
                self._quarantine(final, "its bytes no longer match its hash")
                continue
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                    raise
                if final.exists() and self._intact(final, digest):
                    return False
                os.replace(temp, final)  # no hard links here: an atomic rename of identical bytes
            _fsync_dir(final.parent)
            return True
        raise OSError(f"could not store document {digest}: its file keeps changing")

    # -- reading -------------------------------------------------------------------------------------------------

    def has(self, sha256: str) -> bool:
        """Whether a file is stored under the hash (not checked: `get` checks)."""
        return self.path_of(sha256).is_file()

    def get(self, sha256: str) -> VaultDocument | None:
        """The document, its bytes checked against the hash; None if the vault does not hold it (or held a damaged
        copy, now moved aside)."""
        digest = document_hash(sha256)
        content = self._checked(digest)
        return VaultDocument(digest, content, self._media_type(digest, content)) if content is not None else None

    def uploaders(self, sha256: str) -> frozenset[str]:
        """Who uploaded the document (lower-case 0x addresses); empty if nobody did (or the vault lacks it)."""
        try:
            names = os.listdir(self._uploads_path(document_hash(sha256)))
        except (FileNotFoundError, NotADirectoryError):
            return frozenset()
        except OSError as exc:
            raise VaultUnavailableError(f"the document vault cannot be read: {exc.strerror or 'I/O error'}") from None
        return frozenset(n[:-5] for n in names if n.endswith(".json") and _ADDRESS.match(n[:-5]))

    def upload(self, sha256: str, uploader: str) -> Upload | None:
        """The uploader's record of the document (None if it did not upload it)."""
        who = uploader_address(uploader)
        try:
            record = json.loads((self._uploads_path(document_hash(sha256)) / f"{who}.json").read_bytes())
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (OSError, ValueError):  # unreadable or damaged: the upload stands, its name is lost
            return Upload(who, None, "")
        name = record.get("name") if isinstance(record, dict) else None
        return Upload(
            who,
            name if isinstance(name, str) and name else None,
            str(record.get("at", "")) if isinstance(record, dict) else "",
            bool(record.get("adopted", False)) if isinstance(record, dict) else False,
        )

    def adopt(self, sha256: str, uploader: str) -> bool:
        """Record `uploader` for a file stored before uploads were recorded (see `ledger.documents.evidence.adopt`);
        False if the document has uploaders already or the vault lacks it."""
        digest = document_hash(sha256)
        if not self.has(digest) or self.uploaders(digest):
            return False
        return self._record_upload(digest, uploader_address(uploader), None, adopted=True)

    def stored(self) -> list[Hash32]:
        """Every document the vault holds (its files' names; not checked)."""
        found = []
        for folder in sorted(self.root.glob("[0-9a-f][0-9a-f]")):
            found += [
                Hash32("0x" + p.name)
                for p in sorted(folder.iterdir())
                if len(p.name) == 64 and p.name.startswith(folder.name) and p.is_file()
            ]
        return found

    def read(self, sha256: str) -> bytes | None:
        """The document's bytes, checked against the hash (None if not held), for the rules that read documents.
        Checked bytes are kept in a small cache: content-addressed bytes that matched their hash always will."""
        digest = document_hash(sha256)
        cached = self._cache.get(digest)
        if cached is not None:
            return cached
        content = self._checked(digest)
        if content is not None:
            self._cache.put(digest, content, len(content))
        return content

    def _checked(self, digest: Hash32) -> bytes | None:
        path = self.path_of(digest)
        try:
            with open(path, "rb") as source:  # read(n) sets n bytes aside first: ask for the file's size, not the limit
                content = source.read(min(os.fstat(source.fileno()).st_size, self.max_bytes) + 1)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except OSError as exc:
            raise VaultUnavailableError(f"the document vault cannot be read: {exc.strerror or 'I/O error'}") from None
        if sha256_of(content) != digest:
            self._quarantine(path, "its bytes do not match its hash")
            return None
        return content

    # -- what the vault keeps beside the bytes -------------------------------------------------------------------

    def _type_path(self, digest: Hash32) -> Path:
        return self.path_of(digest).with_name(digest[2:] + ".type")

    def _uploads_path(self, digest: Hash32) -> Path:
        return self.path_of(digest).with_name(digest[2:] + ".uploads")

    def _recorded_type(self, digest: Hash32) -> str | None:
        try:
            recorded = self._type_path(digest).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return recorded if recorded in media.EXTENSIONS else None  # only a type the sniffer gives

    def _media_type(self, digest: Hash32, content: bytes) -> str:
        """The type decided when the document was stored; a file stored before types were kept is typed now, once."""
        known = self._recorded_type(digest)
        if known is None:
            known = media.sniff(content)
            with contextlib.suppress(OSError):  # a read-only vault still serves, typing again next time
                self._write_small(self._type_path(digest), known.encode())
        return known

    def _record_upload(self, digest: Hash32, uploader: str, name: str | None, *, adopted: bool = False) -> bool:
        """Record (or rename) the uploader's upload. True if it had not uploaded the document before."""
        folder = self._uploads_path(digest)
        folder.mkdir(exist_ok=True)
        existing = self.upload(digest, uploader)
        if existing is not None and (name is None or name == existing.name):
            return False
        record = {
            "name": name if name is not None else (existing.name if existing else None),
            "at": existing.at if existing else datetime.now(UTC).isoformat(timespec="seconds"),
            "adopted": adopted,
        }
        data = json.dumps(record, ensure_ascii=False).encode()
        if existing is None:  # the first upload: exactly one of two at once (two instances, one vault) is it
            if self._write_small(folder / f"{uploader}.json", data, exclusive=True):
                return True
            if name is None:
                return False
        self._write_small(folder / f"{uploader}.json", data)
        return False

    def _write_small(self, target: Path, data: bytes, *, exclusive: bool = False) -> bool:
        """Write a small file whole or not at all (a temporary file renamed over it). `exclusive`: only if no file
        is there yet (linked into place, which fails when one is); False when one was."""
        fd, temp = tempfile.mkstemp(dir=self._tmp, prefix="upload-meta-")
        os.fchmod(fd, 0o644)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            if exclusive:
                try:
                    os.link(temp, target)
                except FileExistsError:
                    return False
            else:
                os.replace(temp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        _fsync_dir(target.parent)
        return True

    # -- housekeeping --------------------------------------------------------------------------------------------

    def _intact(self, path: Path, digest: Hash32) -> bool:
        hasher = hashlib.sha256()
        try:
            with open(path, "rb") as source:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    hasher.update(chunk)
        except FileNotFoundError:
            return False
        return "0x" + hasher.hexdigest() == digest

    def _quarantine(self, path: Path, why: str) -> None:
        """Move a damaged file out of the way (kept for inspection); a correct upload may then take its place."""
        corrupt = self.root / ".corrupt"
        corrupt.mkdir(exist_ok=True)
        target = corrupt / f"{path.name}-{time.time_ns()}"
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, target)
            log.warning("vault: moved %s aside to %s: %s", path.name, target.name, why)

    def _sweep(self) -> None:
        cutoff = time.time() - STALE_TEMP_SECONDS
        for leftover in self._tmp.glob("upload-*"):
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()


def _fsync_dir(path: Path) -> None:
    """Make a new directory entry durable (a crash after this keeps the file)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
