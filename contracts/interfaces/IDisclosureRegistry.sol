// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title ESG disclosures, amendments and auditor attestations
/// @notice A participant publishes a disclosure for a reporting period and framework. Disclosures are never
/// overwritten: an amendment is a new version superseding the previous one, with a reason. An AUDITOR attests one
/// version (never of its own organisation) and may revoke its attestation.
interface IDisclosureRegistry {
    /// @notice Level of assurance of an attestation (ISAE 3000 / 3410).
    enum AssuranceLevel {
        Limited,
        Reasonable
    }

    /// @notice The auditor's opinion.
    enum Opinion {
        Unmodified,
        Qualified,
        Adverse,
        Disclaimer
    }

    /// @notice One reported figure: metric code, fixed-point value (value / 10**decimals) and unit.
    struct Metric {
        bytes32 code;
        int256 value;
        uint8 decimals;
        bytes16 unit;
    }

    /// @notice Emitted for every version of a disclosure; `supersedes` is 0 for the first version.
    event DisclosurePublished(
        bytes32 indexed disclosureId,
        address indexed participant,
        uint32 indexed version,
        bytes16 period,
        bytes8 framework,
        Metric[] metrics,
        bytes32 documentHash,
        string uri,
        uint32 supersedes,
        string reason,
        bytes32 contentHash,
        bool isPublic
    );
    /// @notice Emitted when an auditor attests a disclosure version.
    event DisclosureAttested(
        bytes32 indexed disclosureId,
        uint32 indexed version,
        address indexed auditor,
        AssuranceLevel level,
        Opinion opinion,
        bytes32 reportHash
    );
    /// @notice Emitted when an auditor revokes its attestation.
    event AttestationRevoked(bytes32 indexed disclosureId, uint32 indexed version, address indexed auditor, string reason);

    /// @notice A disclosure for this participant, framework and period exists: amend it instead.
    error DisclosureAlreadyPublished(bytes32 disclosureId);
    /// @notice No such disclosure.
    error DisclosureNotFound(bytes32 disclosureId);
    /// @notice No such version of the disclosure.
    error DisclosureVersionNotFound(bytes32 disclosureId, uint32 version);
    /// @notice Only the participant who published the disclosure may amend it.
    error DisclosureNotOwner(bytes32 disclosureId, address account);
    /// @notice An auditor may not attest its own organisation.
    error DisclosureOwnOrganisation(bytes32 disclosureId, address auditor);
    /// @notice The auditor already attested this version.
    error DisclosureAlreadyAttested(bytes32 disclosureId, uint32 version, address auditor);
    /// @notice The auditor has no active attestation of this version.
    error DisclosureAttestationNotFound(bytes32 disclosureId, uint32 version, address auditor);
    /// @notice The metrics list is empty or over the cap.
    error DisclosureInvalidMetrics(uint256 count, uint256 max);
    /// @notice A text (URI, amendment or revocation reason) is longer than allowed, in bytes.
    error DisclosureTextTooLong(string field, uint256 length, uint256 max);

    /// @notice Publish the first version of a disclosure. Any active participant. `isPublic` lets anyone read it
    /// through the consortium's API (every member may in any case).
    /// @return disclosureId keccak256(participant, framework, period)
    function publishDisclosure(
        bytes16 period,
        bytes8 framework,
        Metric[] calldata metrics,
        bytes32 documentHash,
        string calldata uri,
        bool isPublic
    ) external returns (bytes32 disclosureId);

    /// @notice Publish a new version superseding the latest one, with a reason. Only the publisher. `isPublic` says
    /// whether this version may be read by anyone.
    /// @return version the new version number
    function amendDisclosure(
        bytes32 disclosureId,
        Metric[] calldata metrics,
        bytes32 documentHash,
        string calldata uri,
        string calldata reason,
        bool isPublic
    ) external returns (uint32 version);

    /// @notice Attest a disclosure version. Only an active AUDITOR outside the publisher's organisation.
    function attestDisclosure(
        bytes32 disclosureId,
        uint32 version,
        AssuranceLevel level,
        Opinion opinion,
        bytes32 reportHash
    ) external;

    /// @notice Revoke the caller's attestation of a version, with a reason.
    function revokeAttestation(bytes32 disclosureId, uint32 version, string calldata reason) external;

    /// @notice Publisher and number of versions of a disclosure.
    function disclosure(bytes32 disclosureId) external view returns (address publisher, uint32 versions);

    /// @notice keccak256 of the ABI-encoded (metrics, documentHash, uri) of a version: the on-chain proof of its figures.
    function disclosureContentHash(bytes32 disclosureId, uint32 version) external view returns (bytes32);

    /// @notice Whether `auditor` attests this version now (false if never or revoked).
    function isAttested(bytes32 disclosureId, uint32 version, address auditor) external view returns (bool);

    /// @notice The id of the disclosure `participant` publishes for `framework` and `period`.
    function disclosureIdOf(address publisher, bytes8 framework, bytes16 period) external pure returns (bytes32);
}
