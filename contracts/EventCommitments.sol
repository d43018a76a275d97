// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IEventCommitments} from "./interfaces/IEventCommitments.sol";
import {ParticipantRegistry} from "./ParticipantRegistry.sol";

/// @notice Merkle roots over captured EPCIS events' hashes.
abstract contract EventCommitments is IEventCommitments, ParticipantRegistry {
    struct EventsRoot {
        uint32 committer;
        uint32 count;
    }

    mapping(bytes32 root => EventsRoot) private _roots;

    /// @inheritdoc IEventCommitments
    function commitEvents(bytes32 root, uint32 count, string calldata uri) external {
        address committer = _msgSender();
        uint32 index = _requireActive(committer);
        if (root == bytes32(0) || count == 0) revert RegistryInvalidProfile("root");
        if (bytes(uri).length > MAX_REASON_BYTES) revert RegistryInvalidProfile("uri");
        if (_roots[root].committer != 0) revert EventsRootExists(root);
        _roots[root] = EventsRoot({committer: index, count: count});
        emit EventsCommitted(root, committer, count, uri);
    }

    /// @inheritdoc IEventCommitments
    function verifyEvent(bytes32 root, bytes32 eventHash, bytes32[] calldata proof) external view returns (bool) {
        if (_roots[root].committer == 0) revert EventsRootNotFound(root);
        return MerkleProof.verifyCalldata(proof, root, keccak256(bytes.concat(keccak256(abi.encode(eventHash)))));
    }

    /// @inheritdoc IEventCommitments
    function eventsRoot(bytes32 root) external view returns (address committer, uint32 count) {
        EventsRoot memory state = _roots[root];
        if (state.committer == 0) revert EventsRootNotFound(root);
        return (_participantAt(state.committer), state.count);
    }
}
