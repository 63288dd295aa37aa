// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAgentCallback
/// @notice Implemented by agent contracts registered with the AgentScheduler. The scheduler calls
///         these during `processEpoch` with the gas limit the request was submitted with; a revert or
///         out-of-gas is recorded (`CallbackFailed`) and never undoes the scheduler's bookkeeping.
interface IAgentCallback {
    /// @notice An AGENT_TICK request is being executed.
    /// @param requestId The request.
    /// @param slot The epoch slot it executes in.
    function onAgentTick(uint256 requestId, uint64 slot) external;

    /// @notice A MODEL_INFER request was executed.
    /// @param requestId The request.
    /// @param outputCommit The Tensor Commit of the output (binds dtype, shape, quantization and data).
    /// @param output The output, as returned by the precompile (tensor wire format, docs/spec.md).
    function onInferenceResult(uint256 requestId, bytes32 outputCommit, bytes calldata output) external;
}
