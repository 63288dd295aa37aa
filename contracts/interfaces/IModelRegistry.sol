// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IModelRegistry
/// @notice Models and custom kernels (AIVM tensor programs) with content-pinned, immutable versions.
///         A version becomes executable only after governance approval: `threshold` approvals from
///         the approver set, then a timelock, then activation. Callers pin a version or follow the
///         active one. Predeployed at 0x000000000000000000000000000000000000A120 (see docs/registry.md).
interface IModelRegistry {
    /// @notice What a model runs as: a whole program through TGRAPH (0x…A108), or a custom kernel
    ///         through TCUSTOM (0x…A103).
    enum Kind {
        Graph,
        CustomKernel
    }

    /// @notice Life cycle of a version. Only `Active` versions (ever activated and not revoked)
    ///         can be resolved, so only they can be executed.
    enum Status {
        None,
        Proposed,
        Queued,
        Active,
        Revoked
    }

    /// @notice Everything a version pins. Its keccak256 (ABI-encoded) is the version's content hash.
    /// @dev Schemas are packed tensor specs: per tensor 1 byte dtype, 1 byte rank (1..8), then
    ///      `rank` big-endian uint32 dims (each > 0). Dtypes follow docs/spec.md (0..15).
    struct VersionSpec {
        bytes32 weightsRoot; // Merkle root over the weight shards
        bytes32[] shardHandles; // persistent tensor-store ids of the weight shards
        bytes32 programHash; // keccak256 of the tensor program's encoding
        bytes32 programHandle; // persistent tensor-store id of the program (TGRAPH) or the kernel id (TCUSTOM)
        bytes inputSchema; // packed tensor specs of the inputs
        bytes outputSchema; // packed tensor specs of the outputs
        uint32 engineVersion; // AIVM engine version the program was built for
        uint8 quantization; // 0 = int8 activations, 1 = int16 activations (weights are always int8)
        uint8 aggregation; // 0 = single run, 1 = majority of N, 2 = median of N, 3 = mean of N
        uint64 gasQuote; // exact AIVM gas of one run at multiplier 1.0 (aivm_quote)
        uint128 fee; // wei per execution, paid on top of the gas fee
        uint16 revenueShareBps; // share of `fee` credited to the model owner; the rest to the protocol
    }

    /// @notice The subset of a version that execution needs, returned by `resolve`.
    struct Resolved {
        uint32 version;
        Kind kind;
        address owner;
        bytes32 programHandle;
        bytes32 contentHash;
        uint64 gasQuote;
        uint128 fee;
        uint16 revenueShareBps;
    }

    /// @notice A version as stored.
    struct Version {
        bytes32 contentHash;
        bytes32 weightsRoot;
        bytes32 programHash;
        bytes32 programHandle;
        uint64 gasQuote;
        uint128 fee;
        uint16 revenueShareBps;
        Status status;
        uint16 approvals;
        uint32 approverSetId;
        uint64 proposedAt;
        uint64 eta;
        uint64 activatedAt;
    }

    /// @notice A model as stored.
    struct Model {
        address owner;
        Kind kind;
        uint32 activeVersion;
        uint32 versionCount;
        bytes32 name;
    }

    /// @notice Only the governor may do this.
    error NotGovernor(address caller);
    /// @notice The caller is not in the current approver set.
    error NotApprover(address caller);
    /// @notice Only the model's owner may do this.
    error NotModelOwner(uint256 modelId, address caller);
    /// @notice A required address is zero.
    error ZeroAddress();
    /// @notice The threshold must be in 1..approvers.length.
    error InvalidThreshold(uint256 threshold, uint256 approverCount);
    /// @notice An approver appears twice in the set.
    error DuplicateApprover(address approver);
    /// @notice No model has this id.
    error UnknownModel(uint256 modelId);
    /// @notice The model has no such version.
    error UnknownVersion(uint256 modelId, uint32 version);
    /// @notice The version is not in a status that allows this action.
    error InvalidStatus(uint256 modelId, uint32 version, Status status);
    /// @notice This approver already approved the version under the current approver set.
    error AlreadyApproved(uint256 modelId, uint32 version, address approver);
    /// @notice The version cannot be activated before `eta`.
    error TimelockNotElapsed(uint256 modelId, uint32 version, uint64 eta);
    /// @notice Only Active versions resolve: unapproved and revoked versions never execute.
    error VersionNotExecutable(uint256 modelId, uint32 version, Status status);
    /// @notice The model has no active version to follow.
    error NoActiveVersion(uint256 modelId);
    /// @notice A packed schema is malformed at this byte offset.
    error InvalidSchema(uint256 offset);
    /// @notice A spec field is out of range.
    error InvalidSpec(string field);
    /// @notice The same content is already registered as a version of this model.
    error DuplicateContent(uint256 modelId, bytes32 contentHash);

