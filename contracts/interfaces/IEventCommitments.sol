// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Commitments to supply-chain events kept off chain (GS1 EPCIS 2.0)
/// @notice A participant that captures EPCIS events commits the Merkle root of their CBV 2.0 event hashes in one
/// transaction; the service keeps the events themselves, and anyone holding an event and its proof can show it was
/// committed, when, and by whom, without trusting the service.
interface IEventCommitments {
    /// @notice Emitted when a participant commits a root over `count` event hashes.
    event EventsCommitted(bytes32 indexed root, address indexed committer, uint32 count, string uri);

    /// @notice The root was already committed.
    error EventsRootExists(bytes32 root);
    /// @notice The root was never committed.
    error EventsRootNotFound(bytes32 root);

    /// @notice Commit `root` over `count` event hashes (leaves: keccak256(keccak256(eventHash))). Any active participant.
    function commitEvents(bytes32 root, uint32 count, string calldata uri) external;

    /// @notice Whether `eventHash` (the SHA-256 of the event's CBV 2.0 canonical form) is under the committed `root`.
    function verifyEvent(bytes32 root, bytes32 eventHash, bytes32[] calldata proof) external view returns (bool);

    /// @notice Committer and event count of a committed root.
    function eventsRoot(bytes32 root) external view returns (address committer, uint32 count);
}
