// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAgentCallback} from "../interfaces/IAgentCallback.sol";
import {IAgentScheduler} from "../interfaces/IAgentScheduler.sol";

/// @title AivmDeferredFulfiller
/// @notice The asynchronous half of the oracle adapters: requests wait in a FIFO queue and are
///         fulfilled in a later transaction, either by anyone calling `fulfill` / `fulfillPending`
///         (the result is deterministic, so the caller needs no trust) or by the AgentScheduler,
///         which calls `onAgentTick` when a tick this contract submitted is executed.
/// @dev Oracle-style consumers often record a request id after the request call returns and check
///      it in the callback; a same-transaction callback would break them, hence the queue.
abstract contract AivmDeferredFulfiller is IAgentCallback {
    /// @notice The request id is unknown or already fulfilled.
    error NotPending(uint256 id);
    /// @notice Only the scheduler may deliver ticks.
    error NotScheduler(address caller);
    /// @notice Only the adapter's owner may do this.
    error NotAdapterOwner(address caller);
    /// @notice No scheduler is attached.
    error NoScheduler();
    /// @notice This adapter does not submit MODEL_INFER requests to the scheduler.
    error UnsupportedCallback();
    /// @notice Too little gas left to give the consumer's callback its full gas limit.
    error InsufficientCallbackGas(uint256 needed, uint256 available);

    /// @notice Emitted when the adapter registers with a scheduler.
    event SchedulerAttached(address indexed scheduler, uint256 agentId);

    /// @notice Ticks fulfil at most this many requests, so a tick's gas stays bounded.
    uint256 public constant MAX_PER_TICK = 16;

    address public immutable adapterOwner;
    IAgentScheduler public scheduler;
    uint256 public agentId;

    uint256[] private queue;
    uint256 private head;
    mapping(uint256 => bool) public pending;

    constructor() {
        adapterOwner = msg.sender;
    }

    /// @notice Registers this adapter as an agent with `scheduler_`, staking `msg.value`.
    function attachScheduler(IAgentScheduler scheduler_) external payable {
        if (msg.sender != adapterOwner) revert NotAdapterOwner(msg.sender);
        scheduler = scheduler_;
        agentId = scheduler_.registerAgent{value: msg.value}(address(this));
        emit SchedulerAttached(address(scheduler_), agentId);
    }

    /// @notice Asks the scheduler for a tick (fee in `msg.value`, see IAgentScheduler.quoteTick);
    ///         when it runs, pending requests are fulfilled.
    /// @return requestId The scheduler's request id.
    function scheduleTick(IAgentScheduler.LatencyClass class_, uint32 callbackGas)
        external
        payable
        returns (uint256 requestId)
    {
        if (address(scheduler) == address(0)) revert NoScheduler();
        return scheduler.submitTick{value: msg.value}(agentId, class_, callbackGas);
    }

    /// @inheritdoc IAgentCallback
    function onAgentTick(uint256, uint64) external {
        if (msg.sender != address(scheduler) || address(scheduler) == address(0)) revert NotScheduler(msg.sender);
        fulfillPending(MAX_PER_TICK);
    }

    /// @inheritdoc IAgentCallback
    function onInferenceResult(uint256, bytes32, bytes calldata) external pure {
        revert UnsupportedCallback();
    }

    /// @notice Fulfils one pending request.
    function fulfill(uint256 id) external {
        if (!pending[id]) revert NotPending(id);
        pending[id] = false;
        _fulfill(id);
    }

    /// @notice Fulfils up to `max` pending requests in arrival order.
    /// @return done How many were fulfilled.
    function fulfillPending(uint256 max) public returns (uint256 done) {
        uint256 h = head;
        uint256 end = queue.length;
        while (h < end && done < max) {
            uint256 id = queue[h++];
            if (!pending[id]) continue; // fulfilled out of order through `fulfill`
            pending[id] = false;
            _fulfill(id);
            done++;
        }
        head = h;
    }

    /// @notice Requests still waiting (upper bound: ones fulfilled out of order are skipped later).
    function queued() external view returns (uint256) {
        return queue.length - head;
    }

    function _enqueue(uint256 id) internal {
        pending[id] = true;
        queue.push(id);
    }

    /// @dev Reverts unless a CALL can still forward `callbackGas` in full (EIP-150 keeps 1/64 back).
    ///      Without it a short gas limit (or a tight eth_estimateGas) would starve the callback.
    function _requireCallbackGas(uint256 callbackGas) internal view {
        uint256 needed = callbackGas + callbackGas / 63 + 10_000;
        if (gasleft() < needed) revert InsufficientCallbackGas(needed, gasleft());
    }

    /// @dev Runs the model for request `id` and delivers the result; must not revert on a consumer failure.
    function _fulfill(uint256 id) internal virtual;
}
