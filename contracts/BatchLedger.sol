// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IBatchLedger} from "./interfaces/IBatchLedger.sol";
import {ParticipantRegistry} from "./ParticipantRegistry.sol";

/// @notice Batches, lineage with mass balance, custody, flags and Merkle-anchored bulk records.
abstract contract BatchLedger is IBatchLedger, ParticipantRegistry {
    uint256 public constant MAX_INPUTS = 64;
    uint256 public constant MAX_DOCUMENTS = 64;
    /// Largest quantity of a batch, in thousandths of its unit: 10**12 units (a billion tonnes in kg).
    uint64 public constant MAX_QUANTITY = 1e15;
    /// Largest process emissions of one production step, grams CO2e (a gigatonne).
    uint64 public constant MAX_EMISSIONS = 1e15;
    /// How far a production time may lie after the block's time (clocks differ; a batch is not made tomorrow).
    uint256 public constant MAX_FUTURE_SECONDS = 3600;
    uint256 public constant MAX_TEXT_BYTES = 1024;
    uint256 public constant MAX_URI_BYTES = 2048;
    uint64 private constant _GTIN_LIMIT = 1e14;
    uint32 private constant _HS_CODE_LIMIT = 1e6;
    uint256 private constant _LOT_TAIL = type(uint96).max; // the 12 bytes after a lot's 20

    /// One packed slot per batch: what mass balance, custody and flagging need. Everything else is in the event.
    struct BatchState {
        address holder;
        uint64 remaining;
        uint32 producer;
    }

    struct AnchorState {
        uint32 producer;
        uint32 count;
    }

    mapping(bytes32 batchId => BatchState) private _batches;
    mapping(bytes32 root => AnchorState) private _anchors;
    /// Kept apart from `_anchors` so that existence checks never read a block-time-derived slot.
    mapping(bytes32 root => uint64) private _anchoredAt;

    /// @inheritdoc IBatchLedger
    function recordBatch(BatchRecord calldata record) external returns (bytes32 batchId) {
        address producer = _msgSender();
        uint32 producerIndex = _requireActiveFactory(producer);
        return _record(producer, producerIndex, record);
    }

    /// @inheritdoc IBatchLedger
    function recordBatches(BatchRecord[] calldata records) external {
        address producer = _msgSender();
        uint32 producerIndex = _requireActiveFactory(producer);
        for (uint256 i = 0; i < records.length; ++i) {
            _record(producer, producerIndex, records[i]);
        }
    }

    /// @inheritdoc IBatchLedger
    function transferCustody(bytes32 batchId, address to) external {
        address from = _msgSender();
        _requireActive(from);
        BatchState storage state = _batches[batchId];
        address holder = state.holder;
        if (holder == address(0)) revert BatchNotFound(batchId);
        if (holder != from) revert BatchNotHolder(batchId, from, holder);
        if (to == from) revert BatchSelfTransfer(batchId);
        _requireActive(to);
        state.holder = to;
        emit CustodyTransferred(batchId, from, to, state.remaining);
    }

    /// @inheritdoc IBatchLedger
    function flagBatch(bytes32 batchId, FlagKind kind, string calldata reason) external {
        address account = _msgSender();
        uint32 index = _requireActive(account);
        BatchState storage state = _batches[batchId];
        if (state.holder == address(0)) revert BatchNotFound(batchId);
        if (state.producer != index) revert BatchNotProducer(batchId, account);
        if (bytes(reason).length == 0) revert BatchInvalidRecord(batchId, "reason");
        if (bytes(reason).length > MAX_TEXT_BYTES) {
            revert BatchTextTooLong("reason", bytes(reason).length, MAX_TEXT_BYTES);
        }
        emit BatchFlagged(batchId, account, kind, reason);
    }

    /// @inheritdoc IBatchLedger
    function anchorBatches(bytes32 root, uint32 count, string calldata uri) external {
        address producer = _msgSender();
        uint32 producerIndex = _requireActiveFactory(producer);
        if (root == bytes32(0) || count == 0) revert BatchInvalidRecord(root, "root");
        if (bytes(uri).length > MAX_URI_BYTES) revert BatchTextTooLong("uri", bytes(uri).length, MAX_URI_BYTES);
        if (_anchors[root].producer != 0) revert BatchAnchorExists(root);
        _anchors[root] = AnchorState({producer: producerIndex, count: count});
        _anchoredAt[root] = uint64(block.timestamp);
        emit BatchesAnchored(root, producer, count, uri);
    }

    /// @inheritdoc IBatchLedger
    function claimAnchoredBatch(bytes32 root, BatchRecord calldata record, bytes32[] calldata proof)
        external
        returns (bytes32 batchId)
    {
        address producer = _msgSender();
        uint32 producerIndex = _requireActiveFactory(producer);
        uint32 anchoredBy = _anchorProducer(root);
        batchId = batchIdOf(producer, record.gtin, record.lot);
        if (anchoredBy != producerIndex || !MerkleProof.verifyCalldata(proof, root, _leaf(producer, record))) {
            revert BatchAnchorProofInvalid(root, batchId);
        }
        _record(producer, producerIndex, record);
        emit AnchoredBatchClaimed(root, batchId);
    }

    /// @inheritdoc IBatchLedger
    function verifyAnchoredBatch(bytes32 root, address producer, BatchRecord calldata record, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        if (_participantAt(_anchorProducer(root)) != producer) return false;
        if (!MerkleProof.verifyCalldata(proof, root, _leaf(producer, record))) return false;
        if (record.inputs.length != 0) return false;
        if (_batches[batchIdOf(producer, record.gtin, record.lot)].holder != address(0)) return false;
        try this.checkRecord(producer, record, _anchoredAt[root]) {
            return true;
        } catch {
            return false;
        }
    }

    /// @inheritdoc IBatchLedger
    function checkRecord(address producer, BatchRecord calldata record, uint256 time) external view {
        _checkRecord(batchIdOf(producer, record.gtin, record.lot), producer, record, time);
    }

    /// @inheritdoc IBatchLedger
    function batch(bytes32 batchId) external view returns (address producer, address holder, uint64 remaining) {
        BatchState memory state = _batches[batchId];
        if (state.holder == address(0)) revert BatchNotFound(batchId);
        return (_participantAt(state.producer), state.holder, state.remaining);
    }

    /// @inheritdoc IBatchLedger
    function batchIdOf(address producer, uint64 gtin, bytes32 lot) public pure returns (bytes32) {
        return keccak256(abi.encode(producer, gtin, lot));
    }

    /// @inheritdoc IBatchLedger
    function anchor(bytes32 root) external view returns (address producer, uint32 count, uint64 anchoredAt) {
        producer = _participantAt(_anchorProducer(root));
        return (producer, _anchors[root].count, _anchoredAt[root]);
    }

    function _record(address producer, uint32 producerIndex, BatchRecord calldata record)
        private
        returns (bytes32 batchId)
    {
        batchId = batchIdOf(producer, record.gtin, record.lot);
        BatchState storage state = _batches[batchId];
        if (state.holder != address(0)) revert BatchAlreadyRecorded(batchId);
        _checkRecord(batchId, producer, record, block.timestamp);

        uint256 inputCount = record.inputs.length;
        for (uint256 i = 0; i < inputCount; ++i) {
            InputUse calldata use = record.inputs[i];
            BatchState storage input = _batches[use.batchId];
            address holder = input.holder;
            if (holder == address(0)) revert BatchInputNotFound(batchId, use.batchId);
            if (holder != producer) revert BatchInputNotHeld(batchId, use.batchId, holder);
            uint64 available = input.remaining;
            if (use.quantity == 0 || use.quantity > available) {
                revert BatchInsufficientQuantity(batchId, use.batchId, use.quantity, available);
            }
            unchecked {
                input.remaining = available - use.quantity;
            }
        }

        state.holder = producer;
        state.remaining = record.quantity;
        state.producer = producerIndex;
        emit BatchRecorded(batchId, producer, record.gtin, record);
    }

    /// @dev Every rule on a record's own fields, as of unix time `time`: the one home of these checks, for records
    /// sent (`_record`) and anchored (`verifyAnchoredBatch`) alike.
    function _checkRecord(bytes32 batchId, address producer, BatchRecord calldata record, uint256 time) private view {
        if (record.gtin == 0 || record.gtin >= _GTIN_LIMIT) revert BatchInvalidRecord(batchId, "gtin");
        if (record.lot == bytes32(0) || uint256(record.lot) & _LOT_TAIL != 0) {
            revert BatchInvalidRecord(batchId, "lot");
        }
        if (record.hsCode >= _HS_CODE_LIMIT) revert BatchInvalidRecord(batchId, "hsCode");
        if (record.quantity == 0) revert BatchInvalidRecord(batchId, "quantity");
        if (record.quantity > MAX_QUANTITY) {
            revert BatchValueOutOfRange(batchId, "quantity", record.quantity, MAX_QUANTITY);
        }
        if (record.unit == bytes3(0)) revert BatchInvalidRecord(batchId, "unit");
        if (record.producedAt > time + MAX_FUTURE_SECONDS) {
            revert BatchProducedInFuture(batchId, record.producedAt, time + MAX_FUTURE_SECONDS);
        }
        if (record.processEmissions > MAX_EMISSIONS) {
            revert BatchValueOutOfRange(batchId, "processEmissions", record.processEmissions, MAX_EMISSIONS);
        }
        if (record.inputs.length > MAX_INPUTS) revert BatchTooManyItems(batchId, record.inputs.length, MAX_INPUTS);
        if (record.documents.length > MAX_DOCUMENTS) {
            revert BatchTooManyItems(batchId, record.documents.length, MAX_DOCUMENTS);
        }
        _requireSiteOf(producer, record.facility);
    }

    /// @dev The participant index of the root's producer; reverts for a root never anchored.
    function _anchorProducer(bytes32 root) private view returns (uint32 producer) {
        producer = _anchors[root].producer;
        if (producer == 0) revert BatchAnchorNotFound(root);
    }

    /// @dev A leaf is double-hashed (as OpenZeppelin's StandardMerkleTree) so that it can never pass for a node.
    function _leaf(address producer, BatchRecord calldata record) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(producer, record))));
    }
}
