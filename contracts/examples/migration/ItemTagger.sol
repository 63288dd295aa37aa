// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FunctionsClient} from "../../adapters/chainlink/FunctionsClient.sol";

/// @title ItemTagger
/// @notice A marketplace listing whose category is set by an AI model: a Chainlink Functions
///         consumer migrated to AIVM (docs/migrating.md): the DON id names an AIVM model and the
///         request carries the image tensor instead of JavaScript.
contract ItemTagger is FunctionsClient {
    /// @notice The fulfilment is not for the last request (the Chainlink pattern).
    error UnexpectedRequestID(bytes32 requestId);
    /// @notice Only the owner may request tags.
    error NotOwner(address caller);

    event Response(bytes32 indexed requestId, uint256 category, bytes response, bytes err);

    address public immutable owner;
    bytes32 public s_lastRequestId;
    bytes public s_lastResponse;
    bytes public s_lastError;
    /// @notice Category of the item (class index + 1; 0 = unknown).
    uint256 public category;

    /// @dev Room to store an AIVM error (ShapeMismatch carries shape strings) as s_lastError.
    uint32 public constant GAS_LIMIT = 500_000;
    /// @notice The model key (an AIVM model in place of a DON).
    bytes32 public immutable donID;

    constructor(address router, bytes32 donId) FunctionsClient(router) {
        owner = msg.sender;
        donID = donId;
    }

    /// @notice Asks for the category of `image` (wire-format int8 tensor).
    function sendRequest(bytes calldata image, uint64 subscriptionId) external returns (bytes32 requestId) {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        s_lastRequestId = _sendRequest(image, subscriptionId, GAS_LIMIT, donID);
        return s_lastRequestId;
    }

    function fulfillRequest(bytes32 requestId, bytes memory response, bytes memory err) internal override {
        if (s_lastRequestId != requestId) revert UnexpectedRequestID(requestId);
        s_lastResponse = response;
        s_lastError = err;
        if (response.length >= 32) {
            uint256 label = abi.decode(response, (uint256));
            category = label + 1;
        }
        emit Response(requestId, category, response, err);
    }
}
