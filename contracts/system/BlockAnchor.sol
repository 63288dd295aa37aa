// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IBlockAnchor} from "../interfaces/IBlockAnchor.sol";

/// @title BlockAnchor
/// @notice Predeployed at 0x…A110. Has no writers in Solidity: the node's end-of-block hook
///         (src/chain/runtime.ts) writes the storage below directly, so the anchor is part of the
///         state root. Layout is fixed: slot 0 = latestBlock, slot 1 = anchors mapping.
contract BlockAnchor is IBlockAnchor {
    /// @dev One block's anchor.
    struct Anchor {
        bytes32 root;
        uint256 receiptCount;
        uint256 flops;
    }

    uint256 private _latestBlock;
    mapping(uint256 blockNumber => Anchor) private _anchors;

    /// @inheritdoc IBlockAnchor
    function anchorOf(uint256 blockNumber) external view returns (bytes32 root, uint256 receiptCount, uint256 flops) {
        Anchor storage a = _anchors[blockNumber];
        return (a.root, a.receiptCount, a.flops);
    }

    /// @inheritdoc IBlockAnchor
    function latestBlock() external view returns (uint256) {
        return _latestBlock;
    }
}
