// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IBlockRandomness
/// @notice The block randomness system contract at 0x000000000000000000000000000000000000A113. For
///         every block N the producer proves an ECVRF-EDWARDS25519-SHA512-TAI output (RFC 9381) over
///         alpha = parentHash ‖ uint64 big-endian N with the key `publicKey()`, and the node writes the
///         proof and output here before the block's first transaction, so the block's own
///         transactions can read it. Anyone can check a proof off-chain (`aivm verify-vrf`); see
///         docs/vrf.md.
interface IBlockRandomness {
    /// @notice No VRF output was written for `blockNumber` (genesis, or a block not produced yet).
    /// @param blockNumber The block asked for.
    /// @param latest The last block with an output.
    error VrfNotAvailable(uint256 blockNumber, uint256 latest);

    /// @notice The block's randomness: keccak256 of its 64-byte VRF output beta.
    /// @param blockNumber A block from 1 to `latest()` (the current block included).
    /// @return keccak256(beta).
    function vrfOutput(uint256 blockNumber) external view returns (bytes32);

    /// @notice The block's VRF proof and output, as RFC 9381 encodes them.
    /// @param blockNumber A block from 1 to `latest()`.
    /// @return pi The 80-byte proof: Gamma (32) ‖ c (16) ‖ s (32).
    /// @return beta The 64-byte output, SHA-512 of the cofactor-cleared Gamma.
    function vrfProof(uint256 blockNumber) external view returns (bytes memory pi, bytes memory beta);

    /// @notice The producer's 32-byte Ed25519 VRF public key, fixed at genesis.
    function publicKey() external view returns (bytes32);

    /// @notice The last block with a VRF output (the current block, inside a transaction).
    function latest() external view returns (uint256);
}
