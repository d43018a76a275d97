"""The relayer: submits participants' signed requests through the forwarder and pays their gas, without ever paying
for a transaction that is doomed, sending one twice, or losing one.

- Before any gas: the calldata by the rules of `ledger.writes`, the request exactly as OpenZeppelin's forwarder will
  check it (canonical signature, signer, target, value, nonce, deadline with a margin), the participant's gas budget
  and request rate, and a dry run of the inner call (the contract's own error, decoded). The relayer sets the
  transaction's gas itself, within `RelayPolicy.max_gas_per_request`.
- One request in flight per signer: a signer's requests take turns; a second request for a nonce that is pending or
  used gets the first answer (the same signed body) or 409 (another body), never a second transaction.
- The outbox (`ledger.relay.outbox`) holds every request with its raw transaction before the broadcast. A retry with
  the same idempotency key (scoped to the signer) after a crash, mined or still pending, gets the first answer; at start
  and on every `reconcile` the outbox is matched with the chain: receipts found, lost transactions re-sent, stuck
  ones replaced with a higher fee, expired ones given up.
- A node may lose blocks it already announced (anvil killed before it saved its state file, restored from an older
  copy, a reorganisation): `reconcile` looks again at the writes mined in the blocks it lost and sends them again
  (`RECHECK_BLOCKS`), so a write once answered 201 is on chain again, not only when its caller retries.

Over 400 lines on purpose: one state machine (prepared, pending, mined, failed, dropped) and the checks before it;
its transitions are read together, so they stay in one class.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from hexbytes import HexBytes

from ledger.chain.codec import checksum, from_hex
from ledger.chain.connection import NonceTooLowError, NonceUnavailableError, SignedTx
from ledger.chain.forwarding import Forwarding
from ledger.chain.signing import check_signature
from ledger.domain.errors import (
    ContractRevertError,
    IdempotencyKeyReusedError,
    LedgerError,
    RelayBudgetError,
    RequestConflictError,
    SignatureExpiredError,
    TransactionTimeoutError,
    ValidationError,
)
from ledger.domain.types import Address, RelayedWrite, SignedRequest, TxHash, TxResult
from ledger.relay.keyed_locks import KeyedLocks
from ledger.relay.outbox import DROPPED, FAILED, MINED, PENDING, PREPARED, Entry, Outbox

log = logging.getLogger("ledger.relayer")
#: Gas the forwarder spends around the inner call (signature recovery, nonce, event), on top of the request's gas.
FORWARDER_OVERHEAD = 80_000
EIP_7825_CAP = 16_777_216  # gas of one transaction on Osaka-era nodes
#: After the node lost blocks, the mined writes looked at again: those of blocks above its head (certainly lost), and
#: those of the last RECHECK_BLOCKS blocks up to it, where blocks mined since the loss (by the demo seeding, another
#: instance, an admin script) may stand in place of ours. A `kill -9` of anvil loses the last second of blocks (it saves
#: its state every second); 64 blocks of others' writes between the loss and our look would be many, and the look
#: costs one receipt per write of ours in them, once per loss (at start, or when the head moved back).
RECHECK_BLOCKS = 64


@dataclass(frozen=True)
class RelayPolicy:
    """What the relayer spends on whom. Budgets are per participant per UTC day; None means no limit."""

    max_gas_per_request: int = 12_000_000
    gas_budget_per_day: int | None = None
    requests_per_minute: int | None = None
    min_deadline_seconds: int = 30  # a request that expires sooner could expire before its block: refused
    stuck_after_seconds: float = 60.0  # a transaction pending longer is re-sent with a higher fee
    fee_bump_percent: int = 25  # at least the 10% nodes require of a replacement
    max_fee_multiplier: int = 4  # replacements never bid more than this times the market's fee


@dataclass(frozen=True)
class RelayerStatus:
    relayer: Address
    balance_wei: int
    entries: dict[str, int]  # by status
    stuck: tuple[str, ...]  # tx hashes pending longer than stuck_after_seconds
    usage_today: dict[str, tuple[int, int]]  # signer -> (requests, gas used or reserved)


def _fingerprint(signed: SignedRequest) -> str:
    import hashlib

    r = signed.request
    text = f"{r.from_address}|{r.to}|{r.value}|{r.gas}|{r.nonce}|{r.deadline}|{r.data.lower()}|{signed.signature}"
    return hashlib.sha256(text.lower().encode()).hexdigest()


def day_start(now: float) -> float:
    stamp = datetime.fromtimestamp(now, UTC)
    return datetime(stamp.year, stamp.month, stamp.day, tzinfo=UTC).timestamp()


class Index(Protocol):
    """What the relayer asks of the event index (`ledger.index.Indexer`): a sync before a write, which refuses a
    chain that no longer holds the deployment, and to forget its last sync once a write is mined."""

    def sync(self) -> object: ...

    def invalidate(self) -> None: ...


class Relayer:
    """Relays through `forwarding` (its checks, its chain) with `outbox`, keeping `index` told of what it wrote."""

    def __init__(
        self, forwarding: Forwarding, index: Index, outbox: Outbox | None = None, policy: RelayPolicy | None = None
    ) -> None:
        self.forwarding = forwarding
        self.index = index
        self.chain = forwarding.chain
        self.outbox = outbox or Outbox(":memory:")
        self.policy = policy or RelayPolicy()
        #: Per-signer turns, taken only once the signature is the signer's and forgotten when no one waits.
        self._signer_locks = KeyedLocks()
        self._rates: dict[str, deque[float]] = {}
        #: (number, hash) of the latest block known to hold every write recorded mined: the head when they were last
        #: looked at, or the block of a write mined since (None: not looked yet, as at start).
        self._head: tuple[int, str] | None = None
        self._head_lock = threading.RLock()

    # -- submitting -----------------------------------------------------------------------------------------------

    def submit(
        self, signed: SignedRequest, *, key: str | None = None, route: str = "", checked: bool = False
    ) -> RelayedWrite:
        """Relay `signed` once. `key` is the caller's idempotency key (scoped to the signer); `route` is mixed into
        the request's fingerprint, so one key cannot serve two routes. `checked` skips re-checking calldata that
        `ledger.writes` just built."""
        from ledger.chain.calls import created_ids, function_name
        from ledger.writes import check_calldata

        request = signed.request
        signer = checksum(request.from_address)
        if not checked:
            check_calldata(request.data, signer)
            check_signature(self.forwarding.domain, signed)  # before a turn is taken in the name of `from`
        fingerprint = _fingerprint(signed) + (f"|{route}" if route else "")
        with self._signer_locks.hold(signer):
            if key is not None:
                seen = self.outbox.by_key(signer, key)
                if seen is not None:
                    if seen.fingerprint != fingerprint:
                        raise IdempotencyKeyReusedError(
                            f"Idempotency-Key {key!r} was already used by {signer} with another request"
                        )
                    return self._answer(seen, replayed=True)
            taken = self.outbox.by_nonce(signer, request.nonce)
            if taken is not None and taken.status in (MINED, FAILED) and not self._still_on_chain(taken):
                taken = self.outbox.update(replace(taken, status=DROPPED, error="reorganised off the chain"))
            if taken is not None and taken.status != DROPPED:
                if taken.fingerprint.split("|")[0] == fingerprint.split("|")[0]:
                    return self._answer(taken, replayed=True)  # the same signed request, sent again
                raise RequestConflictError(
                    f"nonce {request.nonce} of {signer} is already taken by another request"
                    f" ({taken.status}, tx {taken.tx_hash})"
                )
            self.index.sync()  # refuses (ChainMismatchError) on a chain that no longer holds the deployment
            self.forwarding.check_signed(
                signed, min_deadline=self.policy.min_deadline_seconds, signature_checked=not checked
            )
            self._check_budget(signer)  # a signer past its rate or budget costs no dry run
            gas = self._gas_limit(signed)
            self.forwarding.dry_run(signed)
            self._count(signer)
            entry = Entry(
                id=0,
                signer=signer,
                signer_nonce=request.nonce,
                idempotency_key=key,
                fingerprint=fingerprint,
                function=function_name(request.data),
                created=tuple(created_ids(signer, request.data)),
                deadline=request.deadline,
                relayer=self.chain.operator.address,
                relayer_nonce=None,
                raw_tx=None,
                tx_hash=None,
                earlier_hashes=(),
                gas_limit=gas,
                max_fee=0,
                tip=0,
                status=PREPARED,
                block_number=None,
                gas_used=None,
                error=None,
                created_at=0.0,
                sent_at=None,
            )
            if taken is not None:  # a dropped request of this nonce: the new attempt takes its place
                self.outbox.remove(taken.id)
            entry = self._send(entry, self.forwarding.execute_data(signed), new=True)
            return self._answer(entry, replayed=False)

    def _gas_limit(self, signed: SignedRequest) -> int:
        """Enough for the forwarder to hand the inner call the `gas` the signer signed (it checks that it did), never
        more than the policy allows per request."""
        request = signed.request
        if request.gas > self.policy.max_gas_per_request:
            raise ValidationError(
                f"request.gas {request.gas} is over the relayer's cap of {self.policy.max_gas_per_request} per request",
                field="request.gas",
            )
        needed = request.gas * 64 // 63 + FORWARDER_OVERHEAD + 16 * (len(request.data) // 2 + 260)
        return min(needed, EIP_7825_CAP)

    def _send(self, entry: Entry, data: str, *, new: bool) -> Entry:
        """Sign with a fresh relayer nonce, record in the outbox, then broadcast (`Chain.send_operator`: signed again
        when another process using the key took the nonce). A new request whose every attempt lost its nonce that
        way was never broadcast: its entry is dropped, freeing the signer's nonce for a retry."""
        recorded, first = entry, new

        def record(tx: SignedTx) -> None:
            nonlocal recorded, new
            recorded = replace(
                recorded,
                relayer_nonce=tx.nonce,
                raw_tx=tx.raw,
                tx_hash=tx.hash,
                max_fee=tx.max_fee,
                tip=tx.tip,
                status=PREPARED,
                sent_at=None,
            )
            recorded = self.outbox.add(recorded) if new else self.outbox.update(recorded)
            new = False

        try:
            self.chain.send_operator(
                {"to": self.forwarding.deployment.forwarder, "data": data}, gas=entry.gas_limit, before_broadcast=record
            )
        except NonceUnavailableError as exc:
            if first and not new:  # recorded, never accepted by the node: the signer may retry this nonce at once
                self.outbox.update(replace(recorded, status=DROPPED, error=str(exc)))
            raise
        return self.outbox.update(replace(recorded, status=PENDING, sent_at=time.time()))

    # -- answers --------------------------------------------------------------------------------------------------

    def _still_on_chain(self, entry: Entry) -> bool:
        """Whether a mined entry's transaction is still on chain (a reorganisation may have dropped it)."""
        return entry.tx_hash is not None and self.chain.receipt(entry.tx_hash) is not None

    def _answer(self, entry: Entry, *, replayed: bool) -> RelayedWrite:
        """The write's answer once it is mined; waits for a pending one (up to the chain's receipt timeout). An
        answer given again is checked against the chain first: a transaction reorganised away is sent again."""
        if replayed and entry.status in (MINED, FAILED) and not self._still_on_chain(entry):
            entry = self.outbox.update(replace(entry, status=PENDING, error=None))
        deadline = time.monotonic() + self.chain.receipt_timeout
        while entry.status in (PREPARED, PENDING):
            entry = self._follow(entry)
            if entry.status in (PREPARED, PENDING):
                if time.monotonic() > deadline:
                    raise TransactionTimeoutError(
                        f"transaction {entry.tx_hash} is still pending; retry with the "
                        "same Idempotency-Key to get its answer"
                    )
                time.sleep(0.05)
        if entry.status == MINED:
            assert entry.tx_hash is not None and entry.block_number is not None
            return RelayedWrite(
                entry.function,
                Address(entry.signer),
                entry.created,
                TxResult(TxHash(entry.tx_hash), entry.block_number, entry.gas_used or 0),
                replayed,
            )
        if entry.status == FAILED:
            raise ContractRevertError({"tx_hash": entry.tx_hash}, message=entry.error or "transaction reverted")
        raise SignatureExpiredError(f"the request was not relayed: {entry.error or 'dropped'}")

    # -- following transactions -------------------------------------------------------------------------------------

    def _follow(self, entry: Entry) -> Entry:
        """One look at the chain for an open entry: mined (any of its hashes), still pending (re-sent with a higher
        fee once stuck), or lost (re-sent, or given up when it can no longer be executed)."""
        for tx_hash in reversed(entry.hashes):
            receipt = self.chain.receipt(tx_hash)
            if receipt is not None:
                return self._mined(entry, tx_hash, receipt)
        if entry.tx_hash is not None and self.chain.is_known(entry.tx_hash):
            if entry.sent_at is not None and time.time() - entry.sent_at > self.policy.stuck_after_seconds:
                return self._replace(entry)
            return entry
        return self._lost(entry)

    def _mined(self, entry: Entry, tx_hash: str, receipt: dict[str, Any]) -> Entry:
        status = MINED if int(receipt["status"]) == 1 else FAILED
        error = None
        if status == FAILED:
            error = f"transaction {tx_hash} reverted in block {receipt['blockNumber']}"
            log.error("relayed transaction reverted (paid): %s", error)
        self.index.invalidate()
        with self._head_lock:
            if self._head is not None and int(receipt["blockNumber"]) > self._head[0]:
                self._head = (int(receipt["blockNumber"]), "0x" + bytes(receipt["blockHash"]).hex())
        return self.outbox.update(
            replace(
                entry,
                tx_hash=tx_hash,
                status=status,
                block_number=int(receipt["blockNumber"]),
                gas_used=int(receipt["gasUsed"]),
                error=error,
            )
        )

    def _lost(self, entry: Entry) -> Entry:
        """The node knows none of the entry's transactions (never broadcast before a crash, or dropped)."""
        current = self.forwarding.nonce(entry.signer)
        if current > entry.signer_nonce:  # executed, by a transaction not ours (another relayer instance)
            return self.outbox.update(
                replace(entry, status=DROPPED, error="the request was executed by another relayer; its nonce is used")
            )
        if entry.deadline < self.forwarding.chain_time() + 5:
            return self.outbox.update(replace(entry, status=DROPPED, error="the request expired before it was mined"))
        if (
            entry.raw_tx is not None
            and entry.relayer_nonce is not None
            and self.chain.confirmed_nonce() <= entry.relayer_nonce <= self.chain.pending_nonce()
        ):
            # its nonce is free and next (or fills a gap): above the pending nonce it would wait in the node's queue
            # for a nonce nobody sends (a transaction of the relayer's key lost with it but not in this outbox)
            try:
                self.chain.broadcast(entry.raw_tx)
                return self.outbox.update(replace(entry, status=PENDING, sent_at=time.time()))
            except NonceTooLowError:
                pass  # the relayer nonce went to another transaction meanwhile: sign anew below
        self.chain.reset_nonce()
        data = self._execute_data_of(entry)
        return self._send(replace(entry, earlier_hashes=entry.hashes, tx_hash=None), data, new=False)

    def _execute_data_of(self, entry: Entry) -> str:
        """The `execute` calldata of an entry, read back from its raw transaction."""
        from eth_account.typed_transactions import TypedTransaction

        assert entry.raw_tx is not None
        tx = TypedTransaction.from_bytes(HexBytes(from_hex(entry.raw_tx)))
        return "0x" + bytes(tx.as_dict()["data"]).hex()

    def _replace(self, entry: Entry) -> Entry:
        """Re-send a stuck transaction under the same relayer nonce with a higher fee (a replacement), never above
        `max_fee_multiplier` times the fee the market asks now: a transaction stuck at that cap waits (and shows in
        `/health` as stuck) rather than draining the relayer."""
        assert entry.relayer_nonce is not None
        market = self.chain.market_fees()
        cap = market["maxFeePerGas"] * self.policy.max_fee_multiplier
        bump = 100 + self.policy.fee_bump_percent
        max_fee, tip = entry.max_fee * bump // 100 + 1, entry.tip * bump // 100 + 1
        if max_fee > cap:
            log.warning("transaction %s stuck at the fee cap (%s wei per gas): waiting", entry.tx_hash, entry.max_fee)
            return self.outbox.update(replace(entry, sent_at=time.time()))
        forwarder = self.forwarding.deployment.forwarder
        tx = self.chain.sign_operator(
            {"to": forwarder, "data": self._execute_data_of(entry)},
            gas=entry.gas_limit,
            nonce=entry.relayer_nonce,
            max_fee=max_fee,
            tip=min(tip, max_fee),
        )
        log.warning(
            "transaction %s pending for over %ss: replaced by %s with a higher fee",
            entry.tx_hash,
            self.policy.stuck_after_seconds,
            tx.hash,
        )
        updated = self.outbox.update(
            replace(
                entry,
                earlier_hashes=entry.hashes,
                raw_tx=tx.raw,
                tx_hash=tx.hash,
                max_fee=tx.max_fee,
                tip=tx.tip,
                sent_at=time.time(),
            )
        )
        with contextlib.suppress(NonceTooLowError):  # the original was mined meanwhile: the next look finds it
            self.chain.broadcast(tx.raw)
        return updated

    def _recheck_mined(self) -> None:
        """Send again the mined writes whose blocks the node lost. Cheap while nothing is lost: the head is compared
        with the one seen last (two block headers); at start, or once the head moved back or its block was replaced,
        the writes mined above the head and in the `RECHECK_BLOCKS` blocks below it are looked up, and each one whose
        transaction is no longer on chain is marked pending and sent again (`_lost`: the same raw transaction when
        its nonces still fit)."""
        with self._head_lock:
            latest = self.chain.block_id()
            if latest is None:
                return
            seen = self._head
            if seen is not None and latest[0] >= seen[0] and self.chain.block_id(seen[0]) == seen:
                self._head = latest
                return
            since = min(latest[0], seen[0] if seen is not None else latest[0]) - RECHECK_BLOCKS
            done = True
            self.chain.reset_nonce()  # a nonce allocated before the loss may be above the chain's now
            for entry in self.outbox.mined_after(since):
                with self._signer_locks.try_hold(entry.signer) as held:
                    if not held:  # a request of this signer is being answered right now: looked at next time
                        done = False
                        continue
                    current = self.outbox.get(entry.id)
                    if current.status != MINED or current.tx_hash is None:
                        continue
                    try:
                        receipt = self.chain.receipt(current.tx_hash)
                        if receipt is not None:
                            if int(receipt["blockNumber"]) != current.block_number:  # mined again elsewhere
                                self._mined(current, current.tx_hash, receipt)
                            continue
                        log.warning(
                            "relayed transaction %s (block %s) is no longer on chain (the node lost its "
                            "latest blocks): sending it again",
                            current.tx_hash,
                            current.block_number,
                        )
                        again = self._lost(self.outbox.update(replace(current, status=PENDING, error=None)))
                        if again.status == DROPPED:
                            log.error("a write answered before is lost: %s (%s)", current.tx_hash, again.error)
                    except LedgerError as exc:
                        log.warning("re-checking %s: %s", current.tx_hash, exc)
                        done = False
            if done:
                self._head = latest

    def reconcile(self) -> int:
        """Match the outbox with the chain (at start, and periodically): the mined writes the node may have lost, then
        every open entry; returns how many are open."""
        try:
            self._recheck_mined()
        except LedgerError as exc:
            log.warning("re-checking mined writes: %s", exc)
        still_open = 0
        for entry in self.outbox.open_entries():
            with self._signer_locks.try_hold(entry.signer) as held:
                if not held:  # a request of this signer is following its own write right now
                    still_open += 1
                    continue
                current = self.outbox.get(entry.id)
                if current.open:
                    try:
                        current = self._follow(current)
                    except LedgerError as exc:
                        log.warning("reconciling %s: %s", current.tx_hash, exc)
                still_open += current.open
        return still_open

    # -- budgets --------------------------------------------------------------------------------------------------

    def _check_budget(self, signer: str) -> None:
        policy, now = self.policy, time.time()
        if policy.requests_per_minute is not None:
            window = self._rates.get(signer, deque())
            while window and window[0] < now - 60:
                window.popleft()
            if not window:
                self._rates.pop(signer, None)  # a signer quiet for a minute leaves nothing behind
            if len(window) >= policy.requests_per_minute:
                raise RelayBudgetError(
                    f"{signer} sent {len(window)} requests in the last minute; the relayer takes "
                    f"{policy.requests_per_minute}",
                    retry_after=int(window[0] + 60 - now) + 1,
                    code="rate_limited",
                )
        if policy.gas_budget_per_day is not None:
            start = day_start(now)
            spent = self.outbox.gas_since(signer, start)
            if spent >= policy.gas_budget_per_day:
                raise RelayBudgetError(
                    f"{signer} used {spent} gas of its {policy.gas_budget_per_day} budget today (UTC)",
                    retry_after=int(start + 86_400 - now) + 1,
                    code="budget_exhausted",
                )

    def _count(self, signer: str) -> None:
        """Take a place in the signer's rate for a request about to be sent (one the checks or the dry run refuse
        costs no gas and takes none)."""
        if self.policy.requests_per_minute is not None:
            self._rates.setdefault(signer, deque()).append(time.time())

    def status(self) -> RelayerStatus:
        now = time.time()
        stuck = tuple(
            e.tx_hash
            for e in self.outbox.open_entries()
            if e.tx_hash and e.sent_at and now - e.sent_at > self.policy.stuck_after_seconds
        )
        return RelayerStatus(
            checksum(self.chain.operator.address),
            self.chain.balance(self.chain.operator.address),
            self.outbox.counts(),
            stuck,
            self.outbox.usage(day_start(now)),
        )
