// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "aivm-contracts/AIVM.sol";
import {IAIVMErrors} from "aivm-contracts/interfaces/IAIVMErrors.sol";

/// @title RiskScore
/// @notice A tiny on-chain scorer: score = features · w (TMATMUL, int32 accumulation) with w kept in
///         the persistent tensor store; loans are approved when the score clears a threshold.
contract RiskScore is IAIVMErrors {
    /// @notice Handle of w (int8 [K,1]) in the persistent tensor store.
    bytes public weightsRef;
    int256 public immutable threshold;

    event Scored(address indexed applicant, int256 score, bool approved);

    constructor(bytes memory weights, int256 threshold_) {
        weightsRef = AIVM.store(AIVM.TARGET_PERSISTENT, bytes32(0), weights);
        threshold = threshold_;
    }

    /// @notice features (wire format, int8 [1,K]) · w.
    function score(bytes calldata features) public view returns (int256) {
        return AIVM.elementAt(AIVM.matmul(features, weightsRef), 0);
    }

    /// @notice Scores the caller's features and records the decision.
    function apply_(bytes calldata features) external returns (bool approved) {
        int256 s = score(features);
        approved = s >= threshold;
        emit Scored(msg.sender, s, approved);
    }
}
