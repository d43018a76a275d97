"""What sign-in keeps besides its secret: the nonces already used (until they expire, in a SQLite file of the
workspace, so a restart does not make a used message and signature work again) and each client's rate of attempts
(a token bucket per client address, in memory, for a bounded number of clients)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import OrderedDict

from ledger import RelayBudgetError
from ledger import open_sqlite_database as open_database
from ledger import sqlite_immediate as immediate

USED_NONCES_SCHEMA = """
CREATE TABLE IF NOT EXISTS used_nonces (nonce TEXT PRIMARY KEY, expires REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS used_nonces_by_expiry ON used_nonces (expires);
"""
#: Client addresses whose sign-in rate is tracked at once; past it the one seen least recently is forgotten.
MAX_CLIENTS = 10_000


class SignInRateError(RelayBudgetError):
    """A client tried to sign in more often than API_SIGN_IN_PER_MINUTE (429 with Retry-After)."""

    code = "sign_in_rate_exceeded"


class UsedNonces:
    """Sign-in nonces taken, each until it expires (a nonce past its expiry is refused anyway): every `take` prunes
    the expired ones, so the file holds at most the sign-ins of the last nonce lifetime."""

    def __init__(self, path: str = ":memory:") -> None:
        self._db, self.moved_aside = open_database(
            path,
            USED_NONCES_SCHEMA,
            what="used sign-in nonces",
            consequence="a sign-in message used in the last few minutes could be used once more",
        )
        self._lock = threading.Lock()

    def used(self, nonce: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM used_nonces WHERE nonce = ?", (nonce,)).fetchone() is not None

    def take(self, nonce: str, expires: float, now: float | None = None) -> bool:
        """Mark `nonce` used until `expires`; False if it already was (one caller wins a race)."""
        moment = time.time() if now is None else now
        with immediate(self._db, self._lock) as db:
            db.execute("DELETE FROM used_nonces WHERE expires < ?", (moment,))
            try:
                db.execute("INSERT INTO used_nonces (nonce, expires) VALUES (?, ?)", (nonce, expires))
            except sqlite3.IntegrityError:
                return False
        return True

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM used_nonces").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class SignInRate:
    """At most `per_minute` sign-in attempts per client address, refilled evenly (a burst of `per_minute`, then one
    every 60/`per_minute` seconds); memory bounded by `max_clients`."""

    def __init__(self, per_minute: int, max_clients: int = MAX_CLIENTS) -> None:
        self.per_minute = per_minute
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, at)
        self._lock = threading.Lock()

    def spend(self, client: str, now: float | None = None) -> None:
        """Count one attempt by `client`, or refuse it with `SignInRateError`."""
        moment = time.monotonic() if now is None else now
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, at = self._buckets.pop(client, (float(self.per_minute), moment))
            tokens = min(float(self.per_minute), tokens + (moment - at) * rate)
            if tokens < 1:
                self._buckets[client] = (tokens, moment)
                raise SignInRateError(
                    f"at most {self.per_minute} sign-in attempts a minute from one client address "
                    "(API_SIGN_IN_PER_MINUTE)",
                    retry_after=max(1, int((1 - tokens) / rate) + 1),
                )
            self._buckets[client] = (tokens - 1, moment)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)

    def __len__(self) -> int:
        return len(self._buckets)
