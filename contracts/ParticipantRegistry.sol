// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";

/// @notice Participants, roles, sites and suspension; the base every write rule checks against.
abstract contract ParticipantRegistry is IParticipantRegistry, AccessControl {
    bytes32 public constant FACTORY_ROLE = keccak256("FACTORY");
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR");
    bytes32 public constant BUYER_ROLE = keccak256("BUYER");
    uint256 public constant MAX_NAME_BYTES = 256;
    uint256 public constant MAX_REASON_BYTES = 1024;
    uint64 private constant _GLN_LIMIT = 1e13;

    /// One slot per participant: index 0 means not registered. `factory` mirrors FACTORY_ROLE (kept in step by
    /// `_grantRole`/`_revokeRole`) so that recording a batch reads one slot for both checks.
    struct ParticipantState {
        uint32 index;
        bool suspended;
        bool factory;
    }

    mapping(address account => ParticipantState) private _participants;
    mapping(uint32 index => address) private _participantByIndex;
    mapping(address account => bytes32) private _organisation;
    mapping(uint64 gln => address) private _siteOwner;
    mapping(uint64 gln => address) private _partyOf;
    uint32 private _participantCount;

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IParticipantRegistry
    function registerParticipant(address account, Profile calldata profile, bytes32[] calldata roles)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (_participants[account].index != 0) revert RegistryAlreadyRegistered(account);
        if (account == address(0)) revert RegistryInvalidProfile("account");
        uint256 nameLength = bytes(profile.legalName).length;
        if (nameLength == 0 || nameLength > MAX_NAME_BYTES) revert RegistryInvalidProfile("legalName");
        if (profile.country == bytes2(0)) revert RegistryInvalidProfile("country");
        uint32 index = ++_participantCount;
        _participants[account].index = index;
        _participantByIndex[index] = account;
        _organisation[account] = profile.organisationId;
        if (profile.partyGln != 0) {
            _checkGln(account, profile.partyGln, _siteOwner[profile.partyGln]);
            address party = _partyOf[profile.partyGln];
            if (party != address(0)) revert RegistrySiteTaken(profile.partyGln, party);
            _partyOf[profile.partyGln] = account;
        }
        for (uint256 i = 0; i < profile.sites.length; ++i) {
            _claimSite(account, profile.sites[i].gln);
        }
        for (uint256 i = 0; i < roles.length; ++i) {
            _grantRole(roles[i], account);
        }
        emit ParticipantRegistered(account, index, profile, roles);
    }

    /// @inheritdoc IParticipantRegistry
    function addSite(address account, Site calldata site) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_participants[account].index == 0) revert RegistryParticipantNotFound(account);
        _claimSite(account, site.gln);
        emit SiteAdded(account, site.gln, site.subdivision);
    }

    /// @inheritdoc IParticipantRegistry
    function setSuspended(address account, bool suspended, string calldata reason)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (_participants[account].index == 0) revert RegistryParticipantNotFound(account);
        if (bytes(reason).length > MAX_REASON_BYTES) revert RegistryInvalidProfile("reason");
        _participants[account].suspended = suspended;
        emit ParticipantStatusChanged(account, suspended, reason);
    }

    /// @inheritdoc IParticipantRegistry
    function participant(address account) external view returns (uint32 index, bool suspended, bytes32 organisationId) {
        ParticipantState memory state = _participants[account];
        return (state.index, state.suspended, _organisation[account]);
    }

    /// @inheritdoc IParticipantRegistry
    function siteOwner(uint64 gln) external view returns (address) {
        return _siteOwner[gln];
    }

    /// @inheritdoc IParticipantRegistry
    function partyOf(uint64 gln) external view returns (address) {
        return _partyOf[gln];
    }

    /// @dev Reverts unless `account` is registered and not suspended; returns its participant index.
    function _requireActive(address account) internal view returns (uint32) {
        ParticipantState memory state = _participants[account];
        if (state.index == 0) revert RegistryParticipantNotFound(account);
        if (state.suspended) revert RegistryParticipantSuspended(account);
        return state.index;
    }

    /// @dev Reverts unless `account` is active and holds `role`.
    function _requireActiveRole(bytes32 role, address account) internal view returns (uint32) {
        _checkRole(role, account);
        return _requireActive(account);
    }

    /// @dev Reverts unless `account` is an active factory; one storage read.
    function _requireActiveFactory(address account) internal view returns (uint32) {
        ParticipantState memory state = _participants[account];
        if (!state.factory) revert AccessControlUnauthorizedAccount(account, FACTORY_ROLE);
        if (state.index == 0) revert RegistryParticipantNotFound(account);
        if (state.suspended) revert RegistryParticipantSuspended(account);
        return state.index;
    }

    function _grantRole(bytes32 role, address account) internal virtual override returns (bool granted) {
        granted = super._grantRole(role, account);
        if (granted && role == FACTORY_ROLE) _participants[account].factory = true;
    }

    function _revokeRole(bytes32 role, address account) internal virtual override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked && role == FACTORY_ROLE) _participants[account].factory = false;
    }

    function _requireSiteOf(address account, uint64 gln) internal view {
        if (_siteOwner[gln] != account) revert RegistryUnknownSite(account, gln);
    }

    function _participantAt(uint32 index) internal view returns (address) {
        return _participantByIndex[index];
    }

    function _organisationOf(address account) internal view returns (bytes32) {
        return _organisation[account];
    }

    function _claimSite(address account, uint64 gln) private {
        _checkGln(account, gln, _partyOf[gln]);
        address owner = _siteOwner[gln];
        if (owner != address(0)) revert RegistrySiteTaken(gln, owner);
        _siteOwner[gln] = account;
    }

    /// @dev A GLN is a valid 13-digit number, and not another participant's (a participant may use one GLN as both
    /// its party GLN and a site; `other` is the account holding it in the other role, if any).
    function _checkGln(address account, uint64 gln, address other) private pure {
        if (gln == 0 || gln >= _GLN_LIMIT) revert RegistryInvalidProfile("gln");
        if (other != address(0) && other != account) revert RegistrySiteTaken(gln, other);
    }
}
