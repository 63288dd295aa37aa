// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAgentCallback} from "../interfaces/IAgentCallback.sol";
import {IAttestationRegistry} from "./IAttestationRegistry.sol";
import {AttestationGate} from "./AttestationGate.sol";

/// @title AttestedResultConsumer
/// @notice Example: an AgentScheduler callback that waits for the committee. The scheduler delivers a
///         MODEL_INFER result; the contract records it with the block it was computed in, and acts on
///         it (`act`) only once that block's anchor is attested in the AttestationRegistry.
contract AttestedResultConsumer is IAgentCallback {
    /// @notice The AgentScheduler allowed to deliver results.
    address public immutable scheduler;
    /// @notice The committee's registry.
    IAttestationRegistry public immutable registry;

    /// @dev A delivered result: its commit and the block whose anchor holds its receipt.
    struct Result {
        bytes32 outputCommit;
        uint64 blockNumber;
        bool acted;
    }

    /// @notice Results by request id.
    mapping(uint256 requestId => Result) public results;

    /// @notice A result arrived; it waits for attestation of `blockNumber`.
    event ResultDelivered(uint256 indexed requestId, bytes32 outputCommit, uint256 blockNumber);
    /// @notice A result was acted on, under the attested anchor `anchorRoot`.
    event ResultActedOn(uint256 indexed requestId, bytes32 outputCommit, bytes32 anchorRoot);

    /// @notice The caller is not the scheduler.
    error NotScheduler(address caller);
    /// @notice No result for the request, or it was already acted on.
    error NothingToAct(uint256 requestId);

    constructor(address scheduler_, IAttestationRegistry registry_) {
        scheduler = scheduler_;
        registry = registry_;
    }

    /// @inheritdoc IAgentCallback
    function onAgentTick(uint256, uint64) external view {
        if (msg.sender != scheduler) revert NotScheduler(msg.sender);
    }

    /// @inheritdoc IAgentCallback
    function onInferenceResult(uint256 requestId, bytes32 outputCommit, bytes calldata) external {
        if (msg.sender != scheduler) revert NotScheduler(msg.sender);
        results[requestId] = Result(outputCommit, uint64(block.number), false);
        emit ResultDelivered(requestId, outputCommit, block.number);
    }

    /// @notice Acts on a delivered result; reverts with AttestationGate.NotAttested until its block is attested.
    function act(uint256 requestId) external {
        Result storage r = results[requestId];
        if (r.outputCommit == bytes32(0) || r.acted) revert NothingToAct(requestId);
        bytes32 root = AttestationGate.requireAttestedAnchor(registry, r.blockNumber);
        r.acted = true;
        emit ResultActedOn(requestId, r.outputCommit, root);
    }
}
