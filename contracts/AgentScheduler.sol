// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAgentScheduler} from "./interfaces/IAgentScheduler.sol";
import {IAgentCallback} from "./interfaces/IAgentCallback.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {ICongestion} from "./interfaces/ICongestion.sol";
import {AIVM} from "./AIVM.sol";

/// @title AgentScheduler
/// @notice Epoch-bound queues for AGENT_TICK and MODEL_INFER requests with latency classes,
///         admission control against a per-slot gas capacity, and fair Bulk scheduling.
///         Deployed with its configuration in the constructor, or predeployed at 0x…A121 with that
///         same storage written by the chain's genesis (a predeploy's constructor never runs).
/// @dev Storage layout (declaration order, packed): slot 0 registry|epochLength|nextSlot,
///      slot 1 congestion|maxCallbackGas|agentCount, slot 2 governor|stakeUnit,
///      slot 3 capacity|guaranteedCapacity|unitPrice|requestCount, slot 4 virtualTime|heapSize,
///      then mappings. The slots genesis writes are pinned by the `*_SLOT` constants below. The
///      reentrancy lock lives in transient storage. See docs/scheduler.md#storage-and-genesis.
contract AgentScheduler is IAgentScheduler {
    /// @dev Units charged per request on top of model and callback gas: covers the scheduler's own
    ///      bookkeeping and heap work (measured bound in docs/contracts-gas.md).
    uint64 public constant REQUEST_OVERHEAD = 100_000;
    /// @dev The same for inference requests, which also resolve the version, call TCUSTOM and TCOMMIT
    ///      and copy the output into the callback (measured in docs/contracts-gas.md).
    uint64 public constant INFER_OVERHEAD = 150_000;
    /// @dev The stake weight is min(isqrt(stake / stakeUnit), MAX_STAKE_STEPS).
    uint256 public constant MAX_STAKE_STEPS = 32;
    /// @dev Stake steps are worth this many weight points; the latency credit adds at most MAX_LATENCY_CREDIT.
    uint256 public constant STAKE_STEP_WEIGHT = 4;
    uint256 public constant MAX_LATENCY_CREDIT = 4;
    /// @dev Fixed-point scale of fair-queuing tags, so units/weight keeps precision.
    uint256 private constant TAG_SCALE = 1 << 20;
    /// @dev Gas kept back after a callback so the scheduler can finish its bookkeeping.
    uint256 private constant CALLBACK_RESERVE = 20_000;
    /// @dev Gas kept for the registry read and the commit at execution (resolve costs ~11k cold).
    uint256 private constant RESOLVE_RESERVE = 100_000;
    /// @dev Transient slot of the reentrancy lock: keccak256("aivm.AgentScheduler.lock").
    bytes32 private constant LOCK_SLOT = 0x090b1b9f4e1e7780b9eb99590b6fdb258088ab4ead06359d7353cb43ffb06816;

    // Pinned storage: src/chain/predeploys.ts (SCHEDULER_LAYOUT) writes slots 0-3 at genesis and the
    // block builder reads slots 0 and 3 for the epoch call; test/contracts/storage-layout.test.ts
    // checks them against solc's storageLayout. Do not reorder the variables below; append new ones
    // after the mappings.
    /// @dev _registry (offset 0), _epochLength (offset 20), _nextSlot (offset 24).
    uint256 internal constant EPOCH_SLOT = 0;
    /// @dev _congestion (offset 0), _maxCallbackGas (offset 20), _agentCount (offset 24).
    uint256 internal constant CONGESTION_SLOT = 1;
    /// @dev _governor (offset 0), _stakeUnit (offset 20).
    uint256 internal constant GOVERNOR_SLOT = 2;
    /// @dev _capacity (offset 0), _guaranteedCapacity (offset 8), _unitPrice (offset 16), _requestCount (offset 24).
    uint256 internal constant CAPACITY_SLOT = 3;

    IModelRegistry private _registry;
    uint32 private _epochLength;
    uint64 private _nextSlot;

    ICongestion private _congestion;
    uint32 private _maxCallbackGas;
    uint64 private _agentCount;

    address private _governor;
    uint96 private _stakeUnit;

    uint64 private _capacity;
    uint64 private _guaranteedCapacity;
    uint64 private _unitPrice;
    uint64 private _requestCount;

    /// @dev Self-clocked fair queuing: the finish tag of the last Bulk request served.
    uint128 private _virtualTime;
    uint128 private _heapSize;

    struct SlotInfo {
        uint64 reserved; // RT + Interactive units reserved
        uint64 interactive; // of which Interactive
    }

    mapping(uint256 => Agent) private _agents;
    mapping(uint256 => Request) private _requests;
    mapping(uint64 => SlotInfo) private _slots;
    mapping(uint64 => uint256[]) private _slotQueue;
    /// @dev Binary min-heap (1-indexed) of Bulk requests keyed by (finishTag << 64 | requestId).
    mapping(uint256 => uint256) private _heap;
    mapping(address => uint256) private _balances;

    modifier nonReentrant() {
        bytes32 slot = LOCK_SLOT;
        uint256 locked;
        assembly {
            locked := tload(slot)
        }
        if (locked != 0) revert Reentrancy();
        assembly {
            tstore(slot, 1)
        }
        _;
        assembly {
            tstore(slot, 0)
        }
    }

    /// @notice Sets the links and the configuration at deployment, so no later call can claim the scheduler.
    /// @param registry The ModelRegistry.
    /// @param congestion The congestion multiplier contract (ICongestion, 0x…A111), or zero for 1.0.
    /// @param governor Receives the protocol's share of fees.
    /// @param cfg Capacity, epoch and price parameters (see docs/scheduler.md); the first slot to
    ///        process is the one after the deployment block's epoch.
    constructor(address registry, address congestion, address governor, Config memory cfg) {
        if (registry == address(0) || governor == address(0)) revert ZeroAddress();
        if (
            cfg.epochLength == 0 || cfg.stakeUnit == 0 || cfg.capacity == 0
                || cfg.guaranteedCapacity >= cfg.capacity || cfg.guaranteedCapacity < REQUEST_OVERHEAD
        ) revert InvalidConfig();
        _registry = IModelRegistry(registry);
        _congestion = ICongestion(congestion);
        _governor = governor;
        _epochLength = cfg.epochLength;
        _maxCallbackGas = cfg.maxCallbackGas;
        _stakeUnit = cfg.stakeUnit;
        _capacity = cfg.capacity;
        _guaranteedCapacity = cfg.guaranteedCapacity;
        _unitPrice = cfg.unitPrice;
        _nextSlot = uint64(block.number / cfg.epochLength) + 1;
        emit Initialized(registry, congestion, governor, cfg);
    }

    // ------------------------------------------------------------------ agents

    /// @inheritdoc IAgentScheduler
    function registerAgent(address callback) external payable nonReentrant returns (uint256 agentId) {
        if (callback == address(0)) revert ZeroAddress();
        if (msg.value < _stakeUnit) revert StakeTooLow(msg.value, _stakeUnit);
        if (msg.value > type(uint96).max) revert StakeOverflow(msg.value);
        agentId = ++_agentCount;
        Agent storage a = _agents[agentId];
        a.owner = msg.sender;
        a.stake = uint96(msg.value);
        a.callback = callback;
        emit AgentRegistered(agentId, msg.sender, callback, msg.value);
    }

    /// @inheritdoc IAgentScheduler
    function addStake(uint256 agentId) external payable nonReentrant {
        Agent storage a = _agent(agentId);
        uint256 stake = uint256(a.stake) + msg.value;
        if (stake > type(uint96).max) revert StakeOverflow(stake);
        a.stake = uint96(stake);
        emit StakeChanged(agentId, stake);
    }

    /// @inheritdoc IAgentScheduler
    function unstake(uint256 agentId, uint256 amount) external nonReentrant {
        Agent storage a = _ownedAgent(agentId);
        if (a.pending != 0) revert RequestsPending(agentId, a.pending);
        uint256 stake = a.stake;
        if (amount == 0 || amount > stake) revert InvalidUnstake(amount, stake);
        uint256 remaining = stake - amount;
        if (remaining != 0 && remaining < _stakeUnit) revert InvalidUnstake(amount, stake);
        a.stake = uint96(remaining);
        _balances[msg.sender] += amount;
        emit StakeChanged(agentId, remaining);
    }

    /// @inheritdoc IAgentScheduler
    function setCallback(uint256 agentId, address callback) external nonReentrant {
        Agent storage a = _ownedAgent(agentId);
        if (callback == address(0)) revert ZeroAddress();
        a.callback = callback;
        emit CallbackChanged(agentId, callback);
    }

    // ---------------------------------------------------------------- requests

    /// @inheritdoc IAgentScheduler
    function submitTick(uint256 agentId, LatencyClass class_, uint32 callbackGas)
        external
        payable
        nonReentrant
        returns (uint256 requestId)
    {
        Request memory r;
        r.agentId = uint64(agentId);
        r.kind = RequestKind.Tick;
        r.class_ = class_;
        r.callbackGas = callbackGas;
        r.units = uint64(callbackGas) + REQUEST_OVERHEAD;
        requestId = _submit(r, 0);
    }

    /// @inheritdoc IAgentScheduler
    function submitInfer(
        uint256 agentId,
        uint256 modelId,
        uint32 pinnedVersion,
        bytes32 input,
        LatencyClass class_,
        uint32 callbackGas
    ) external payable nonReentrant returns (uint256 requestId) {
        // Resolving now pins the version (and so the exact gas) even for followers; it reverts
        // with the registry's error for an unknown, unapproved or revoked version.
        IModelRegistry.Resolved memory m = _registry.resolve(modelId, pinnedVersion);
        Request memory r;
        r.agentId = uint64(agentId);
        r.modelId = uint64(modelId);
        r.version = m.version;
        r.kind = RequestKind.Infer;
        r.class_ = class_;
        r.callbackGas = callbackGas;
        // Summed in 256 bits: a huge declared quote is refused as too large, not by an overflow panic.
        uint256 units = uint256(m.gasQuote) + callbackGas + INFER_OVERHEAD;
        if (units > _capacity) revert RequestTooLarge(units, _capacity);
        r.units = uint64(units);
        r.input = input;
        requestId = _submit(r, m.fee);
    }

    // ------------------------------------------------------------------ epochs

    /// @inheritdoc IAgentScheduler
    function processEpoch() external nonReentrant returns (uint64 slot) {
        slot = _nextSlot;
        uint64 current = _epoch();
        if (slot > current) revert EpochNotReached(slot, current);
        _nextSlot = slot + 1;
        (uint256 mult, uint256 one) = _multiplier();
        (uint256 used, uint256 reservedRun) = _runReserved(slot, current, mult, one);
        (uint256 bulkUsed, uint256 bulkRun) = _runBulk(slot, _capacity - used, mult, one);
        delete _slots[slot];
        emit EpochProcessed(slot, reservedRun, bulkRun, used + bulkUsed);
    }

    /// @dev Runs every RT / Interactive request reserved in `slot`; refunds the ones already late.
    function _runReserved(uint64 slot, uint64 current, uint256 mult, uint256 one)
        private
        returns (uint256 used, uint256 n)
    {
        uint256[] storage queue = _slotQueue[slot];
        n = queue.length;
        for (uint256 i; i < n; ++i) {
            uint256 id = queue[i];
            Request storage r = _requests[id];
            if (current > r.deadline) {
                // The slot ran late (no one processed it in time): the guarantee is broken, so refund.
                emit DeadlineMissed(id, r.deadline, current);
                _refund(id, r);
                continue;
            }
            used += r.units;
            _execute(id, r, slot, mult, one);
        }
    }

    /// @dev Runs Bulk requests in fair-queue order while they fit in `budget` units.
    function _runBulk(uint64 slot, uint256 budget, uint256 mult, uint256 one)
        private
        returns (uint256 used, uint256 count)
    {
        uint128 size = _heapSize;
        while (size != 0) {
            uint256 top = _heap[1];
            Request storage r = _requests[uint64(top)];
            uint256 units = r.units;
            // Strict fair-queue order: a request that does not fit waits rather than being overtaken.
            if (used + units > budget) break;
            used += units;
            _virtualTime = uint128(top >> 64);
            size = _heapPop(size);
            _noteWait(r, slot);
            _execute(uint64(top), r, slot, mult, one);
            ++count;
        }
    }

    /// @dev recentWait ← (recentWait + epochs this Bulk request waited beyond the first slot) / 2.
    function _noteWait(Request storage r, uint64 slot) private {
        uint256 first = uint256(r.submitEpoch) + 1;
        uint256 waited = slot > first ? slot - first : 0;
        Agent storage a = _agents[r.agentId];
        uint256 ema = (uint256(a.recentWait) + waited) / 2;
        a.recentWait = uint16(ema > type(uint16).max ? type(uint16).max : ema);
    }

    /// @inheritdoc IAgentScheduler
    function withdraw() external nonReentrant {
        uint256 amount = _balances[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _balances[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
    }

    // ------------------------------------------------------------------- views

    /// @inheritdoc IAgentScheduler
    function quoteTick(uint32 callbackGas) external view returns (uint256 units, uint256 fee) {
        units = uint256(callbackGas) + REQUEST_OVERHEAD;
        fee = _gasFee(units);
    }

    /// @inheritdoc IAgentScheduler
    function quoteInfer(uint256 modelId, uint32 pinnedVersion, uint32 callbackGas)
        external
        view
        returns (uint256 units, uint256 fee)
    {
        IModelRegistry.Resolved memory m = _registry.resolve(modelId, pinnedVersion);
        units = uint256(m.gasQuote) + callbackGas + INFER_OVERHEAD;
        fee = _gasFee(units) + m.fee;
    }

    /// @inheritdoc IAgentScheduler
    function currentEpoch() external view returns (uint64) {
        return _epoch();
    }

    /// @inheritdoc IAgentScheduler
    function nextSlot() external view returns (uint64) {
        return _nextSlot;
    }

    /// @inheritdoc IAgentScheduler
    function slotLoad(uint64 slot) external view returns (uint64 reservedUnits, uint256 requests) {
        return (_slots[slot].reserved, _slotQueue[slot].length);
    }

    /// @inheritdoc IAgentScheduler
    function bulkBacklog() external view returns (uint256) {
        return _heapSize;
    }

    /// @inheritdoc IAgentScheduler
    function getAgent(uint256 agentId) external view returns (Agent memory) {
        return _agents[agentId];
    }

    /// @inheritdoc IAgentScheduler
    function getRequest(uint256 requestId) external view returns (Request memory) {
        return _requests[requestId];
    }

    /// @inheritdoc IAgentScheduler
    function weightOf(uint256 agentId) external view returns (uint256) {
        return _weight(_agents[agentId]);
    }

    /// @inheritdoc IAgentScheduler
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IAgentScheduler
    function config() external view returns (Config memory cfg, address registry, address congestion, address governor) {
        cfg = Config({
            epochLength: _epochLength,
            capacity: _capacity,
            guaranteedCapacity: _guaranteedCapacity,
            maxCallbackGas: _maxCallbackGas,
            stakeUnit: _stakeUnit,
            unitPrice: _unitPrice
        });
        return (cfg, address(_registry), address(_congestion), _governor);
    }

    // --------------------------------------------------------------- internals

    /// @dev `r` arrives with agentId, modelId, version, callbackGas, kind, class_, units and input set.
    function _submit(Request memory r, uint256 modelFee) private returns (uint256 requestId) {
        uint256 agentId = r.agentId;
        Agent storage a = _agent(agentId);
        if (msg.sender != a.owner && msg.sender != a.callback) revert NotAgentSubmitter(agentId, msg.sender);
        if (a.stake < _stakeUnit) revert StakeTooLow(a.stake, _stakeUnit);
        if (r.callbackGas > _maxCallbackGas) revert CallbackGasTooHigh(r.callbackGas, _maxCallbackGas);
        uint256 fee = _gasFee(r.units) + modelFee;
        if (fee > type(uint96).max) revert FeeTooLarge(fee);
        if (msg.value < fee) revert InsufficientFee(msg.value, fee);

        r.submitEpoch = _epoch();
        if (r.class_ == LatencyClass.Bulk) {
            uint256 bulkShare = _capacity - _guaranteedCapacity;
            if (r.units > bulkShare) revert RequestTooLarge(r.units, bulkShare);
        } else {
            (r.slot, r.deadline) = _admit(r.class_, r.submitEpoch, r.units);
        }
        r.status = RequestStatus.Queued;
        r.requester = msg.sender;
        r.fee = uint96(fee);

        requestId = ++_requestCount;
        _requests[requestId] = r;
        a.pending += 1;

        if (r.class_ == LatencyClass.Bulk) {
            // Self-clocked fair queuing: finish = max(V, agent's last finish) + units / weight.
            uint256 start = a.lastFinish > _virtualTime ? a.lastFinish : _virtualTime;
            uint256 finish = start + (uint256(r.units) * TAG_SCALE) / _weight(a);
            a.lastFinish = uint128(finish);
            _heapPush((finish << 64) | requestId);
        } else {
            _slotQueue[r.slot].push(requestId);
        }
        if (msg.value > fee) _balances[msg.sender] += msg.value - fee;
        emit RequestSubmitted(requestId, agentId, r.kind, r.class_, r.slot, r.deadline, r.units, fee);
    }

    /// @dev RT reserves the next slot. Interactive reserves the earliest of the next three slots in
    ///      which Interactive load stays within 3/4 of the guaranteed capacity, so at least a quarter
    ///      of every slot's guaranteed capacity is always left for RT.
    function _admit(LatencyClass class_, uint64 epoch, uint256 units) private returns (uint64 slot, uint64 deadline) {
        uint256 guaranteed = _guaranteedCapacity;
        if (units > guaranteed) revert RequestTooLarge(units, guaranteed);
        if (class_ == LatencyClass.RT) {
            slot = epoch + 1;
            SlotInfo storage info = _slots[slot];
            if (info.reserved + units > guaranteed) revert CapacityExhausted(class_, slot, slot);
            info.reserved += uint64(units);
            return (slot, slot);
        }
        uint256 interactiveCap = guaranteed - guaranteed / 4;
        deadline = epoch + 3;
        for (slot = epoch + 1; slot <= deadline; ++slot) {
            SlotInfo storage info = _slots[slot];
            if (info.reserved + units <= guaranteed && info.interactive + units <= interactiveCap) {
                info.reserved += uint64(units);
                info.interactive += uint64(units);
                return (slot, deadline);
            }
        }
        revert CapacityExhausted(class_, epoch + 1, deadline);
    }

    /// @dev Checks-effects-interactions: the request is marked executed and fees are credited before
    ///      any external call; the callback runs with exactly its gas and its return data is not copied.
    function _execute(uint256 id, Request storage r, uint64 slot, uint256 mult, uint256 one) private {
        r.status = RequestStatus.Executed;
        r.slot = slot;
        _agents[r.agentId].pending -= 1;

        bytes memory data;
        bytes32 commit;
        if (r.kind == RequestKind.Tick) {
            _balances[_governor] += r.fee;
            data = abi.encodeCall(IAgentCallback.onAgentTick, (id, slot));
        } else {
            bool ok;
            (ok, commit, data) = _infer(id, r, slot, mult, one);
            if (!ok) return;
        }

        uint256 callbackGas = r.callbackGas;
        address callback = _agents[r.agentId].callback;
        // EIP-150 forwards at most 63/64 of what is left: make sure the callback really gets `gas`.
        uint256 needed = callbackGas + callbackGas / 63 + CALLBACK_RESERVE;
        if (gasleft() < needed) revert InsufficientGas(needed, gasleft());
        bool callbackOk;
        assembly {
            callbackOk := call(callbackGas, callback, 0, add(data, 32), mload(data), 0, 0)
        }
        emit RequestExecuted(id, slot, callbackOk, commit);
    }

    /// @dev Resolves the request's version again, runs it, settles the fee. Returns the callback data
    ///      on success; on failure it has already refunded what is due and emitted the events.
    function _infer(uint256 id, Request storage r, uint64 slot, uint256 mult, uint256 one)
        private
        returns (bool ok, bytes32 commit, bytes memory data)
    {
        // Enough gas for the registry read, so a keeper cannot turn a short gas supply into a refund.
        if (gasleft() < RESOLVE_RESERVE) revert InsufficientGas(RESOLVE_RESERVE, gasleft());
        IModelRegistry.Resolved memory m;
        try _registry.resolve(r.modelId, r.version) returns (IModelRegistry.Resolved memory resolved) {
            m = resolved;
        } catch (bytes memory reason) {
            // Revoked after submission: an unapproved version never runs, and the requester is refunded.
            emit ExecutionFailed(id, slot, reason);
            _agents[r.agentId].pending += 1; // undo the caller's decrement: _refund makes it
            _refund(id, r);
            return (false, bytes32(0), reason);
        }
        uint256 modelGas = (uint256(m.gasQuote) * (mult > one ? mult : one) + one - 1) / one;
        // The model must get its full quoted gas: then an out-of-gas is the version's fault, not the caller's.
        uint256 needed = modelGas + modelGas / 63 + uint256(r.callbackGas) + RESOLVE_RESERVE;
        if (gasleft() < needed) revert InsufficientGas(needed, gasleft());
        bytes memory output;
        (ok, commit, output) = _runModel(m.programHandle, r.input, modelGas);
        if (!ok) {
            // The gas was spent (gas fee kept); the model fee goes back to the requester.
            emit ExecutionFailed(id, slot, output);
            _balances[_governor] += r.fee - m.fee;
            _balances[r.requester] += m.fee;
            emit Refunded(id, r.requester, m.fee);
            return (false, bytes32(0), output);
        }
        uint256 ownerShare = (uint256(m.fee) * m.revenueShareBps) / 10_000;
        _balances[m.owner] += ownerShare;
        _balances[_governor] += r.fee - ownerShare;
        data = abi.encodeCall(IAgentCallback.onInferenceResult, (id, commit, output));
    }

    /// @dev Runs the stored program on the stored input through TCUSTOM (0x…A103) with at most
    ///      `gasLimit`, then takes the output's Tensor Commit through TCOMMIT (0x…A106). Failures are
    ///      returned, not thrown, so one bad request cannot block an epoch.
    function _runModel(bytes32 programId, bytes32 input, uint256 gasLimit)
        private
        returns (bool ok, bytes32 commit, bytes memory output)
    {
        bytes[] memory inputs = new bytes[](1);
        inputs[0] = AIVM.persistentRef(input);
        bytes memory ret;
        (ok, ret) = AIVM.TCUSTOM.call{gas: gasLimit}(abi.encode(programId, inputs, uint8(0)));
        // An empty return means no precompile answered (a chain without AIVM): fail, do not decode.
        if (!ok || ret.length < 64) return (false, bytes32(0), ret);
        bytes[] memory outputs = abi.decode(ret, (bytes[]));
        if (outputs.length == 0) return (false, bytes32(0), ret);
        output = outputs[0];
        (ok, ret) = AIVM.TCOMMIT.staticcall(abi.encode(AIVM.COMMIT_TENSOR, output));
        // TCOMMIT of a tensor TCUSTOM just produced fails only for lack of gas: the caller's fault.
        if (!ok && ret.length == 0) revert InsufficientGas(0, gasleft());
        if (!ok || ret.length < 32) return (false, bytes32(0), ret);
        commit = abi.decode(ret, (bytes32));
    }

    function _refund(uint256 id, Request storage r) private {
        r.status = RequestStatus.Refunded;
        _agents[r.agentId].pending -= 1;
        _balances[r.requester] += r.fee;
        emit Refunded(id, r.requester, r.fee);
    }

    /// @dev weight = 4·min(isqrt(stake / stakeUnit), 32) + min(recentWait, 4).
    function _weight(Agent storage a) private view returns (uint256) {
        uint256 steps = _isqrtCapped(a.stake / _stakeUnit, MAX_STAKE_STEPS);
        uint256 credit = a.recentWait < MAX_LATENCY_CREDIT ? a.recentWait : MAX_LATENCY_CREDIT;
        return STAKE_STEP_WEIGHT * steps + credit;
    }

    /// @dev min(floor(sqrt(x)), cap) by binary search over [0, cap].
    function _isqrtCapped(uint256 x, uint256 cap) private pure returns (uint256) {
        if (x >= cap * cap) return cap;
        uint256 lo;
        uint256 hi = cap;
        while (lo < hi) {
            uint256 mid = (lo + hi + 1) / 2;
            if (mid * mid <= x) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    function _gasFee(uint256 units) private view returns (uint256) {
        (uint256 mult, uint256 one) = _multiplier();
        return ((units * mult + one - 1) / one) * _unitPrice;
    }

    /// @dev The block's congestion multiplier; 1.0 when no congestion contract is linked or it is unset.
    function _multiplier() private view returns (uint256 mult, uint256 one) {
        ICongestion c = _congestion;
        if (address(c) == address(0) || address(c).code.length == 0) return (1, 1);
        one = c.one();
        mult = c.multiplier();
        if (one == 0 || mult == 0) return (1, 1);
    }

    function _epoch() private view returns (uint64) {
        return uint64(block.number / _epochLength);
    }

    function _agent(uint256 agentId) private view returns (Agent storage a) {
        a = _agents[agentId];
        if (a.owner == address(0)) revert UnknownAgent(agentId);
    }

    function _ownedAgent(uint256 agentId) private view returns (Agent storage a) {
        a = _agent(agentId);
        if (a.owner != msg.sender) revert NotAgentOwner(agentId, msg.sender);
    }

    function _heapPush(uint256 key) private {
        uint256 i = uint256(_heapSize) + 1;
        _heapSize = uint128(i);
        while (i > 1) {
            uint256 parent = i / 2;
            uint256 pk = _heap[parent];
            if (pk <= key) break;
            _heap[i] = pk;
            i = parent;
        }
        _heap[i] = key;
    }

    function _heapPop(uint128 size) private returns (uint128 newSize) {
        uint256 last = _heap[size];
        delete _heap[size];
        newSize = size - 1;
        _heapSize = newSize;
        if (newSize == 0) return 0;
        uint256 i = 1;
        while (true) {
            uint256 child = 2 * i;
            if (child > newSize) break;
            uint256 ck = _heap[child];
            if (child < newSize) {
                uint256 rk = _heap[child + 1];
                if (rk < ck) {
                    ck = rk;
                    ++child;
                }
            }
            if (last <= ck) break;
            _heap[i] = ck;
            i = child;
        }
        _heap[i] = last;
    }
}
