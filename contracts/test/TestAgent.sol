// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAgentCallback} from "../interfaces/IAgentCallback.sol";
import {IAgentScheduler} from "../interfaces/IAgentScheduler.sol";
import {AIVM} from "../AIVM.sol";

/// @title TestAgent
/// @notice Test-only agent: owns its scheduler registration, records callbacks, and can misbehave on
///         purpose (revert, burn all gas, re-enter the scheduler) to exercise the callback guards.
contract TestAgent is IAgentCallback {
    enum Mode {
        Record,
        Revert,
        BurnGas,
        ReenterProcess,
        ReenterWithdraw,
        ReenterSubmit,
        ReenterUnstake
    }

    error NotScheduler(address caller);
    error RefusedEth();
    error Misbehaving();

    IAgentScheduler public immutable scheduler;
    Mode public mode;
    bool public acceptEth = true;
    uint256 public agentId;
    uint256 public ticks;
    uint256 public results;
    uint256 public lastRequestId;
    uint64 public lastSlot;
    bytes32 public lastCommit;
    bytes public lastOutput;
    /// @notice Selector of the error the last re-entry attempt reverted with (zero if it succeeded).
    bytes4 public lastReentryError;
    uint256 public reentrySucceeded;

    constructor(IAgentScheduler scheduler_) {
        scheduler = scheduler_;
    }

    /// @notice Sets how the next callbacks behave.
    function setMode(Mode m) external {
        mode = m;
    }

    /// @notice Whether plain ETH transfers (withdrawals) are accepted.
    function setAcceptEth(bool accept) external {
        acceptEth = accept;
    }

    /// @notice Registers this contract as an agent owned by itself, with `msg.value` stake.
    function register() external payable returns (uint256 id) {
        id = scheduler.registerAgent{value: msg.value}(address(this));
        agentId = id;
    }

    /// @notice Submits a tick for this agent.
    function submitTick(IAgentScheduler.LatencyClass class_, uint32 callbackGas) external payable returns (uint256) {
        return scheduler.submitTick{value: msg.value}(agentId, class_, callbackGas);
    }

    /// @notice Submits an inference for this agent.
    function submitInfer(uint256 modelId, uint32 version, bytes32 input, IAgentScheduler.LatencyClass class_, uint32 gas)
        external
        payable
        returns (uint256)
    {
        return scheduler.submitInfer{value: msg.value}(agentId, modelId, version, input, class_, gas);
    }

    /// @notice Withdraws this contract's scheduler balance.
    function withdrawFromScheduler() external {
        scheduler.withdraw();
    }

    /// @notice Unstakes from this contract's agent.
    function unstakeFromScheduler(uint256 amount) external {
        scheduler.unstake(agentId, amount);
    }

    /// @notice Stores a tensor (target 1) or program (target 2) through TSTORE and returns its content id.
    function storeTensor(uint8 target, bytes calldata data) external returns (bytes32) {
        return AIVM.refId(AIVM.store(target, bytes32(0), data));
    }

    /// @notice Exact gas of running stored program `programId` on stored tensor `input` (TCUSTOM QUOTE_ONLY).
    function quoteCustom(bytes32 programId, bytes32 input) external view returns (uint256) {
        bytes[] memory inputs = new bytes[](1);
        inputs[0] = AIVM.persistentRef(input);
        return AIVM.quote(AIVM.TCUSTOM, abi.encode(programId, inputs, AIVM.QUOTE_ONLY));
    }

    /// @inheritdoc IAgentCallback
    function onAgentTick(uint256 requestId, uint64 slot) external {
        if (msg.sender != address(scheduler)) revert NotScheduler(msg.sender);
        _behave();
        ticks += 1;
        lastRequestId = requestId;
        lastSlot = slot;
    }

    /// @inheritdoc IAgentCallback
    function onInferenceResult(uint256 requestId, bytes32 outputCommit, bytes calldata output) external {
        if (msg.sender != address(scheduler)) revert NotScheduler(msg.sender);
        _behave();
        results += 1;
        lastRequestId = requestId;
        lastCommit = outputCommit;
        lastOutput = output;
    }

    receive() external payable {
        if (!acceptEth) revert RefusedEth();
        // Re-entering withdraw from the ETH transfer must fail too.
        if (mode == Mode.ReenterWithdraw) {
            (bool ok, bytes memory ret) = address(scheduler).call(abi.encodeCall(IAgentScheduler.withdraw, ()));
            if (ok) reentrySucceeded += 1;
            else lastReentryError = ret.length >= 4 ? bytes4(ret) : bytes4(0);
        }
    }

    function _behave() private {
        Mode m = mode;
        if (m == Mode.Revert) revert Misbehaving();
        if (m == Mode.BurnGas) {
            while (true) {}
        }
        if (m == Mode.Record) return;
        bool ok;
        bytes memory ret;
        if (m == Mode.ReenterProcess) {
            (ok, ret) = address(scheduler).call(abi.encodeCall(IAgentScheduler.processEpoch, ()));
        } else if (m == Mode.ReenterWithdraw) {
            (ok, ret) = address(scheduler).call(abi.encodeCall(IAgentScheduler.withdraw, ()));
        } else if (m == Mode.ReenterSubmit) {
            (ok, ret) = address(scheduler).call(
                abi.encodeCall(IAgentScheduler.submitTick, (agentId, IAgentScheduler.LatencyClass.Bulk, 0))
            );
        } else {
            (ok, ret) = address(scheduler).call(abi.encodeCall(IAgentScheduler.unstake, (agentId, 1)));
        }
        if (ok) {
            reentrySucceeded += 1;
        } else {
            lastReentryError = ret.length >= 4 ? bytes4(ret) : bytes4(0);
        }
    }
}
