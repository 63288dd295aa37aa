// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICongestion} from "../interfaces/ICongestion.sol";

/// @title Congestion
/// @notice Predeployed at 0x…A111. The node's end-of-block hook writes the next block's multiplier
///         here (slot 0 = multiplier, slot 1 = one, slot 2 = updatedAt), so it is part of the state root.
contract Congestion is ICongestion {
    uint256 private _multiplier;
    uint256 private _one;
    uint256 private _updatedAt;

    /// @inheritdoc ICongestion
    function multiplier() external view returns (uint256) {
        return _multiplier;
    }

    /// @inheritdoc ICongestion
    function one() external view returns (uint256) {
        return _one;
    }

    /// @inheritdoc ICongestion
    function updatedAt() external view returns (uint256) {
        return _updatedAt;
    }
}
