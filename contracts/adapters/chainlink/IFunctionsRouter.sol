// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IFunctionsRouter
/// @notice The part of Chainlink Functions' router interface a FunctionsClient uses.
interface IFunctionsRouter {
    /// @notice Sends a request; the result comes back through the client's handleOracleFulfillment.
    /// @param subscriptionId Billing subscription (accepted, unused on AIVM).
    /// @param data The request payload (on AIVM: the model input).
    /// @param dataVersion Payload format version.
    /// @param callbackGasLimit Gas for the fulfilment callback.
    /// @param donId Which DON serves it (on AIVM: the model key in the directory).
    /// @return requestId The request id.
    function sendRequest(
        uint64 subscriptionId,
        bytes calldata data,
        uint16 dataVersion,
        uint32 callbackGasLimit,
        bytes32 donId
    ) external returns (bytes32 requestId);
}
