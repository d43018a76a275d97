// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/// @title Relayer entry point for signed submissions
/// @notice OpenZeppelin's ERC-2771 forwarder: a participant signs an EIP-712 ForwardRequest (nonce, deadline, chain id
/// in the domain) and any relayer submits it and pays the gas; the relayer can neither forge nor replay it.
contract ProvenanceForwarder is ERC2771Forwarder {
    constructor() ERC2771Forwarder("ProvenanceForwarder") {}
}
