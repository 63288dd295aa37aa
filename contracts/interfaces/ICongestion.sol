// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ICongestion
/// @notice The congestion multiplier system contract at 0x000000000000000000000000000000000000A111.
///         The node writes the multiplier for the next block at the end of every block (EIP-1559
///         style, at most 12.5% per block, within bounds; see docs/gas.md).
interface ICongestion {
    /// @notice The multiplier in force for the current block, fixed point (ONE = 1.0).
    function multiplier() external view returns (uint256);

    /// @notice The fixed-point unit of `multiplier()`.
    function one() external view returns (uint256);

    /// @notice The block in which `multiplier()` was last updated.
    function updatedAt() external view returns (uint256);
}
