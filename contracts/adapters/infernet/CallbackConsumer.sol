// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AivmModelDirectory} from "../AivmModelDirectory.sol";

/// @title CallbackConsumer (AIVM)
/// @notice Same shape as Ritual Infernet's `CallbackConsumer`: inherit it, call `_requestCompute`,
///         override `_receiveCompute`. Instead of an off-chain Infernet node answering in a later
///         transaction, AIVM runs the container's model synchronously: `_receiveCompute` is called
///         before `_requestCompute` returns, with the AIVM trace root as the proof.
/// @dev `registry` is an AivmModelDirectory; a container id is bound to the key keccak256(containerId).
///      The payment, wallet and verifier arguments are accepted for source compatibility; AIVM charges
///      the inference as gas in the calling transaction, so no payment moves.
abstract contract CallbackConsumer {
    /// @notice rawReceiveCompute may only be called by this contract itself (from _requestCompute).
    error NotSelf(address caller);

    /// @notice Emitted for each request, with the container's model and the AIVM trace root.
    event ComputeDelivered(uint32 indexed subscriptionId, bytes32 indexed containerId, address model, bytes32 traceRoot);

    AivmModelDirectory internal immutable AIVM_DIRECTORY;
    uint32 private lastSubscriptionId;

    /// @param registry The AivmModelDirectory that maps container ids to AIVM models.
    constructor(address registry) {
        AIVM_DIRECTORY = AivmModelDirectory(registry);
    }

    /// @notice Requests one computation; the result arrives in `_receiveCompute` before this returns.
    /// @return subscriptionId Sequential per consumer, from 1.
    /// @return commitment keccak256 of (subscriptionId, containerId, inputs), for bookkeeping.
    function _requestCompute(
        string memory containerId,
        bytes memory inputs,
        uint16 redundancy,
        address, /* paymentToken */
        uint256, /* paymentAmount */
        address, /* wallet */
        address /* verifier */
    ) internal returns (uint32 subscriptionId, bytes32 commitment) {
        subscriptionId = ++lastSubscriptionId;
        commitment = _runAndDeliver(subscriptionId, keccak256(bytes(containerId)), inputs, redundancy);
    }

    function _runAndDeliver(uint32 subscriptionId, bytes32 containerKey, bytes memory inputs, uint16 redundancy)
        private
        returns (bytes32 commitment)
    {
        (bytes memory output, bytes memory proof, address model) = AIVM_DIRECTORY.run(containerKey, inputs);
        // An external self-call, so `_receiveCompute` gets calldata arguments as with Infernet.
        this.rawReceiveCompute(subscriptionId, redundancy, model, inputs, output, proof, containerKey);
        emit ComputeDelivered(subscriptionId, containerKey, model, abi.decode(proof, (bytes32)));
        return keccak256(abi.encode(subscriptionId, containerKey, inputs));
    }

    /// @notice Entry point of the synchronous delivery. Only callable by this contract.
    function rawReceiveCompute(
        uint32 subscriptionId,
        uint16 redundancy,
        address node,
        bytes calldata input,
        bytes calldata output,
        bytes calldata proof,
        bytes32 containerId
    ) external {
        if (msg.sender != address(this)) revert NotSelf(msg.sender);
        _receiveCompute(subscriptionId, 1, redundancy, node, input, output, proof, containerId, 0);
    }

    /// @notice Override to consume the result (same parameters as Infernet's BaseConsumer).
    /// @param subscriptionId The request.
    /// @param interval Always 1 (a callback request has one interval).
    /// @param redundancy As requested; AIVM answers once, deterministically.
    /// @param node The AIVM model contract that ran the inference.
    /// @param input The request inputs.
    /// @param output The model output.
    /// @param proof abi.encode(bytes32 traceRoot, uint256 receiptCount): the AIVM receipts' root.
    /// @param containerId keccak256 of the container id string.
    /// @param index Always 0.
    function _receiveCompute(
        uint32 subscriptionId,
        uint32 interval,
        uint16 redundancy,
        address node,
        bytes calldata input,
        bytes calldata output,
        bytes calldata proof,
        bytes32 containerId,
        uint256 index
    ) internal virtual;
}
