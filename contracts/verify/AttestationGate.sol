// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IBlockAnchor} from "../interfaces/IBlockAnchor.sol";
import {IAttestationRegistry} from "./IAttestationRegistry.sol";

/// @title AttestationGate
/// @notice What a consumer calls before acting on an AIVM result: the anchor of the block the result
///         was computed in must be attested by the committee (docs/verify.md#committee).
library AttestationGate {
    /// @dev The BlockAnchor system contract.
    IBlockAnchor internal constant BLOCK_ANCHOR = IBlockAnchor(0x000000000000000000000000000000000000A110);

    /// @notice `anchorRoot` is not (yet) the attested anchor of `blockNumber`.
    error NotAttested(uint256 blockNumber, bytes32 anchorRoot);

    /// @notice Reverts with NotAttested unless `anchorRoot` is `blockNumber`'s attested anchor.
    function requireAttested(IAttestationRegistry registry, uint256 blockNumber, bytes32 anchorRoot) internal view {
        if (!registry.isAttested(blockNumber, anchorRoot)) revert NotAttested(blockNumber, anchorRoot);
    }

    /// @notice BlockAnchor's anchor of `blockNumber`, which must be attested (reverts with NotAttested otherwise).
    function requireAttestedAnchor(IAttestationRegistry registry, uint256 blockNumber) internal view returns (bytes32 root) {
        (root,,) = BLOCK_ANCHOR.anchorOf(blockNumber);
        requireAttested(registry, blockNumber, root);
    }
}
