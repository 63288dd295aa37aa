// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAgentScheduler
/// @notice Agents stake and submit AGENT_TICK and MODEL_INFER requests into epoch-bound queues by
///         latency class. RT and Interactive requests are admitted only if capacity is reserved for
///         them in a slot no later than their deadline; Bulk requests share the remaining capacity in
///         start-time fair queuing order weighted by a capped square root of stake. Predeployed at
///         0x000000000000000000000000000000000000A121; the node calls `processEpoch()` at every
///         epoch boundary (docs/scheduler.md).
interface IAgentScheduler {
    /// @notice Latency class: RT must run within 1 epoch, Interactive within 3, Bulk is best effort.
    enum LatencyClass {
        RT,
        Interactive,
        Bulk
    }

    /// @notice What a request does.
    enum RequestKind {
        Tick,
        Infer
    }

    /// @notice Request life cycle.
    enum RequestStatus {
        None,
        Queued,
        Executed,
        Refunded
    }

    /// @notice Parameters fixed at deployment (constructor or genesis).
    struct Config {
        uint32 epochLength; // blocks per epoch
        uint64 capacity; // gas units executable per slot
        uint64 guaranteedCapacity; // at most this many units per slot are reserved for RT + Interactive
        uint32 maxCallbackGas; // upper bound on a request's callback gas
        uint96 stakeUnit; // minimum stake; the stake weight counts whole units
        uint64 unitPrice; // wei per gas unit at multiplier 1.0
    }

    /// @notice An agent: owner, stake, where results go, open requests, and its fair-queuing state.
    struct Agent {
        address owner;
        uint96 stake;
        address callback;
        uint32 pending;
        uint16 recentWait;
        uint128 lastFinish;
    }

    /// @notice A request as stored (4 slots).
    struct Request {
        uint64 agentId;
        uint64 modelId;
        uint32 version;
        uint32 callbackGas;
        RequestKind kind;
        LatencyClass class_;
        RequestStatus status;
        uint64 submitEpoch;
        uint64 deadline; // last slot that meets the deadline (0 for Bulk)
        uint64 slot; // reserved slot (RT / Interactive) or executed slot (Bulk, once run)
        uint64 units;
        address requester;
        uint96 fee;
        bytes32 input;
    }

    /// @notice A config parameter is out of range (checked by the constructor).
    error InvalidConfig();
    /// @notice A required address is zero.
    error ZeroAddress();
    /// @notice A state-changing entry point was re-entered (e.g. from a callback).
    error Reentrancy();
    /// @notice No agent has this id.
    error UnknownAgent(uint256 agentId);
    /// @notice Only the agent's owner may do this.
    error NotAgentOwner(uint256 agentId, address caller);
    /// @notice Only the agent's owner or callback contract may submit for it.
    error NotAgentSubmitter(uint256 agentId, address caller);
    /// @notice The stake is below the minimum.
    error StakeTooLow(uint256 stake, uint256 minimum);
    /// @notice The stake would not fit in 96 bits.
    error StakeOverflow(uint256 stake);
    /// @notice Unstaking needs no pending requests.
    error RequestsPending(uint256 agentId, uint256 pending);
    /// @notice The amount is zero, above the stake, or would leave a stake below the minimum.
    error InvalidUnstake(uint256 amount, uint256 stake);
    /// @notice The callback gas exceeds the configured maximum.
    error CallbackGasTooHigh(uint256 callbackGas, uint256 maximum);
    /// @notice `msg.value` is below the request's fee.
    error InsufficientFee(uint256 sent, uint256 fee);
    /// @notice The fee would not fit in 96 bits.
    error FeeTooLarge(uint256 fee);
    /// @notice No slot up to the class's deadline has room: the request cannot be guaranteed.
    error CapacityExhausted(LatencyClass class_, uint64 firstSlot, uint64 lastSlot);
    /// @notice The request needs more units than its class can ever get in one slot.
    error RequestTooLarge(uint256 units, uint256 maximum);
    /// @notice The next slot's epoch has not started yet.
    error EpochNotReached(uint64 slot, uint64 currentEpoch);
    /// @notice Not enough gas left to give a callback its full gas limit.
    error InsufficientGas(uint256 needed, uint256 available);
    /// @notice The caller's balance is zero.
    error NothingToWithdraw(address account);
    /// @notice Sending the balance failed.
    error TransferFailed(address account, uint256 amount);

