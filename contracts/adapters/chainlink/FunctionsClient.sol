// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IFunctionsClient} from "./IFunctionsClient.sol";
import {IFunctionsRouter} from "./IFunctionsRouter.sol";

/// @title FunctionsClient
/// @notice Same shape as Chainlink Functions' FunctionsClient: `_sendRequest` out, `fulfillRequest`
///         in, only the router may fulfil. Deployed against an AivmFunctionsRouter, requests run an
///         AIVM model (the DON id names it) and are fulfilled in a later transaction.
abstract contract FunctionsClient is IFunctionsClient {
    /// @notice Payload version passed to the router (Chainlink's FunctionsRequest.REQUEST_DATA_VERSION).
    uint16 internal constant REQUEST_DATA_VERSION = 1;

    IFunctionsRouter internal immutable i_router;

    event RequestSent(bytes32 indexed id);
    event RequestFulfilled(bytes32 indexed id);

    /// @notice Only the router may call handleOracleFulfillment.
    error OnlyRouterCanFulfill();

    /// @param router The router (an AivmFunctionsRouter on AIVM).
    constructor(address router) {
        i_router = IFunctionsRouter(router);
    }

    /// @notice Sends a request through the router.
    /// @param data The payload (on AIVM: the model input).
    /// @param subscriptionId Billing subscription.
    /// @param callbackGasLimit Gas for fulfillRequest.
    /// @param donId The DON (on AIVM: the model key).
    /// @return requestId The request id.
    function _sendRequest(bytes memory data, uint64 subscriptionId, uint32 callbackGasLimit, bytes32 donId)
        internal
        returns (bytes32)
    {
        bytes32 requestId = i_router.sendRequest(subscriptionId, data, REQUEST_DATA_VERSION, callbackGasLimit, donId);
        emit RequestSent(requestId);
        return requestId;
    }

    /// @notice Override to consume results.
    /// @param requestId The request.
    /// @param response The result (empty on error).
    /// @param err The error (empty on success).
    function fulfillRequest(bytes32 requestId, bytes memory response, bytes memory err) internal virtual;

    /// @inheritdoc IFunctionsClient
    function handleOracleFulfillment(bytes32 requestId, bytes memory response, bytes memory err) external override {
        if (msg.sender != address(i_router)) revert OnlyRouterCanFulfill();
        fulfillRequest(requestId, response, err);
        emit RequestFulfilled(requestId);
    }
}
