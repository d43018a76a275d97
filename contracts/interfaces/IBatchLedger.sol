// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Production batches, lineage, mass balance and custody
/// @notice Factories record production batches with the input batches they consumed. The batch id is derived from
/// the producer, GTIN and lot, so nobody can squat another factory's id. Mass balance is enforced: what is consumed
/// from an input never exceeds what it has left. Custody passes from holder to holder; only the holder consumes.
interface IBatchLedger {
    /// @notice Kind of a supporting document (new kinds are appended: existing values never change).
    enum DocumentKind {
        Certificate,
        Invoice,
        BillOfLading,
        PackingList,
        PlotGeolocation,
        AuditReport,
        Other,
        DeforestationEvidence,
        LegalityPermit,
        DueDiligenceStatement,
        CarbonFootprintStudy,
        DeclarationOfConformity,
        PurchaseOrder,
        PaymentProof,
        DespatchAdvice
    }

    /// @notice Kind of a flag raised on a batch.
    enum FlagKind {
        Recall,
        QualityHold,
        Release
    }

    /// @notice A supporting document: hash of the file and its kind.
    struct Document {
        bytes32 hash;
        DocumentKind kind;
    }

    /// @notice An input batch consumed by a production step, with the quantity taken (input's unit, 1/1000).
    struct InputUse {
        bytes32 batchId;
        uint64 quantity;
    }

    /// @notice A production batch as recorded by its producer.
    /// @param gtin GS1 GTIN-14 as an integer (below 10**14)
    /// @param lot GS1 AI(10) lot, ASCII, left-aligned, at most 20 bytes (the last 12 bytes are zero)
    /// @param hsCode Harmonized System 6-digit code (below 10**6)
    /// @param quantity produced quantity in thousandths of `unit`, at most MAX_QUANTITY
    /// @param unit UN/ECE Recommendation 20 unit code, ASCII (e.g. "KGM")
    /// @param facility GLN of the producer's site where it was made
    /// @param producedAt production time, unix seconds, at most MAX_FUTURE_SECONDS after the block's time
    /// @param emissionsReported whether `processEmissions` is reported
    /// @param processEmissions emissions of this production step, grams CO2e, at most MAX_EMISSIONS
    struct BatchRecord {
        uint64 gtin;
        bytes32 lot;
        uint32 hsCode;
        uint64 quantity;
        bytes3 unit;
        uint64 facility;
        uint64 producedAt;
        bool emissionsReported;
        uint64 processEmissions;
        InputUse[] inputs;
        Document[] documents;
    }

    /// @notice Emitted when a batch is recorded.
    event BatchRecorded(bytes32 indexed batchId, address indexed producer, uint64 indexed gtin, BatchRecord record);
    /// @notice Emitted when the holder of a batch hands it to another participant.
    event CustodyTransferred(bytes32 indexed batchId, address indexed from, address indexed to, uint64 remaining);
    /// @notice Emitted when the producer flags a batch (recall, quality hold) or releases a flag.
    event BatchFlagged(bytes32 indexed batchId, address indexed producer, FlagKind kind, string reason);
    /// @notice Emitted when a producer anchors a Merkle root over off-chain batch records.
    event BatchesAnchored(bytes32 indexed root, address indexed producer, uint32 count, string uri);
    /// @notice Emitted (after its `BatchRecorded`) when an anchored record is brought on chain by its producer.
    event AnchoredBatchClaimed(bytes32 indexed root, bytes32 indexed batchId);

