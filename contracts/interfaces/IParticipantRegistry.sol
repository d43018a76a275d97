// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Participant registry of the provenance consortium
/// @notice The consortium admin registers participants (factories, auditors, buyers), their sites and their roles,
/// and can suspend them. A suspended participant can write nothing. Profiles are emitted; only what the rules
/// need (index, status, organisation, site ownership) is stored.
interface IParticipantRegistry {
    /// @notice A production or business site: GS1 Global Location Number and ISO 3166-2 subdivision.
    struct Site {
        uint64 gln;
        bytes6 subdivision;
    }

    /// @notice The public profile of a participant.
    /// @param legalName registered legal name
    /// @param country ISO 3166-1 alpha-2 country code
    /// @param organisationId identifier of the legal entity (e.g. hash of its LEI); participants sharing one are
    /// the same organisation, which matters for auditor independence
    /// @param profileHash SHA-256 or keccak hash of the off-chain profile document
    /// @param partyGln GS1 GLN identifying the participant as a party (EPCIS source and destination lists), 0 if none
    struct Profile {
        string legalName;
        bytes2 country;
        bytes32 organisationId;
        bytes32 profileHash;
        uint64 partyGln;
        Site[] sites;
    }

    /// @notice Emitted when the admin registers a participant.
    event ParticipantRegistered(address indexed account, uint32 indexed index, Profile profile, bytes32[] roles);
    /// @notice Emitted when the admin adds a site to a participant.
    event SiteAdded(address indexed account, uint64 indexed gln, bytes6 subdivision);
    /// @notice Emitted when the admin suspends or reinstates a participant.
    event ParticipantStatusChanged(address indexed account, bool suspended, string reason);

    /// @notice The account is already registered.
    error RegistryAlreadyRegistered(address account);
    /// @notice The account is not a registered participant.
    error RegistryParticipantNotFound(address account);
    /// @notice The participant is suspended and may not write.
    error RegistryParticipantSuspended(address account);
    /// @notice The GLN already belongs to a participant (as a site or as its party GLN).
    error RegistrySiteTaken(uint64 gln, address owner);
    /// @notice The GLN is not a registered site of the account.
    error RegistryUnknownSite(address account, uint64 gln);
    /// @notice A profile field is empty or malformed (field names the field).
    error RegistryInvalidProfile(string field);

    /// @notice Register `account` with `profile` and grant it `roles` (FACTORY_ROLE, AUDITOR_ROLE, BUYER_ROLE).
    /// @dev Only DEFAULT_ADMIN_ROLE.
    function registerParticipant(address account, Profile calldata profile, bytes32[] calldata roles) external;

    /// @notice Add a site to a registered participant. Only DEFAULT_ADMIN_ROLE.
    function addSite(address account, Site calldata site) external;

    /// @notice Suspend (true) or reinstate (false) a participant, with a reason. Only DEFAULT_ADMIN_ROLE.
    function setSuspended(address account, bool suspended, string calldata reason) external;

    /// @notice Registration state of `account`.
    /// @return index sequential participant number (0 if not registered)
    /// @return suspended whether the participant is suspended
    /// @return organisationId the organisation the participant belongs to
    function participant(address account) external view returns (uint32 index, bool suspended, bytes32 organisationId);

    /// @notice The participant that owns site `gln` (zero if none).
    function siteOwner(uint64 gln) external view returns (address);

    /// @notice The participant whose party GLN is `gln` (zero if none).
    function partyOf(uint64 gln) external view returns (address);
}
