// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IBlockAnchor
/// @notice The block anchor system contract at 0x000000000000000000000000000000000000A110. At the end
///         of every block the node writes the Merkle root over all of the block's AIVM op receipts.
interface IBlockAnchor {
    /// @notice The anchor of a block (zero root and counts when the block had no AIVM receipts or
    ///         is not sealed yet).
    /// @param blockNumber The block number.
    /// @return root Merkle root over the block's receipt leaves, in transaction order.
    /// @return receiptCount Number of receipts in the block.
    /// @return flops Total AIVM FLOPs executed in the block.
    function anchorOf(uint256 blockNumber) external view returns (bytes32 root, uint256 receiptCount, uint256 flops);

    /// @notice The last block whose anchor has been written.
    function latestBlock() external view returns (uint256);
}
