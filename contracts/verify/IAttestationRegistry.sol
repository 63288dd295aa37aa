// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAttestationRegistry
/// @notice What a consumer reads from the committee's AttestationRegistry (docs/verify.md#committee):
///         whether t bonded verifiers signed that they re-executed a block and got its anchor root.
interface IAttestationRegistry {
    /// @notice Whether `anchorRoot` is the attested anchor of `blockNumber`.
    /// @param blockNumber The block.
    /// @param anchorRoot The anchor root the caller relies on (BlockAnchor.anchorOf(blockNumber).root).
    /// @return True once at least threshold() verifiers signed (blockNumber, blockHash, anchorRoot).
    function isAttested(uint256 blockNumber, bytes32 anchorRoot) external view returns (bool);

    /// @notice The attested block hash and anchor root of `blockNumber` (zero while not attested).
    /// @param blockNumber The block.
    function attestedRoot(uint256 blockNumber) external view returns (bytes32 blockHash, bytes32 anchorRoot);
}
