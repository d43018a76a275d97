"""Reads of the participants aggregate: participants with their sites, roles and status; site and party owners."""

from __future__ import annotations

from ledger.domain.types import Address, Gln, Hash32, Participant, ParticipantProfile, Role, Site
from ledger.index.base import SqlIndex
from ledger.index.caches import ADDRESS_CACHE_SIZE


class Participants(SqlIndex):
    """The participants aggregate's reads."""

    def participant(self, address: str) -> Participant | None:
        """A participant, cached until a participant event."""
        with self._lock:
            cache = self.caches.participants
            found = cache.get(address)
            if found is None:
                found = self._load_participant(address)
                if found is not None:
                    cache[address] = found
            return found

    def _load_participant(self, address: str) -> Participant | None:
        row = self._one("SELECT * FROM participants WHERE address = ?", (address,))
        if row is None:
            return None
        sites = tuple(
            Site(Gln(s["gln"]), s["subdivision"])
            for s in self._rows(
                f"SELECT gln, subdivision FROM sites WHERE address = ? ORDER BY {self.dialect.insertion_order}",
                (address,),
            )
        )
        roles = set(self.roles_of(address))
        status = self._one(
            "SELECT suspended FROM statuses WHERE address = ? ORDER BY block_number DESC, log_index DESC LIMIT 1",
            (address,),
        )
        profile = ParticipantProfile(
            legal_name=row["legal_name"],
            country=row["country"],
            sites=sites,
            organisation_id=Hash32(row["organisation_id"]) if row["organisation_id"] else None,
            profile_hash=Hash32(row["profile_hash"]) if row["profile_hash"] and int(row["profile_hash"], 16) else None,
            party_gln=Gln(row["party_gln"]) if row["party_gln"] else None,
        )
        return Participant(
            Address(row["address"]),
            int(row["idx"]),
            profile,
            frozenset(roles),
            bool(status["suspended"]) if status else False,
            self._tx_ref(row),
        )

    def participants(self) -> list[Participant]:
        rows = self._rows("SELECT address FROM participants ORDER BY idx")
        return [p for r in rows if (p := self.participant(r["address"])) is not None]

    def roles_of(self, address: str) -> frozenset[Role]:
        """The roles `address` holds now (ADMIN included), from the grants and revocations in chain order (cached
        until a participant event)."""
        with self._lock:
            cache = self.caches.roles
            cached = cache.get(address)
            if cached is not None:
                return cached
            roles: set[Role] = set()
            for r in self._rows(
                "SELECT role, granted FROM roles WHERE address = ? ORDER BY block_number, log_index", (address,)
            ):
                if r["role"] in Role.__members__:
                    (roles.add if r["granted"] else roles.discard)(Role(r["role"]))
            if len(cache) > ADDRESS_CACHE_SIZE:
                cache.clear()
            found = cache[address] = frozenset(roles)
            return found

    def site_owner(self, gln: str) -> str | None:
        row = self._one("SELECT address FROM sites WHERE gln = ?", (gln,))
        return str(row["address"]) if row else None

    def site_subdivision(self, gln: str) -> str | None:
        row = self._one("SELECT subdivision FROM sites WHERE gln = ?", (gln,))
        return str(row["subdivision"]) if row else None

    def party_owner(self, gln: str) -> str | None:
        row = self._one("SELECT address FROM participants WHERE party_gln = ?", (gln,))
        return str(row["address"]) if row else None