    /// @notice A batch with this id is already recorded.
    error BatchAlreadyRecorded(bytes32 batchId);
    /// @notice No batch with this id.
    error BatchNotFound(bytes32 batchId);
    /// @notice Recording `batchId` names an input that does not exist.
    error BatchInputNotFound(bytes32 batchId, bytes32 inputId);
    /// @notice Recording `batchId` consumes an input the producer does not hold.
    error BatchInputNotHeld(bytes32 batchId, bytes32 inputId, address holder);
    /// @notice Recording `batchId` consumes more of `inputId` than it has left (mass balance).
    error BatchInsufficientQuantity(bytes32 batchId, bytes32 inputId, uint64 requested, uint64 available);
    /// @notice `account` does not hold the batch.
    error BatchNotHolder(bytes32 batchId, address account, address holder);
    /// @notice `account` is not the producer of the batch.
    error BatchNotProducer(bytes32 batchId, address account);
    /// @notice Too many inputs or documents in one record.
    error BatchTooManyItems(bytes32 batchId, uint256 count, uint256 max);
    /// @notice A field of the record is malformed (field names it).
    error BatchInvalidRecord(bytes32 batchId, string field);
    /// @notice Custody cannot go to the current holder itself.
    error BatchSelfTransfer(bytes32 batchId);
    /// @notice The Merkle root was already anchored.
    error BatchAnchorExists(bytes32 root);
    /// @notice The Merkle root was never anchored.
    error BatchAnchorNotFound(bytes32 root);
    /// @notice The record of `batchId` is not proven by the proof against the anchored root, or the root is another
    /// producer's.
    error BatchAnchorProofInvalid(bytes32 root, bytes32 batchId);
    /// @notice The record's production time lies more than the allowed clock skew after the block's time.
    error BatchProducedInFuture(bytes32 batchId, uint64 producedAt, uint256 latestAllowed);
    /// @notice A numeric field of the record is above its bound (field names it; quantities in thousandths).
    error BatchValueOutOfRange(bytes32 batchId, string field, uint256 value, uint256 max);
    /// @notice A text (flag reason, anchor URI) is longer than allowed, in bytes.
    error BatchTextTooLong(string field, uint256 length, uint256 max);

    /// @notice Record a production batch. Only an active FACTORY; consumes the inputs.
    /// @return batchId the id of the new batch
    function recordBatch(BatchRecord calldata record) external returns (bytes32 batchId);

    /// @notice Record many batches in one transaction; one bad record refuses the whole call.
    function recordBatches(BatchRecord[] calldata records) external;

    /// @notice Hand custody of a batch to another registered, active participant. Only the holder.
    function transferCustody(bytes32 batchId, address to) external;

    /// @notice Flag a batch (recall, quality hold) or release it, with a reason (1 to MAX_TEXT_BYTES bytes). Only
    /// the producer.
    function flagBatch(bytes32 batchId, FlagKind kind, string calldata reason) external;

    /// @notice Commit a Merkle root over `count` batch records kept off chain (`uri` at most MAX_URI_BYTES). Only an
    /// active FACTORY.
    function anchorBatches(bytes32 root, uint32 count, string calldata uri) external;

    /// @notice Bring a Merkle-anchored record on chain: the proof is checked against a root the caller anchored, then
    /// the record is recorded under every rule of `recordBatch` (inputs held and consumed with mass balance, one id
    /// once). Until claimed, an anchored record with inputs proves nothing and takes part in no lineage.
    /// @return batchId the id of the recorded batch
    function claimAnchoredBatch(bytes32 root, BatchRecord calldata record, bytes32[] calldata proof)
        external
        returns (bytes32 batchId);

    /// @notice Whether `record` by `producer` is proven by `proof` against an anchored `root` AND its facts are ones
    /// the contract can check without it on chain: a raw-material record (no inputs), whose id is not recorded (a
    /// recorded batch, claimed or not, is read as recorded), within every bound of `recordBatch` at the time the root
    /// was anchored, at one of the producer's sites. Anything else must be claimed to count.
    function verifyAnchoredBatch(bytes32 root, address producer, BatchRecord calldata record, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice Reverts with the error `recordBatch` would give if `producer` recorded `record` at unix time `time`
    /// (its fields and bounds, and the producer's site; not its inputs): what anchored records are checked against.
    function checkRecord(address producer, BatchRecord calldata record, uint256 time) external view;

    /// @notice Current state of a batch.
    /// @return producer who recorded it
    /// @return holder who holds it now
    /// @return remaining quantity not yet consumed (thousandths of its unit)
    function batch(bytes32 batchId) external view returns (address producer, address holder, uint64 remaining);

    /// @notice The id of the batch `producer` records for `gtin` and `lot`.
    function batchIdOf(address producer, uint64 gtin, bytes32 lot) external pure returns (bytes32);

    /// @notice Producer, record count and time of an anchored Merkle root.
    function anchor(bytes32 root) external view returns (address producer, uint32 count, uint64 anchoredAt);
}
