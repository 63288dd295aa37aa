// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAgentCallback} from "../interfaces/IAgentCallback.sol";
import {IAgentScheduler} from "../interfaces/IAgentScheduler.sol";

/// @title LoadDriver
/// @notice Test-only: owns many agents and submits whole batches of tick requests in one transaction,
///         so property tests can push thousands of requests through the real scheduler quickly.
contract LoadDriver is IAgentCallback {
    IAgentScheduler public immutable scheduler;
    uint256 public callbacks;

    constructor(IAgentScheduler scheduler_) {
        scheduler = scheduler_;
    }

    /// @notice Registers one agent per entry of `stakes` (owned by this contract, callback = this).
    function registerMany(uint256[] calldata stakes) external payable returns (uint256[] memory ids) {
        ids = new uint256[](stakes.length);
        for (uint256 i; i < stakes.length; ++i) {
            ids[i] = scheduler.registerAgent{value: stakes[i]}(address(this));
        }
    }

    /// @notice Submits one tick per entry; a refused submission yields id 0 instead of reverting the batch.
    /// @param agentIds Agent of each request.
    /// @param classes Latency class of each request (0 RT, 1 Interactive, 2 Bulk).
    /// @param callbackGas Callback gas of every request.
    /// @param feeEach Wei sent with each submission.
    function submitBatch(uint256[] calldata agentIds, uint8[] calldata classes, uint32 callbackGas, uint256 feeEach)
        external
        payable
        returns (uint256[] memory ids)
    {
        ids = new uint256[](agentIds.length);
        for (uint256 i; i < agentIds.length; ++i) {
            try scheduler.submitTick{value: feeEach}(agentIds[i], IAgentScheduler.LatencyClass(classes[i]), callbackGas) returns (
                uint256 id
            ) {
                ids[i] = id;
            } catch {}
        }
    }

    /// @inheritdoc IAgentCallback
    function onAgentTick(uint256, uint64) external {
        callbacks += 1;
    }

    /// @inheritdoc IAgentCallback
    function onInferenceResult(uint256, bytes32, bytes calldata) external {
        callbacks += 1;
    }

    receive() external payable {}
}
