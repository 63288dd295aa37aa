// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "../AIVM.sol";
import {IAIVMErrors} from "../interfaces/IAIVMErrors.sol";
import {IAivmModel} from "./IAivmModel.sol";

/// @title AivmLinearClassifier
/// @notice A one-layer int8 classifier scores = x·W (TMATMUL, int32 accumulation), label = argmax.
///         W lives once in the persistent tensor store. The model behind the adapter tests and the
///         migration example.
/// @dev Inherits IAIVMErrors so clients decode precompile reverts (ShapeMismatch, ...) from this ABI.
contract AivmLinearClassifier is IAivmModel, IAIVMErrors {
    /// @notice Handle of W (int8 [K, N]) in the persistent tensor store.
    bytes public weightsRef;

    /// @notice Emitted once, when W is stored.
    event WeightsStored(bytes ref);

    /// @param weights W as a wire-format tensor, int8 [K, N].
    constructor(bytes memory weights) {
        weightsRef = AIVM.store(AIVM.TARGET_PERSISTENT, bytes32(0), weights);
        emit WeightsStored(weightsRef);
    }

    /// @notice Classifies x (wire format, int8 [1, K]).
    /// @return output abi.encode(uint256 label, bytes32 scoresCommit): the argmax and the Tensor Commit of the scores.
    function infer(bytes calldata input) external view returns (bytes memory output) {
        bytes memory scores = AIVM.matmul(input, weightsRef);
        return abi.encode(argmaxOf(scores), AIVM.commitOf(scores));
    }

    /// @notice Index of the largest element of a tensor (the first one on ties).
    function argmaxOf(bytes memory t) public pure returns (uint256 best) {
        uint256 n = AIVM.numElements(t);
        int256 top = type(int256).min;
        for (uint256 i = 0; i < n; i++) {
            int256 v = AIVM.elementAt(t, i);
            if (v > top) {
                top = v;
                best = i;
            }
        }
    }
}