    /// @notice Emitted once, by the constructor (a genesis predeploy, whose constructor never runs, emits nothing).
    event Initialized(address indexed governor, uint64 timelock);
    /// @notice Emitted when the approver set or threshold changes (earlier approvals stop counting).
    event ApproversChanged(uint32 indexed approverSetId, address[] approvers, uint16 threshold);
    /// @notice Emitted when the governance timelock changes.
    event TimelockChanged(uint64 timelock);
    /// @notice Emitted when governance moves to a new governor.
    event GovernorTransferred(address indexed previousGovernor, address indexed newGovernor);
    /// @notice Emitted when a model (or custom kernel) is created.
    event ModelCreated(uint256 indexed modelId, address indexed owner, Kind kind, bytes32 name);
    /// @notice Emitted when a model changes owner.
    event ModelOwnershipTransferred(uint256 indexed modelId, address indexed previousOwner, address indexed newOwner);
    /// @notice Emitted when a version is proposed; carries the full spec so indexers need no storage reads.
    event VersionProposed(uint256 indexed modelId, uint32 indexed version, bytes32 indexed contentHash, VersionSpec spec);
    /// @notice Emitted for every approval of a version.
    event VersionApproved(uint256 indexed modelId, uint32 indexed version, address indexed approver, uint16 approvals);
    /// @notice Emitted when a version reaches the threshold; it can be activated from `eta` on.
    event VersionQueued(uint256 indexed modelId, uint32 indexed version, uint64 eta);
    /// @notice Emitted when a version becomes the model's active version.
    event VersionActivated(uint256 indexed modelId, uint32 indexed version, uint32 previousActive);
    /// @notice Emitted when governance revokes a version; it can no longer be resolved.
    event VersionRevoked(uint256 indexed modelId, uint32 indexed version);

    /// @notice Replaces the approver set and threshold. Approvals given under the old set no longer count.
    /// @param approvers New approver set.
    /// @param threshold New threshold (1..approvers.length).
    function setApprovers(address[] calldata approvers, uint16 threshold) external;

    /// @notice Sets the timelock applied to versions queued from now on.
    /// @param timelock Seconds.
    function setTimelock(uint64 timelock) external;

    /// @notice Hands governance to `newGovernor`.
    /// @param newGovernor The new governor (non-zero).
    function transferGovernor(address newGovernor) external;

    /// @notice Creates a model owned by the caller.
    /// @param name Display name (not unique).
    /// @param kind Graph (TGRAPH) or CustomKernel (TCUSTOM).
    /// @return modelId The new model's id (sequential from 1).
    function createModel(bytes32 name, Kind kind) external returns (uint256 modelId);

    /// @notice Transfers a model to a new owner.
    /// @param modelId The model.
    /// @param newOwner The new owner (non-zero).
    function transferModelOwnership(uint256 modelId, address newOwner) external;

    /// @notice Proposes a new immutable version. Only the model owner.
    /// @param modelId The model.
    /// @param spec The version's content.
    /// @return version The new version number (sequential from 1).
    function proposeVersion(uint256 modelId, VersionSpec calldata spec) external returns (uint32 version);

    /// @notice Approves a proposed version. Only approvers; once each per approver set.
    /// @param modelId The model.
    /// @param version The version.
    function approveVersion(uint256 modelId, uint32 version) external;

    /// @notice Activates a queued version whose timelock has elapsed. Anyone may call.
    /// @param modelId The model.
    /// @param version The version.
    function activateVersion(uint256 modelId, uint32 version) external;

    /// @notice Revokes a version (emergency brake). Only the governor. If it was the active
    ///         version the model has no active version until another is activated.
    /// @param modelId The model.
    /// @param version The version.
    function revokeVersion(uint256 modelId, uint32 version) external;

    /// @notice The version to execute: `pinnedVersion`, or the active version when it is 0.
    ///         Reverts unless the version is Active (approved, activated and not revoked).
    /// @param modelId The model.
    /// @param pinnedVersion A version number, or 0 to follow the active version.
    function resolve(uint256 modelId, uint32 pinnedVersion) external view returns (Resolved memory);

    /// @notice A model's record.
    /// @param modelId The model.
    function getModel(uint256 modelId) external view returns (Model memory);

    /// @notice A version's record.
    /// @param modelId The model.
    /// @param version The version.
    function getVersion(uint256 modelId, uint32 version) external view returns (Version memory);

    /// @notice Whether `account` is in the current approver set.
    /// @param account The account.
    function isApprover(address account) external view returns (bool);

    /// @notice The governor, threshold, timelock, current approver set id and model count.
    function governance()
        external
        view
        returns (address governor, uint16 threshold, uint64 timelock, uint32 approverSetId, uint256 modelCount);
}
