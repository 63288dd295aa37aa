// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IFunctionsClient
/// @notice Chainlink Functions' client callback interface.
interface IFunctionsClient {
    /// @notice Called by the router with the result of a request.
    /// @param requestId The request.
    /// @param response The result (empty on error).
    /// @param err The error (empty on success).
    function handleOracleFulfillment(bytes32 requestId, bytes memory response, bytes memory err) external;
}
