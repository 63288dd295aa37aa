// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAIOracle
/// @notice ORA's onchain AI oracle (OAO) interface, as consumer contracts use it. AivmAIOracle
///         implements it with AIVM models.
interface IAIOracle {
    /// @notice A callback request was received.
    event AICallbackRequest(
        address indexed account,
        uint256 indexed requestId,
        uint256 modelId,
        bytes input,
        address callbackContract,
        uint64 gasLimit,
        bytes callbackData
    );

    /// @notice A result was delivered.
    event AICallbackResult(address indexed account, uint256 indexed requestId, address invoker, bytes output);

    /// @notice Requests an inference whose output is delivered to `callbackContract.aiOracleCallback`.
    /// @param modelId The model.
    /// @param input The model input.
    /// @param callbackContract Receives the result (an AIOracleCallbackReceiver).
    /// @param gasLimit Gas for the callback.
    /// @param callbackData Returned unchanged with the result.
    /// @return requestId The request id.
    function requestCallback(
        uint256 modelId,
        bytes memory input,
        address callbackContract,
        uint64 gasLimit,
        bytes memory callbackData
    ) external payable returns (uint256 requestId);

    /// @notice The fee `requestCallback` expects in `msg.value`.
    function estimateFee(uint256 modelId, uint256 gasLimit) external view returns (uint256);

    /// @notice Whether the request's result has been delivered.
    function isFinalized(uint256 requestId) external view returns (bool);
}
