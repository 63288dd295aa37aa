// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAivmModel
/// @notice A model the oracle adapters can run: a contract that performs one inference with AIVM
///         precompiles, in the caller's transaction, and returns an application-defined output.
interface IAivmModel {
    /// @notice Runs one inference.
    /// @param input The model input (for tensor models: the wire-format tensor, docs/spec.md).
    /// @return output The model output, ABI-encoded as the model documents.
    function infer(bytes calldata input) external returns (bytes memory output);
}
