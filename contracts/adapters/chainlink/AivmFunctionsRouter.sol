// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AivmDeferredFulfiller} from "../AivmDeferredFulfiller.sol";
import {AivmModelDirectory} from "../AivmModelDirectory.sol";
import {IFunctionsClient} from "./IFunctionsClient.sol";
import {IFunctionsRouter} from "./IFunctionsRouter.sol";

/// @title AivmFunctionsRouter
/// @notice Chainlink Functions' router answered by AIVM: the DON id is a model key in the
///         directory, the request data is the model input. Fulfilled in a later transaction (by
///         anyone through `fulfill`/`fulfillPending`, or by the AgentScheduler on a tick), because
///         FunctionsClient consumers store the request id after `_sendRequest` returns and check it
///         in `fulfillRequest`.
contract AivmFunctionsRouter is IFunctionsRouter, AivmDeferredFulfiller {
    struct Request {
        address client;
        uint32 callbackGasLimit;
        bytes32 donId;
        bytes data;
    }

    /// @notice The client's fulfillRequest reverted or ran out of gas.
    event CallbackFailed(bytes32 indexed requestId, bytes reason);
    /// @notice A request was fulfilled; `err` is the model's revert data when it failed.
    event Fulfilled(bytes32 indexed requestId, address indexed client, bytes response, bytes err);

    AivmModelDirectory public immutable directory;
    uint256 public requestCount;
    mapping(uint256 => Request) private requests;

    /// @param directory_ Where DON ids are resolved.
    constructor(AivmModelDirectory directory_) {
        directory = directory_;
    }

    /// @notice The request id a FunctionsClient sees for queue entry `index`.
    function requestIdOf(uint256 index) public view returns (bytes32) {
        return keccak256(abi.encode(address(this), block.chainid, index));
    }

    /// @inheritdoc IFunctionsRouter
    function sendRequest(uint64, bytes calldata data, uint16, uint32 callbackGasLimit, bytes32 donId)
        external
        returns (bytes32 requestId)
    {
        uint256 index = ++requestCount;
        requests[index] = Request(msg.sender, callbackGasLimit, donId, data);
        _enqueue(index);
        return requestIdOf(index);
    }

    function _fulfill(uint256 index) internal override {
        Request storage r = requests[index];
        bytes32 requestId = requestIdOf(index);
        bytes memory response;
        bytes memory err;
        try directory.run(r.donId, r.data) returns (bytes memory out, bytes memory, address) {
            response = out;
        } catch (bytes memory reason) {
            err = reason;
        }
        _requireCallbackGas(r.callbackGasLimit);
        (bool ok, bytes memory ret) = r.client.call{gas: r.callbackGasLimit}(
            abi.encodeCall(IFunctionsClient.handleOracleFulfillment, (requestId, response, err))
        );
        if (!ok) emit CallbackFailed(requestId, ret);
        emit Fulfilled(requestId, r.client, response, err);
    }
}