    /// @notice Emitted once, by the constructor (a genesis predeploy, whose constructor never runs, emits nothing).
    event Initialized(address indexed registry, address indexed congestion, address indexed governor, Config config);
    /// @notice An agent was registered.
    event AgentRegistered(uint256 indexed agentId, address indexed owner, address callback, uint256 stake);
    /// @notice An agent's stake changed (top-up or unstake).
    event StakeChanged(uint256 indexed agentId, uint256 stake);
    /// @notice An agent's callback changed.
    event CallbackChanged(uint256 indexed agentId, address callback);
    /// @notice A request was admitted (`slot` and `deadline` are 0 for Bulk).
    event RequestSubmitted(
        uint256 indexed requestId,
        uint256 indexed agentId,
        RequestKind kind,
        LatencyClass class_,
        uint64 slot,
        uint64 deadline,
        uint256 units,
        uint256 fee
    );
    /// @notice A request ran; `callbackOk` is false when the callback reverted or ran out of gas.
    event RequestExecuted(uint256 indexed requestId, uint64 indexed slot, bool callbackOk, bytes32 outputCommit);
    /// @notice An inference could not run (version revoked, or the precompile failed); `reason` is its revert data.
    event ExecutionFailed(uint256 indexed requestId, uint64 indexed slot, bytes reason);
    /// @notice A reserved request's slot was processed after its deadline; it is refunded instead of run.
    event DeadlineMissed(uint256 indexed requestId, uint64 deadline, uint64 executedIn);
    /// @notice A request's fee was credited back to its requester.
    event Refunded(uint256 indexed requestId, address indexed requester, uint256 amount);
    /// @notice A slot was processed: reserved requests handled, Bulk requests run, units executed.
    event EpochProcessed(uint64 indexed slot, uint256 reservedRun, uint256 bulkRun, uint256 unitsUsed);
    /// @notice A balance was paid out.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice Registers an agent owned by the caller, staking `msg.value` (≥ stakeUnit).
    /// @param callback The IAgentCallback contract results are delivered to.
    /// @return agentId The new agent's id (sequential from 1).
    function registerAgent(address callback) external payable returns (uint256 agentId);

    /// @notice Adds `msg.value` to an agent's stake. Anyone may top up.
    /// @param agentId The agent.
    function addStake(uint256 agentId) external payable;

    /// @notice Withdraws stake to the owner's balance. Only the owner, only with no pending
    ///         requests; the remainder must be 0 (deactivates the agent) or ≥ stakeUnit.
    /// @param agentId The agent.
    /// @param amount Wei to unstake.
    function unstake(uint256 agentId, uint256 amount) external;

    /// @notice Changes where an agent's results are delivered. Only the owner.
    /// @param agentId The agent.
    /// @param callback The new callback contract.
    function setCallback(uint256 agentId, address callback) external;

    /// @notice Submits an AGENT_TICK request. Caller: the agent's owner or callback contract.
    /// @param agentId The agent.
    /// @param class_ Latency class.
    /// @param callbackGas Gas forwarded to `onAgentTick`.
    /// @return requestId The request id.
    function submitTick(uint256 agentId, LatencyClass class_, uint32 callbackGas)
        external
        payable
        returns (uint256 requestId);

    /// @notice Submits a MODEL_INFER request. The version is resolved now (0 = the active one) and
    ///         must be executable. Caller: the agent's owner or callback contract.
    /// @param agentId The agent.
    /// @param modelId The model in the ModelRegistry.
    /// @param pinnedVersion A version, or 0 to follow the active version at submission.
    /// @param input Handle of the input tensor in the persistent tensor store.
    /// @param class_ Latency class.
    /// @param callbackGas Gas forwarded to `onInferenceResult`.
    /// @return requestId The request id.
    function submitInfer(
        uint256 agentId,
        uint256 modelId,
        uint32 pinnedVersion,
        bytes32 input,
        LatencyClass class_,
        uint32 callbackGas
    ) external payable returns (uint256 requestId);

    /// @notice Executes the next unprocessed slot: its reserved RT/Interactive requests (refunding
    ///         any whose deadline has passed), then Bulk requests in fair-queue order while capacity
    ///         lasts. Anyone may call; the node calls it as a system call at each epoch boundary.
    /// @return slot The slot processed.
    function processEpoch() external returns (uint64 slot);

    /// @notice Sends the caller's balance (refunds, unstaked wei, fee revenue).
    function withdraw() external;

    /// @notice Gas units and fee of a tick request at the current multiplier.
    /// @param callbackGas Callback gas.
    function quoteTick(uint32 callbackGas) external view returns (uint256 units, uint256 fee);

    /// @notice Gas units and fee of an inference request at the current multiplier.
    /// @param modelId The model.
    /// @param pinnedVersion The version, or 0 for the active one.
    /// @param callbackGas Callback gas.
    function quoteInfer(uint256 modelId, uint32 pinnedVersion, uint32 callbackGas)
        external
        view
        returns (uint256 units, uint256 fee);

    /// @notice The epoch of the current block: block.number / epochLength.
    function currentEpoch() external view returns (uint64);

    /// @notice The next slot `processEpoch` will execute.
    function nextSlot() external view returns (uint64);

    /// @notice Units reserved in `slot` for RT + Interactive requests, and how many requests.
    /// @param slot The slot.
    function slotLoad(uint64 slot) external view returns (uint64 reservedUnits, uint256 requests);

    /// @notice Number of Bulk requests waiting.
    function bulkBacklog() external view returns (uint256);

    /// @notice An agent's record.
    /// @param agentId The agent.
    function getAgent(uint256 agentId) external view returns (Agent memory);

    /// @notice A request's record.
    /// @param requestId The request.
    function getRequest(uint256 requestId) external view returns (Request memory);

    /// @notice An agent's current fair-queuing weight (see docs/scheduler.md).
    /// @param agentId The agent.
    function weightOf(uint256 agentId) external view returns (uint256);

    /// @notice Wei withdrawable by `account`.
    /// @param account The account.
    function balanceOf(address account) external view returns (uint256);

    /// @notice The configuration and linked contracts.
    function config() external view returns (Config memory, address registry, address congestion, address governor);
}
