// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "../../AIVM.sol";
import {IAIVMErrors} from "../../interfaces/IAIVMErrors.sol";

/// @title InferenceDemo
/// @notice The dev node's demo model: a one-layer int8 classifier y = x·W, with W stored once in the
///         persistent tensor store and every inference run by the TMATMUL precompile.
/// @dev Inherits IAIVMErrors so clients decode precompile reverts (ShapeMismatch, ...) from this ABI.
contract InferenceDemo is IAIVMErrors {
    /// @notice Handle (AREF, persistent) of the weight tensor W, int8 [K, N].
    bytes public weightsRef;
    /// @notice The last output recorded by `inferAndRecord`.
    bytes public lastOutput;
    /// @notice Number of recorded inferences.
    uint256 public inferences;

    /// @notice Emitted once, when the weights are stored.
    event WeightsStored(bytes ref);
    /// @notice Emitted by every recorded inference.
    /// @param caller Who asked.
    /// @param outputCommit Tensor Commit of the output.
    /// @param argmax Index of the largest output element.
    /// @param output The output tensor (wire format).
    event Inferred(address indexed caller, bytes32 indexed outputCommit, uint256 argmax, bytes output);

    /// @param weights The weight tensor W (wire format, int8 [K, N]).
    constructor(bytes memory weights) {
        weightsRef = AIVM.store(AIVM.TARGET_PERSISTENT, bytes32(0), weights);
        emit WeightsStored(weightsRef);
    }

    /// @notice y = x·W, read-only.
    /// @param x Input activations (wire format, int8 [1, K]).
    /// @return y The int32 output tensor [1, N].
    function infer(bytes calldata x) external view returns (bytes memory y) {
        return AIVM.matmul(x, weightsRef);
    }

    /// @notice y = x·W as a transaction: stores y, emits its commit and argmax.
    /// @param x Input activations (wire format, int8 [1, K]).
    /// @return outputCommit Tensor Commit of y.
    /// @return argmax Index of the largest element of y.
    function inferAndRecord(bytes calldata x) external returns (bytes32 outputCommit, uint256 argmax) {
        bytes memory y = AIVM.matmul(x, weightsRef);
        outputCommit = AIVM.commitOf(y);
        argmax = argmaxOf(y);
        lastOutput = y;
        inferences += 1;
        emit Inferred(msg.sender, outputCommit, argmax, y);
    }

    /// @notice Index of the largest element of a tensor (first one on ties).
    function argmaxOf(bytes memory t) public pure returns (uint256) {
        return AIVM.argmax(t);
    }
}
