// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {BatchLedger} from "./BatchLedger.sol";
import {DisclosureRegistry} from "./DisclosureRegistry.sol";
import {EventCommitments} from "./EventCommitments.sol";
import {ParticipantRegistry} from "./ParticipantRegistry.sol";

/// @title Supply-chain provenance and ESG ledger
/// @notice Participants, batches with lineage and custody, ESG disclosures and commitments to captured EPCIS events
/// in one deployment. Every write can
/// also be relayed through the trusted ProvenanceForwarder on behalf of a participant who signed it (EIP-712).
contract ProvenanceLedger is BatchLedger, DisclosureRegistry, EventCommitments, ERC2771Context {
    constructor(address admin, address trustedForwarder_)
        ParticipantRegistry(admin)
        ERC2771Context(trustedForwarder_)
    {}

    function _msgSender() internal view override(Context, ERC2771Context) returns (address) {
        return ERC2771Context._msgSender();
    }

    function _msgData() internal view override(Context, ERC2771Context) returns (bytes calldata) {
        return ERC2771Context._msgData();
    }

    function _contextSuffixLength() internal view override(Context, ERC2771Context) returns (uint256) {
        return ERC2771Context._contextSuffixLength();
    }
}
