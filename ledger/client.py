"""`Ledger`: the domain API. Writes go to the contracts (participants' writes as signed, relayed requests);
reads come from the event index, synced to the chain before each read.

Over 400 lines on purpose: the `Ledger` facade is the package's one entry for reads and writes; each method is a few
lines handing over to the module that does the work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from ledger.chain.codec import batch_id_of, checksum, disclosure_id_of
from ledger.chain.compile import load_artifact
from ledger.chain.connection import DEFAULT_NODE_TIMEOUT, Chain
from ledger.chain.deploy import deploy, deployment_problem, genesis_hash, load_manifest, save_manifest
from ledger.chain.forwarding import Forwarding
from ledger.chain.signing import build_request, gas_for, sign_request
from ledger.domain import validation as v
from ledger.domain.errors import (
    ChainMismatchError,
    ContractRevertError,
    NotFoundError,
    RecordUnreadableError,
    ValidationError,
)
from ledger.domain.types import (
    AssuranceLevel,
    Batch,
    BatchId,
    Deployment,
    Disclosure,
    DisclosureId,
    FlagKind,
    MetricValue,
    NewBatch,
    Opinion,
    Participant,
    ParticipantProfile,
    RelayedWrite,
    Role,
    SignedRequest,
    Site,
    TxResult,
)
from ledger.index import Indexer, IndexReader, IndexStore, IndexWriter, SyncStatus, move_aside
from ledger.relay.outbox import Outbox
from ledger.relay.relayer import Relayer, RelayPolicy
from ledger.writes import admin, batches, disclosures


class Ledger:
    """One deployment on one chain, with its index."""

    def __init__(
        self,
        chain: Chain,
        deployment: Deployment,
        store: IndexWriter,
        *,
        confirmations: int = 0,
        log_window: int = 2_000,
        read_staleness: float = 0.0,
    ) -> None:
        self.chain = chain
        self.deployment = deployment
        #: The index as the rest of the code reads it (`ledger.index.IndexReader`); its writes (`IndexWriter`) are the
        #: Ledger's and its indexer's only. `IndexStore` is the SQLite adapter the Ledger opens.
        self.store: IndexReader = store
        self._index = store
        self.indexer = Indexer(
            chain, deployment, store, confirmations=confirmations, window=log_window, max_staleness=read_staleness
        )
        w3 = chain.w3
        self.contract = w3.eth.contract(
            address=cast(ChecksumAddress, deployment.ledger), abi=load_artifact("ProvenanceLedger").abi
        )
        #: The forwarder's checks of a signed request (`ledger.chain.forwarding`), shared with the relayer.
        self.forwarding = Forwarding(chain, deployment)
        self.forwarder = self.forwarding.contract
        self.domain = self.forwarding.domain
        #: In memory; a service gives it a file outbox and a policy (`use_relayer`).
        self.relayer = Relayer(self.forwarding, self.indexer)

    def use_relayer(self, outbox: Outbox, policy: RelayPolicy) -> Relayer:
        """Relay through `outbox` (a file of the service's workspace) under `policy`, after matching what the outbox
        holds with the chain (writes left open by a crash)."""
        self.relayer = Relayer(self.forwarding, self.indexer, outbox, policy)
        self.relayer.reconcile()
        return self.relayer

    # -- opening -----------------------------------------------------------------------------------------------

    @classmethod
    def embedded(cls) -> Ledger:
        """A fresh in-memory chain with the contracts deployed and an in-memory index."""
        chain = Chain.embedded_chain()
        return cls(chain, deploy(chain), IndexStore(":memory:"))

    @classmethod
    def connect(
        cls,
        rpc_url: str,
        home: Path,
        *,
        operator_key: str | None = None,
        confirmations: int = 0,
        log_window: int = 2_000,
        read_staleness: float = 0.0,
        deploy_if_missing: bool = True,
        redeploy: bool = False,
        node_timeout: float = DEFAULT_NODE_TIMEOUT,
    ) -> Ledger:
        """A JSON-RPC chain. The deployment manifest and index live in `home`; deploys once if no manifest is there.

        A manifest whose contracts the chain does not hold (reset or replaced chain, wrong node) is refused with
        `ChainMismatchError` rather than silently replaced by a second contract set; `redeploy=True` deploys afresh
        on purpose. An index file written for another chain, or unreadable, is moved aside and rebuilt."""
        chain = Chain.connect(rpc_url, operator_key, timeout=node_timeout)
        manifest = home / "deployments" / f"{chain.chain_id}.json"
        deployment = load_manifest(manifest)
        if deployment is not None:
            problem = deployment_problem(chain, deployment)
            if problem is not None:
                if not redeploy:
                    raise ChainMismatchError(
                        f"{problem}. The deployment manifest {manifest.name} names contracts this chain does not hold: "
                        "point at the node of that chain, or pass --redeploy to deploy a new contract set here "
                        "(nothing recorded before is on it)"
                    )
                deployment = None
            elif deployment.genesis_hash is None:  # a manifest from before genesis hashes were kept
                deployment = replace(deployment, genesis_hash=genesis_hash(chain))
                save_manifest(deployment, manifest)
        fresh = deployment is None
        if deployment is None:
            if not deploy_if_missing:
                raise NotFoundError(f"no deployment for chain {chain.chain_id} in {manifest.name}")
            deployment = deploy(chain)
            save_manifest(deployment, manifest)
        index = home / "index" / f"{chain.chain_id}-{deployment.ledger.lower()}-{deployment.block_number}.sqlite"
        if fresh and index.exists():  # left by an earlier deployment at the same address and block: not this one's
            move_aside(index, "a new deployment")
        return cls(
            chain,
            deployment,
            IndexStore(index, genesis=deployment.genesis_hash),
            confirmations=confirmations,
            log_window=log_window,
            read_staleness=read_staleness,
        )

    def close(self) -> None:
        self._index.close()

    # -- index -------------------------------------------------------------------------------------------------

    def sync(self) -> SyncStatus:
        return self.indexer.sync()

    def status(self) -> SyncStatus:
        return self.indexer.status()

    # -- admin writes (operator account) -----------------------------------------------------------------------

    def register_participant(self, account: str, profile: ParticipantProfile, roles: Sequence[Role] = ()) -> TxResult:
        result = self._send_admin(admin.register_participant(account, profile, roles))
        self._fund_for_dry_run(v.address(account))
        return result

    def add_site(self, account: str, site: Site) -> TxResult:
        participant = self.participant(account)
        return self._send_admin(admin.add_site(account, site, participant.profile.country))

    def grant_role(self, account: str, role: Role) -> TxResult:
        return self._send_admin(admin.grant_role(account, role))

    def revoke_role(self, account: str, role: Role) -> TxResult:
        return self._send_admin(admin.revoke_role(account, role))

    def set_suspended(self, account: str, suspended: bool, reason: str) -> TxResult:
        return self._send_admin(admin.set_suspended(account, suspended, reason))

    def _send_admin(self, data: str) -> TxResult:
        self.sync()  # refuses (ChainMismatchError) on a chain that no longer holds the deployment
        receipt = self.chain.send({"to": self.deployment.ledger, "data": data})  # type: ignore[typeddict-item]
        self.indexer.invalidate()
        return _result(receipt)

    # -- participant writes (signed by the participant, relayed) -----------------------------------------------
    # Calldata comes from `ledger.writes`, the one home of each write's rules; `_relay_built` skips re-checking
    # what those functions just checked.

    def batch_id_of(self, producer: str, gtin: str, lot: str) -> BatchId:
        """The id the contract gives (or would give) `producer`'s batch with this GTIN and lot."""
        return batch_id_of(v.address(producer), v.gtin(gtin), v.lot(lot))

    def record_batch(self, signer: LocalAccount, batch: NewBatch) -> tuple[BatchId, TxResult]:
        result = self._relay_built(self.sign(signer, batches.record_batch(batch)))
        return self.batch_id_of(signer.address, batch.gtin, batch.lot), result

    def record_batches(self, signer: LocalAccount, items: Sequence[NewBatch]) -> tuple[list[BatchId], TxResult]:
        """Many batches in one transaction: all recorded, or none (the error names the offending batch)."""
        data = batches.record_batches(items)
        ids = [self.batch_id_of(signer.address, b.gtin, b.lot) for b in items]
        try:
            result = self._relay_built(self.sign(signer, data))
        except ContractRevertError as exc:
            offending = _offending_index(exc, ids, items)
            if offending is not None:
                exc.index = offending
                exc.args = (f"batch #{offending} (lot {items[offending].lot}): {exc}",)
            raise
        return ids, result

    def transfer_custody(self, signer: LocalAccount, batch_id: str, to: str) -> TxResult:
        return self._relay_built(self.sign(signer, batches.transfer_custody(batch_id, to)))

    def flag_batch(self, signer: LocalAccount, batch_id: str, kind: FlagKind, reason: str) -> TxResult:
        return self._relay_built(self.sign(signer, batches.flag_batch(batch_id, kind, reason)))

    def publish_disclosure(
        self,
        signer: LocalAccount,
        period: str,
        framework: str,
        metrics: Sequence[MetricValue],
        document_hash: str,
        uri: str,
        public: bool = False,
    ) -> tuple[DisclosureId, TxResult]:
        data = disclosures.publish_disclosure(period, framework, metrics, document_hash, uri, public)
        result = self._relay_built(self.sign(signer, data))
        return disclosure_id_of(signer.address, framework, period), result

    def amend_disclosure(
        self,
        signer: LocalAccount,
        disclosure_id: str,
        metrics: Sequence[MetricValue],
        document_hash: str,
        uri: str,
        reason: str,
        public: bool = False,
    ) -> TxResult:
        data = disclosures.amend_disclosure(disclosure_id, metrics, document_hash, uri, reason, public)
        return self._relay_built(self.sign(signer, data))

    def attest(
        self,
        signer: LocalAccount,
        disclosure_id: str,
        version: int,
        level: AssuranceLevel,
        opinion: Opinion,
        report_hash: str,
    ) -> TxResult:
        data = disclosures.attest(disclosure_id, version, level, opinion, report_hash)
        return self._relay_built(self.sign(signer, data))

    def revoke_attestation(self, signer: LocalAccount, disclosure_id: str, version: int, reason: str) -> TxResult:
        return self._relay_built(self.sign(signer, disclosures.revoke_attestation(disclosure_id, version, reason)))

    # -- signed requests ---------------------------------------------------------------------------------------

    def nonce(self, account: str) -> int:
        return self.forwarding.nonce(account)

    def sign(self, signer: LocalAccount, call: Any, *, ttl: int = 3_600) -> SignedRequest:
        """Sign `call` (0x-hex ledger calldata, or a web3 contract function) as `signer` with its next nonce."""
        data = call if isinstance(call, str) else call._encode_transaction_data()
        request = build_request(
            checksum(signer.address),
            self.deployment.ledger,
            data,
            nonce=self.nonce(signer.address),
            gas=gas_for(data),
            ttl=ttl,
            now=self.chain_time(),
        )
        return sign_request(signer, self.domain, request)

    def chain_time(self) -> float:
        """The later of the latest block's time and the wall clock (a dev chain's clock may lag)."""
        return self.forwarding.chain_time()

    def check_signed(self, signed: SignedRequest, *, min_deadline: int = 0, signature_checked: bool = False) -> None:
        """What OpenZeppelin's forwarder would refuse, refused before any gas is spent (`Forwarding.check_signed`)."""
        self.forwarding.check_signed(signed, min_deadline=min_deadline, signature_checked=signature_checked)

    def dry_run(self, signed: SignedRequest) -> None:
        """The inner call as the ledger will see it, with the gas the forwarder will hand it (`Forwarding.dry_run`):
        raises the contract's own decoded error, or `ValidationError` when the signed gas cannot carry the call."""
        self.forwarding.dry_run(signed)

    def relay(self, signed: SignedRequest, *, key: str | None = None, route: str = "") -> TxResult:
        """Check a signed request (its calldata by the rules of `ledger.writes`, its signature, nonce and
        deadline as the forwarder will), dry-run it, then submit it once through the relayer
        (`ledger.relay.relayer`)."""
        return self.relayer.submit(signed, key=key, route=route).tx

    def relay_write(self, signed: SignedRequest, *, key: str | None = None, route: str = "") -> RelayedWrite:
        """`relay`, with what the write created and whether the answer is an earlier one (same key or request)."""
        return self.relayer.submit(signed, key=key, route=route)

    def _relay_built(self, signed: SignedRequest) -> TxResult:
        return self.relayer.submit(signed, checked=True).tx

    def _fund_for_dry_run(self, account: str) -> None:
        self.forwarding.fund_for_dry_run(account)

    def send_direct(self, signer: LocalAccount, call: Any) -> TxResult:
        """Send `call` (0x-hex calldata, or a web3 contract function) to the ledger as a plain transaction from
        `signer`, who pays its own gas (no forwarder).

        On the embedded chain a signer with no balance is funded by the operator first.
        """
        self._fund_for_dry_run(signer.address)
        data = call if isinstance(call, str) else call._encode_transaction_data()
        receipt = self.chain.send({"to": self.deployment.ledger, "data": data}, account=signer)  # type: ignore[typeddict-item]
        self.indexer.invalidate()
        return _result(receipt)

    # -- reads (from the index) --------------------------------------------------------------------------------

    def batch(self, batch_id: str) -> Batch:
        self.sync()
        found = self.store.batch(v.batch_id(batch_id))
        if found is None:
            problems = self.store.unreadable_for(v.batch_id(batch_id))
            if problems:
                raise RecordUnreadableError(f"batch {batch_id}: {problems[0]}")
            raise NotFoundError(f"no batch {batch_id}")
        return found

    def find_batch(self, gtin: str, lot: str, producer: str | None = None) -> Batch:
        """The batch a label names (GTIN + lot); `producer` disambiguates if two producers used the same lot."""
        self.sync()
        ids = self.store.find_batch_ids(
            gtin=v.gtin(gtin), lot=v.lot(lot), producer=v.address(producer) if producer else None, limit=2
        )
        if not ids:
            raise NotFoundError(f"no batch with GTIN {gtin} and lot {lot}")
        if len(ids) > 1:
            raise ValidationError(
                f"GTIN {gtin} lot {lot} is recorded by several producers: name the producer", field="producer"
            )
        return self.batch(ids[0][0])

    def participant(self, address: str) -> Participant:
        self.sync()
        found = self.store.participant(v.address(address))
        if found is None:
            raise NotFoundError(f"no participant {address}")
        return found

    def participants(self) -> list[Participant]:
        self.sync()
        return self.store.participants()

    def disclosure(self, disclosure_id: str) -> Disclosure:
        self.sync()
        found = self.store.disclosure(v.hash32(disclosure_id, "disclosure_id"))
        if found is None:
            raise NotFoundError(f"no disclosure {disclosure_id}")
        return found

    def disclosures(
        self, *, participant: str | None = None, period: str | None = None, framework: str | None = None
    ) -> list[Disclosure]:
        self.sync()
        ids = self.store.disclosure_ids(
            participant=v.address(participant) if participant else None,
            period=period,
            framework=framework,
            limit=100_000,
        )
        return [d for i, *_ in ids if (d := self.store.disclosure(i)) is not None]

    def trace(self, batch_id: str, max_depth: int = 64, max_nodes: int | None = None) -> Any:
        """Upstream lineage of the batch (`ledger.trace.build_trace`): at most `max_depth` tiers and `max_nodes`
        batches (default `ledger.trace.MAX_NODES`); a cut trace says so and where to continue."""
        from ledger.trace import MAX_NODES, build_trace

        self.sync()
        return build_trace(self.store, v.batch_id(batch_id), max_depth, MAX_NODES if max_nodes is None else max_nodes)

    # -- paged reads for services (keyset cursors are (block_number, log_index)) ------------------------------

    def search_batches(
        self,
        *,
        gtin: str | None = None,
        lot: str | None = None,
        producer: str | None = None,
        country: str | None = None,
        after: tuple[int, int] | None = None,
        limit: int = 50,
    ) -> list[tuple[Batch, tuple[int, int]]]:
        """Batches matching the filters, newest first, each with its position (the cursor of the next page)."""
        self.sync()
        ids = self.store.find_batch_ids(
            gtin=v.gtin(gtin) if gtin else None,
            lot=v.lot(lot) if lot else None,
            producer=v.address(producer, "producer") if producer else None,
            country=v.country(country) if country else None,
            after=after,
            limit=limit,
        )
        found = self.store.batches([i for i, *_ in ids])
        return [(found[i], (block, log)) for i, block, log in ids if i in found]

    def held_batches(
        self, holder: str, *, after: tuple[int, int] | None = None, limit: int = 50
    ) -> list[tuple[Batch, tuple[int, int]]]:
        """Batches `holder` holds now, newest first, each with its position (the cursor of the next page)."""
        self.sync()
        ids = self.store.held_batch_ids(v.address(holder, "holder"), after=after, limit=limit)
        found = self.store.batches([i for i, *_ in ids])
        return [(found[i], (block, log)) for i, block, log in ids if i in found]

    def batch_count(self, producer: str) -> int:
        self.sync()
        return self.store.batch_count(v.address(producer))

    def disclosure_page(
        self,
        *,
        participant: str | None = None,
        period: str | None = None,
        framework: str | None = None,
        after: tuple[int, int] | None = None,
        limit: int = 50,
    ) -> list[tuple[Disclosure, tuple[int, int]]]:
        """Disclosures matching the filters, oldest first, each with its position (the cursor of the next page)."""
        self.sync()
        ids = self.store.disclosure_ids(
            participant=v.address(participant, "participant") if participant else None,
            period=v.period(period) if period else None,
            framework=v.framework(framework) if framework else None,
            after=after,
            limit=limit,
        )
        return [(d, (block, log)) for i, block, log in ids if (d := self.store.disclosure(i)) is not None]

    def block_time(self, number: int) -> datetime:
        """The timestamp of block `number` (from the index when it holds the block, else from the node)."""
        stamp = self.store.block_timestamp(number)
        if stamp is not None:
            return datetime.fromtimestamp(stamp, UTC)
        block = self.chain._guard(lambda: self.chain.w3.eth.get_block(number))
        return datetime.fromtimestamp(int(block["timestamp"]), UTC)


def _offending_index(exc: ContractRevertError, ids: Sequence[str], batches: Sequence[NewBatch]) -> int | None:
    """Which submitted batch a bulk revert is about: by the error's `batch_id`, else by the facility it names."""
    named = exc.args_by_name.get("batch_id")
    if isinstance(named, str) and named.lower() in ids:
        return list(ids).index(named.lower())
    gln = exc.args_by_name.get("gln")
    if gln is not None:
        for index, batch in enumerate(batches):
            if int(batch.facility) == int(gln):
                return index
    return None


def _result(receipt: Any) -> TxResult:
    return TxResult(
        "0x" + bytes(receipt["transactionHash"]).hex(),  # type: ignore[arg-type]
        int(receipt["blockNumber"]),
        int(receipt["gasUsed"]),
    )
