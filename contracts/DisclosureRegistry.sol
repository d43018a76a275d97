// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IDisclosureRegistry} from "./interfaces/IDisclosureRegistry.sol";
import {ParticipantRegistry} from "./ParticipantRegistry.sol";

/// @notice Versioned ESG disclosures and their attestations.
abstract contract DisclosureRegistry is IDisclosureRegistry, ParticipantRegistry {
    uint256 public constant MAX_METRICS = 128;
    uint256 public constant MAX_DISCLOSURE_TEXT_BYTES = 1024;
    uint256 public constant MAX_DISCLOSURE_URI_BYTES = 2048;

    enum AttestationStatus {
        None,
        Active,
        Revoked
    }

    struct DisclosureState {
        address participant;
        uint32 versions;
    }

    mapping(bytes32 disclosureId => DisclosureState) private _disclosures;
    mapping(bytes32 disclosureId => mapping(uint32 version => bytes32)) private _contentHashes;
    mapping(bytes32 disclosureId => mapping(uint32 version => mapping(address auditor => AttestationStatus)))
        private _attestations;

    /// @inheritdoc IDisclosureRegistry
    function publishDisclosure(
        bytes16 period,
        bytes8 framework,
        Metric[] calldata metrics,
        bytes32 documentHash,
        string calldata uri,
        bool isPublic
    ) external returns (bytes32 disclosureId) {
        address account = _msgSender();
        _requireActive(account);
        disclosureId = disclosureIdOf(account, framework, period);
        if (_disclosures[disclosureId].versions != 0) revert DisclosureAlreadyPublished(disclosureId);
        _disclosures[disclosureId] = DisclosureState({participant: account, versions: 1});
        _publish(disclosureId, account, 1, period, framework, metrics, documentHash, uri, "", isPublic);
    }

    /// @inheritdoc IDisclosureRegistry
    function amendDisclosure(
        bytes32 disclosureId,
        Metric[] calldata metrics,
        bytes32 documentHash,
        string calldata uri,
        string calldata reason,
        bool isPublic
    ) external returns (uint32 version) {
        address account = _msgSender();
        _requireActive(account);
        DisclosureState storage state = _disclosures[disclosureId];
        if (state.versions == 0) revert DisclosureNotFound(disclosureId);
        if (state.participant != account) revert DisclosureNotOwner(disclosureId, account);
        version = ++state.versions;
        _publish(disclosureId, account, version, bytes16(0), bytes8(0), metrics, documentHash, uri, reason, isPublic);
    }

    /// @inheritdoc IDisclosureRegistry
    function attestDisclosure(
        bytes32 disclosureId,
        uint32 version,
        AssuranceLevel level,
        Opinion opinion,
        bytes32 reportHash
    ) external {
        address auditor = _msgSender();
        _requireActiveRole(AUDITOR_ROLE, auditor);
        DisclosureState memory state = _requireVersion(disclosureId, version);
        bytes32 organisation = _organisationOf(auditor);
        if (
            state.participant == auditor
                || (organisation != bytes32(0) && organisation == _organisationOf(state.participant))
        ) revert DisclosureOwnOrganisation(disclosureId, auditor);
        if (_attestations[disclosureId][version][auditor] == AttestationStatus.Active) {
            revert DisclosureAlreadyAttested(disclosureId, version, auditor);
        }
        _attestations[disclosureId][version][auditor] = AttestationStatus.Active;
        emit DisclosureAttested(disclosureId, version, auditor, level, opinion, reportHash);
    }

    /// @inheritdoc IDisclosureRegistry
    function revokeAttestation(bytes32 disclosureId, uint32 version, string calldata reason) external {
        address auditor = _msgSender();
        _requireActive(auditor);
        _requireLength("reason", bytes(reason).length, MAX_DISCLOSURE_TEXT_BYTES);
        if (_attestations[disclosureId][version][auditor] != AttestationStatus.Active) {
            revert DisclosureAttestationNotFound(disclosureId, version, auditor);
        }
        _attestations[disclosureId][version][auditor] = AttestationStatus.Revoked;
        emit AttestationRevoked(disclosureId, version, auditor, reason);
    }

    /// @inheritdoc IDisclosureRegistry
    function disclosure(bytes32 disclosureId) external view returns (address publisher, uint32 versions) {
        DisclosureState memory state = _disclosures[disclosureId];
        if (state.versions == 0) revert DisclosureNotFound(disclosureId);
        return (state.participant, state.versions);
    }

    /// @inheritdoc IDisclosureRegistry
    function disclosureContentHash(bytes32 disclosureId, uint32 version) external view returns (bytes32) {
        _requireVersion(disclosureId, version);
        return _contentHashes[disclosureId][version];
    }

    /// @inheritdoc IDisclosureRegistry
    function isAttested(bytes32 disclosureId, uint32 version, address auditor) external view returns (bool) {
        return _attestations[disclosureId][version][auditor] == AttestationStatus.Active;
    }

    /// @inheritdoc IDisclosureRegistry
    function disclosureIdOf(address publisher, bytes8 framework, bytes16 period) public pure returns (bytes32) {
        return keccak256(abi.encode(publisher, framework, period));
    }

    function _requireVersion(bytes32 disclosureId, uint32 version) private view returns (DisclosureState memory state) {
        state = _disclosures[disclosureId];
        if (state.versions == 0) revert DisclosureNotFound(disclosureId);
        if (version == 0 || version > state.versions) revert DisclosureVersionNotFound(disclosureId, version);
    }

    function _publish(
        bytes32 disclosureId,
        address account,
        uint32 version,
        bytes16 period,
        bytes8 framework,
        Metric[] calldata metrics,
        bytes32 documentHash,
        string calldata uri,
        string memory reason,
        bool isPublic
    ) private {
        if (metrics.length == 0 || metrics.length > MAX_METRICS) {
            revert DisclosureInvalidMetrics(metrics.length, MAX_METRICS);
        }
        _requireLength("uri", bytes(uri).length, MAX_DISCLOSURE_URI_BYTES);
        _requireLength("reason", bytes(reason).length, MAX_DISCLOSURE_TEXT_BYTES);
        bytes32 contentHash = keccak256(abi.encode(metrics, documentHash, uri));
        _contentHashes[disclosureId][version] = contentHash;
        emit DisclosurePublished(
            disclosureId,
            account,
            version,
            period,
            framework,
            metrics,
            documentHash,
            uri,
            version - 1,
            reason,
            contentHash,
            isPublic
        );
    }

    function _requireLength(string memory field, uint256 length, uint256 max) private pure {
        if (length > max) revert DisclosureTextTooLong(field, length, max);
    }
}
