"""`Ledger`: the domain API. Writes go to the contracts (participants' writes as signed, relayed requests);
reads come from the event index, synced to the chain before each read."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import keccak
from web3.types import Wei

from ledger import validation as v
from ledger.chain import Chain
from ledger.codec import batch_id_of, batch_record, checksum, disclosure_id_of, from_hex, text_to_bytes
from ledger.compile import load_artifact
from ledger.deploy import deploy, load_manifest, save_manifest
from ledger.errors import (
    ContractRevertError,
    NotFoundError,
    SignatureExpiredError,
    SignatureInvalidError,
    SignatureReplayError,
    ValidationError,
)
from ledger.index import Indexer, IndexStore, SyncStatus
from ledger.signing import build_request, gas_for, recover_signer, sign_request
from ledger.types import (
    AssuranceLevel,
    Batch,
    BatchId,
    Deployment,
    Disclosure,
    DisclosureId,
    Eip712Domain,
    FlagKind,
    MetricValue,
    NewBatch,
    Opinion,
    Participant,
    ParticipantProfile,
    Role,
    SignedRequest,
    TxResult,
)

ROLE_HASHES = {Role.FACTORY: keccak(text="FACTORY"), Role.AUDITOR: keccak(text="AUDITOR")}
FLAG_KINDS = list(FlagKind)
LEVELS = list(AssuranceLevel)
OPINIONS = list(Opinion)


class Ledger:
    """One deployment on one chain, with its index."""

    def __init__(self, chain: Chain, deployment: Deployment, store: IndexStore, *, confirmations: int = 0,
                 log_window: int = 2_000, read_staleness: float = 0.0) -> None:
        self.chain = chain
        self.deployment = deployment
        self.store = store
        self.indexer = Indexer(chain, deployment, store, confirmations=confirmations, window=log_window,
                               max_staleness=read_staleness)
        w3 = chain.w3
        self.contract = w3.eth.contract(address=cast(ChecksumAddress, deployment.ledger),
                                        abi=load_artifact("ProvenanceLedger").abi)
        self.forwarder = w3.eth.contract(address=cast(ChecksumAddress, deployment.forwarder),
                                         abi=load_artifact("ProvenanceForwarder").abi)
        self.domain = Eip712Domain("ProvenanceForwarder", "1", chain.chain_id, deployment.forwarder)

    # -- opening -----------------------------------------------------------------------------------------------

    @classmethod
    def embedded(cls) -> Ledger:
        """A fresh in-memory chain with the contracts deployed and an in-memory index."""
        chain = Chain.embedded_chain()
        return cls(chain, deploy(chain), IndexStore(":memory:"))

    @classmethod
    def connect(cls, rpc_url: str, home: Path, *, operator_key: str | None = None, confirmations: int = 0,
                log_window: int = 2_000, read_staleness: float = 0.0, deploy_if_missing: bool = True) -> Ledger:
        """A JSON-RPC chain. The deployment manifest and index live in `home`; deploys once if none is there."""
        chain = Chain.connect(rpc_url, operator_key)
        manifest = home / "deployments" / f"{chain.chain_id}.json"
        deployment = load_manifest(manifest)
        if deployment is not None and not chain.w3.eth.get_code(cast(ChecksumAddress, deployment.ledger)):
            deployment = None  # the chain was reset under us: the manifest is stale
        if deployment is None:
            if not deploy_if_missing:
                raise NotFoundError(f"no deployment for chain {chain.chain_id} in {manifest}")
            deployment = deploy(chain)
            save_manifest(deployment, manifest)
        index = home / "index" / f"{chain.chain_id}-{deployment.ledger.lower()}-{deployment.block_number}.sqlite"
        return cls(chain, deployment, IndexStore(index), confirmations=confirmations, log_window=log_window,
                   read_staleness=read_staleness)

    def close(self) -> None:
        self.store.close()

    # -- index -------------------------------------------------------------------------------------------------

    def sync(self) -> SyncStatus:
        return self.indexer.sync()

    def status(self) -> SyncStatus:
        return self.indexer.status()

    # -- admin writes (operator account) -----------------------------------------------------------------------

    def register_participant(self, account: str, profile: ParticipantProfile, roles: Sequence[Role] = ()) -> TxResult:
        address = v.address(account)
        country = v.country(profile.country)
        if not profile.legal_name.strip():
            raise ValidationError("legal_name must not be empty", field="legal_name")
        sites = [(int(v.gln(s.gln)), text_to_bytes(v.subdivision(s.subdivision), 6)) for s in profile.sites]
        for site in profile.sites:
            if not site.subdivision.upper().startswith(country + "-"):
                raise ValidationError(f"site {site.gln} subdivision {site.subdivision} is not in {country}",
                                      field="subdivision")
        organisation = from_hex(v.hash32(profile.organisation_id, "organisation_id")) if profile.organisation_id \
            else b"\0" * 32
        profile_hash = from_hex(v.hash32(profile.profile_hash, "profile_hash")) if profile.profile_hash \
            else b"\0" * 32
        call = self.contract.functions.registerParticipant(
            address, (profile.legal_name, country.encode(), organisation, profile_hash, sites),
            [ROLE_HASHES[r] for r in roles],
        )
        result = self._send_admin(call)
        self._fund_for_dry_run(address)
        return result

    def grant_role(self, account: str, role: Role) -> TxResult:
        return self._send_admin(self.contract.functions.grantRole(ROLE_HASHES[role], v.address(account)))

    def revoke_role(self, account: str, role: Role) -> TxResult:
        return self._send_admin(self.contract.functions.revokeRole(ROLE_HASHES[role], v.address(account)))

    def set_suspended(self, account: str, suspended: bool, reason: str) -> TxResult:
        return self._send_admin(self.contract.functions.setSuspended(v.address(account), suspended, reason))

    def _send_admin(self, call: Any) -> TxResult:
        receipt = self.chain.send({"to": self.deployment.ledger, "data": call._encode_transaction_data()})
        self.indexer.invalidate()
        return _result(receipt)

    # -- participant writes (signed by the participant, relayed) -----------------------------------------------

    def batch_id_of(self, producer: str, gtin: str, lot: str) -> BatchId:
        """The id the contract gives (or would give) `producer`'s batch with this GTIN and lot."""
        return batch_id_of(v.address(producer), v.gtin(gtin), v.lot(lot))

    def record_batch(self, signer: LocalAccount, batch: NewBatch) -> tuple[BatchId, TxResult]:
        record = batch_record(validate_batch(batch))
        result = self.relay(self.sign(signer, self.contract.functions.recordBatch(record)))
        return self.batch_id_of(signer.address, batch.gtin, batch.lot), result

    def record_batches(self, signer: LocalAccount, batches: Sequence[NewBatch]) -> tuple[list[BatchId], TxResult]:
        """Many batches in one transaction: all recorded, or none (the error names the offending batch)."""
        if not batches:
            raise ValidationError("no batches to record", field="batches")
        records = []
        for index, batch in enumerate(batches):
            try:
                records.append(batch_record(validate_batch(batch)))
            except ValidationError as exc:
                raise ValidationError(f"batch #{index} (lot {batch.lot}): {exc}", field=exc.field,
                                      index=index) from None
        ids = [self.batch_id_of(signer.address, b.gtin, b.lot) for b in batches]
        first: dict[str, int] = {}
        for index, batch_id in enumerate(ids):
            if batch_id in first:
                raise ValidationError(f"batch #{index} repeats batch #{first[batch_id]} (GTIN {batches[index].gtin} "
                                      f"lot {batches[index].lot})", field="lot", index=index)
            first[batch_id] = index
        try:
            result = self.relay(self.sign(signer, self.contract.functions.recordBatches(records)))
        except ContractRevertError as exc:
            offending = _offending_index(exc, ids, batches)
            if offending is not None:
                exc.index = offending
                exc.args = (f"batch #{offending} (lot {batches[offending].lot}): {exc}",)
            raise
        return ids, result

    def transfer_custody(self, signer: LocalAccount, batch_id: str, to: str) -> TxResult:
        call = self.contract.functions.transferCustody(from_hex(v.batch_id(batch_id)), v.address(to, "to"))
        return self.relay(self.sign(signer, call))

    def flag_batch(self, signer: LocalAccount, batch_id: str, kind: FlagKind, reason: str) -> TxResult:
        if not reason.strip():
            raise ValidationError("a flag needs a reason", field="reason")
        call = self.contract.functions.flagBatch(from_hex(v.batch_id(batch_id)), FLAG_KINDS.index(kind), reason)
        return self.relay(self.sign(signer, call))

    def publish_disclosure(self, signer: LocalAccount, period: str, framework: str, metrics: Sequence[MetricValue],
                           document_hash: str, uri: str) -> tuple[DisclosureId, TxResult]:
        from ledger.esg.catalogue import validate_metrics

        period_raw = text_to_bytes(v.period(period), 16)
        framework_raw = text_to_bytes(v.framework(framework), 8)
        checked = validate_metrics(metrics)
        call = self.contract.functions.publishDisclosure(
            period_raw, framework_raw, encode_metrics(checked), from_hex(v.hash32(document_hash, "document_hash")), uri
        )
        result = self.relay(self.sign(signer, call))
        return disclosure_id_of(signer.address, framework, period), result

    def amend_disclosure(self, signer: LocalAccount, disclosure_id: str, metrics: Sequence[MetricValue],
                         document_hash: str, uri: str, reason: str) -> TxResult:
        from ledger.esg.catalogue import validate_metrics

        if not reason.strip():
            raise ValidationError("an amendment needs a reason", field="reason")
        checked = validate_metrics(metrics)
        call = self.contract.functions.amendDisclosure(
            from_hex(v.hash32(disclosure_id, "disclosure_id")), encode_metrics(checked),
            from_hex(v.hash32(document_hash, "document_hash")), uri, reason,
        )
        return self.relay(self.sign(signer, call))

    def attest(self, signer: LocalAccount, disclosure_id: str, version: int, level: AssuranceLevel, opinion: Opinion,
               report_hash: str) -> TxResult:
        call = self.contract.functions.attestDisclosure(
            from_hex(v.hash32(disclosure_id, "disclosure_id")), version, LEVELS.index(level), OPINIONS.index(opinion),
            from_hex(v.hash32(report_hash, "report_hash")),
        )
        return self.relay(self.sign(signer, call))

    def revoke_attestation(self, signer: LocalAccount, disclosure_id: str, version: int, reason: str) -> TxResult:
        if not reason.strip():
            raise ValidationError("a revocation needs a reason", field="reason")
        call = self.contract.functions.revokeAttestation(from_hex(v.hash32(disclosure_id, "disclosure_id")), version,
                                                         reason)
        return self.relay(self.sign(signer, call))

    # -- signed requests ---------------------------------------------------------------------------------------

    def nonce(self, account: str) -> int:
        return int(self.chain._guard(lambda: self.forwarder.functions.nonces(v.address(account)).call()))

    def sign(self, signer: LocalAccount, call: Any, *, ttl: int = 3_600) -> SignedRequest:
        data = call._encode_transaction_data()
        request = build_request(checksum(signer.address), self.deployment.ledger, data,
                                nonce=self.nonce(signer.address), gas=gas_for(data), ttl=ttl, now=self._chain_time())
        return sign_request(signer, self.domain, request)

    def _chain_time(self) -> float:
        block = self.chain._guard(lambda: self.chain.w3.eth.get_block("latest"))
        return max(float(block["timestamp"]), time.time())

    def check_signed(self, signed: SignedRequest) -> None:
        """Refuse what the forwarder would refuse, with the precise reason, before any gas is spent."""
        request = signed.request
        if checksum(request.to) != self.deployment.ledger:
            raise SignatureInvalidError(f"request targets {request.to}, not the ledger {self.deployment.ledger}")
        if request.value != 0:
            raise SignatureInvalidError("requests must not carry value")
        try:
            signer = recover_signer(self.domain, signed)
        except Exception as exc:  # malformed signature bytes
            raise SignatureInvalidError(f"malformed signature: {exc}") from None
        if signer != checksum(request.from_address):
            raise SignatureInvalidError(f"signature is by {signer}, not by {request.from_address}")
        current = self.nonce(request.from_address)
        if request.nonce < current:
            raise SignatureReplayError(f"nonce {request.nonce} was already used (next is {current}): a replay")
        if request.nonce > current:
            raise SignatureInvalidError(f"nonce {request.nonce} is ahead of the signer's next nonce {current}")
        if request.deadline < self._chain_time():
            raise SignatureExpiredError(
                f"request expired at {datetime.fromtimestamp(request.deadline, UTC).isoformat()}")

    def relay(self, signed: SignedRequest) -> TxResult:
        """Check a signed request, dry-run the inner call (to surface the contract's own error), then submit it."""
        self.check_signed(signed)
        request = signed.request
        # The ledger reads the sender as ERC-2771 does, so the inner call from the signer itself is an exact dry run.
        self._fund_for_dry_run(request.from_address)
        inner = {"from": request.from_address, "to": self.deployment.ledger, "gas": request.gas, "data": request.data}
        self.chain.call(inner)  # type: ignore[arg-type]  # raises the decoded contract error
        payload = (request.from_address, request.to, request.value, request.gas, request.deadline,
                   from_hex(request.data), from_hex(signed.signature))
        data = self.forwarder.functions.execute(payload)._encode_transaction_data()
        receipt = self.chain.send({"to": self.deployment.forwarder, "data": data}, gas=request.gas * 64 // 63 + 80_000
                                  + 16 * len(data) // 2)
        self.indexer.invalidate()
        return _result(receipt)

    def _fund_for_dry_run(self, account: str) -> None:
        """eth-tester refuses even an eth_call from an account that cannot pay its gas; real nodes do not.

        On the embedded chain only, give a signer with no balance a little ether once so dry runs work there too.
        """
        if self.chain.embedded and self.chain.w3.eth.get_balance(account) == 0:  # type: ignore[arg-type]
            self.chain.send({"to": account, "value": Wei(10**18)}, gas=21_000)

    def send_direct(self, signer: LocalAccount, call: Any) -> TxResult:
        """Send `call` to the ledger as a plain transaction from `signer`, who pays its own gas (no forwarder).

        On the embedded chain a signer with no balance is funded by the operator first.
        """
        self._fund_for_dry_run(signer.address)
        receipt = self.chain.send({"to": self.deployment.ledger, "data": call._encode_transaction_data()},
                                  account=signer)
        self.indexer.invalidate()
        return _result(receipt)

    # -- reads (from the index) --------------------------------------------------------------------------------

    def batch(self, batch_id: str) -> Batch:
        self.sync()
        found = self.store.batch(v.batch_id(batch_id))
        if found is None:
            raise NotFoundError(f"no batch {batch_id}")
        return found

    def find_batch(self, gtin: str, lot: str, producer: str | None = None) -> Batch:
        """The batch a label names (GTIN + lot); `producer` disambiguates if two producers used the same lot."""
        self.sync()
        ids = self.store.find_batch_ids(gtin=v.gtin(gtin), lot=v.lot(lot),
                                        producer=v.address(producer) if producer else None, limit=2)
        if not ids:
            raise NotFoundError(f"no batch with GTIN {gtin} and lot {lot}")
        if len(ids) > 1:
            raise ValidationError(f"GTIN {gtin} lot {lot} is recorded by several producers: name the producer",
                                  field="producer")
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

    def disclosures(self, *, participant: str | None = None, period: str | None = None,
                    framework: str | None = None) -> list[Disclosure]:
        self.sync()
        ids = self.store.disclosure_ids(participant=v.address(participant) if participant else None,
                                        period=period, framework=framework, limit=100_000)
        return [d for i, *_ in ids if (d := self.store.disclosure(i)) is not None]

    def trace(self, batch_id: str, max_depth: int = 64, max_nodes: int | None = None) -> Any:
        """Upstream lineage of the batch (`ledger.trace.build_trace`): at most `max_depth` tiers and `max_nodes`
        batches (default `ledger.trace.MAX_NODES`); a cut trace says so and where to continue."""
        from ledger.trace import MAX_NODES, build_trace

        self.sync()
        return build_trace(self.store, v.batch_id(batch_id), max_depth, MAX_NODES if max_nodes is None else max_nodes)

    # -- paged reads for services (keyset cursors are (block_number, log_index)) ------------------------------

    def search_batches(self, *, gtin: str | None = None, lot: str | None = None, producer: str | None = None,
                       country: str | None = None, after: tuple[int, int] | None = None,
                       limit: int = 50) -> list[tuple[Batch, tuple[int, int]]]:
        """Batches matching the filters, newest first, each with its position (the cursor of the next page)."""
        self.sync()
        ids = self.store.find_batch_ids(gtin=v.gtin(gtin) if gtin else None, lot=v.lot(lot) if lot else None,
                                        producer=v.address(producer, "producer") if producer else None,
                                        country=v.country(country) if country else None, after=after, limit=limit)
        found = self.store.batches([i for i, *_ in ids])
        return [(found[i], (block, log)) for i, block, log in ids if i in found]

    def batch_count(self, producer: str) -> int:
        self.sync()
        return self.store.batch_count(v.address(producer))

    def disclosure_page(self, *, participant: str | None = None, period: str | None = None,
                        framework: str | None = None, after: tuple[int, int] | None = None,
                        limit: int = 50) -> list[tuple[Disclosure, tuple[int, int]]]:
        """Disclosures matching the filters, oldest first, each with its position (the cursor of the next page)."""
        self.sync()
        ids = self.store.disclosure_ids(participant=v.address(participant, "participant") if participant else None,
                                        period=v.period(period) if period else None,
                                        framework=v.framework(framework) if framework else None, after=after,
                                        limit=limit)
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


def validate_batch(batch: NewBatch) -> NewBatch:
    v.gtin(batch.gtin)
    v.lot(batch.lot)
    v.hs_code(batch.hs_code)
    v.quantity(batch.quantity)
    v.unit(batch.unit)
    v.gln(batch.facility)
    v.timestamp(batch.produced_at)
    if len(batch.inputs) > 64 or len(batch.documents) > 64:
        raise ValidationError("at most 64 inputs and 64 documents per batch", field="inputs")
    for use in batch.inputs:
        v.batch_id(use.batch_id)
        v.quantity(use.quantity, "inputs.quantity")
    for doc in batch.documents:
        v.hash32(doc.hash, "documents.hash")
    if batch.process_emissions_kg is not None:
        v.quantity(batch.process_emissions_kg, "process_emissions_kg", allow_zero=True)
    return NewBatch(
        gtin=v.gtin(batch.gtin), lot=batch.lot, hs_code=v.hs_code(batch.hs_code), quantity=batch.quantity,
        unit=batch.unit, facility=batch.facility, produced_at=batch.produced_at, inputs=batch.inputs,
        documents=batch.documents, process_emissions_kg=batch.process_emissions_kg,
    )


def encode_metrics(metrics: Sequence[MetricValue]) -> list[tuple[bytes, int, int, bytes]]:
    """Metric values as `IDisclosureRegistry.Metric` tuples: the value scaled to an integer with its decimals."""
    from decimal import Decimal

    encoded = []
    for metric in metrics:
        value = Decimal(str(metric.value))
        if not value.is_finite():
            raise ValidationError(f"metric {metric.code} value must be finite", field="metrics.value")
        exponent = value.as_tuple().exponent
        decimals = max(0, -int(exponent)) if isinstance(exponent, int) else 0
        if decimals > 18:
            raise ValidationError(f"metric {metric.code} has more than 18 decimals", field="metrics.value")
        encoded.append((text_to_bytes(metric.code, 32), int(value.scaleb(decimals)), decimals,
                        text_to_bytes(metric.unit, 16)))
    return encoded


def _result(receipt: Any) -> TxResult:
    return TxResult("0x" + bytes(receipt["transactionHash"]).hex(), int(receipt["blockNumber"]),  # type: ignore[arg-type]
                    int(receipt["gasUsed"]))
