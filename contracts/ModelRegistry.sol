// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";

/// @title ModelRegistry
/// @notice AIVM models and custom kernels with content-pinned, immutable versions under governance.
///         Deployed with its governance in the constructor, or predeployed at 0x…A120 with that
///         same storage written by the chain's genesis (a predeploy's constructor never runs).
/// @dev Storage layout (declaration order, packed by solc): slot 0 governor|threshold|timelock,
///      slot 1 approverSetId|modelCount, then mappings. The slots genesis writes are pinned by the
///      `*_SLOT` constants below; see docs/registry.md#storage-and-genesis.
contract ModelRegistry is IModelRegistry {
    /// @dev Highest accepted tensor rank in a schema (matches the engine's MAX_RANK).
    uint256 private constant MAX_RANK = 8;
    /// @dev Highest dtype code in docs/spec.md.
    uint256 private constant MAX_DTYPE = 15;
    /// @dev Highest aggregation policy code.
    uint8 private constant MAX_AGGREGATION = 3;
    /// @dev Highest quantization code.
    uint8 private constant MAX_QUANTIZATION = 1;

    // Pinned storage: src/chain/predeploys.ts (REGISTRY_LAYOUT) writes these slots at genesis, and
    // test/contracts/storage-layout.test.ts checks them against solc's storageLayout. Do not reorder
    // the variables below; append new ones after the mappings.
    /// @dev _governor (offset 0), _threshold (offset 20), _timelock (offset 22).
    uint256 internal constant GOVERNANCE_SLOT = 0;
    /// @dev _approverSetId (offset 0), _modelCount (offset 4).
    uint256 internal constant COUNTERS_SLOT = 1;
    /// @dev The _isApprover mapping: approverSetId => account => member.
    uint256 internal constant APPROVERS_SLOT = 2;

    address private _governor;
    uint16 private _threshold;
    uint64 private _timelock;
    uint32 private _approverSetId;
    uint64 private _modelCount;

    /// @dev approverSetId => account => member. A new set id invalidates the old set without iteration.
    mapping(uint32 => mapping(address => bool)) private _isApprover;
    mapping(uint256 => Model) private _models;
    mapping(uint256 => mapping(uint32 => Version)) private _versions;
    /// @dev modelId => version => approver => approver set id the approval was given under (0 = none).
    mapping(uint256 => mapping(uint32 => mapping(address => uint32))) private _approvedInSet;
    /// @dev modelId => content hash => already registered (a version's content is registered once).
    mapping(uint256 => mapping(bytes32 => bool)) private _contentSeen;

    modifier onlyGovernor() {
        if (msg.sender != _governor) revert NotGovernor(msg.sender);
        _;
    }

    /// @notice Sets up governance at deployment, so no later call can claim the registry.
    /// @param governor Account that manages the approver set, the timelock and revocations.
    /// @param approvers Initial approver set (no duplicates, no zero address); it gets set id 1.
    /// @param threshold Approvals needed to queue a version (1..approvers.length).
    /// @param timelock Seconds between queueing and the earliest activation.
    constructor(address governor, address[] memory approvers, uint16 threshold, uint64 timelock) {
        if (governor == address(0)) revert ZeroAddress();
        _governor = governor;
        _timelock = timelock;
        _setApprovers(approvers, threshold);
        emit Initialized(governor, timelock);
    }

    /// @inheritdoc IModelRegistry
    function setApprovers(address[] calldata approvers, uint16 threshold) external onlyGovernor {
        _setApprovers(approvers, threshold);
    }

    /// @inheritdoc IModelRegistry
    function setTimelock(uint64 timelock) external onlyGovernor {
        _timelock = timelock;
        emit TimelockChanged(timelock);
    }

    /// @inheritdoc IModelRegistry
    function transferGovernor(address newGovernor) external onlyGovernor {
        if (newGovernor == address(0)) revert ZeroAddress();
        emit GovernorTransferred(_governor, newGovernor);
        _governor = newGovernor;
    }

    /// @inheritdoc IModelRegistry
    function createModel(bytes32 name, Kind kind) external returns (uint256 modelId) {
        modelId = ++_modelCount;
        _models[modelId] = Model({owner: msg.sender, kind: kind, activeVersion: 0, versionCount: 0, name: name});
        emit ModelCreated(modelId, msg.sender, kind, name);
    }

    /// @inheritdoc IModelRegistry
    function transferModelOwnership(uint256 modelId, address newOwner) external {
        Model storage model = _ownedModel(modelId);
        if (newOwner == address(0)) revert ZeroAddress();
        emit ModelOwnershipTransferred(modelId, model.owner, newOwner);
        model.owner = newOwner;
    }

    /// @inheritdoc IModelRegistry
    function proposeVersion(uint256 modelId, VersionSpec calldata spec) external returns (uint32 version) {
        Model storage model = _ownedModel(modelId);
        if (spec.programHandle == bytes32(0)) revert InvalidSpec("programHandle");
        if (spec.programHash == bytes32(0)) revert InvalidSpec("programHash");
        if (spec.gasQuote == 0) revert InvalidSpec("gasQuote");
        if (spec.revenueShareBps > 10_000) revert InvalidSpec("revenueShareBps");
        if (spec.aggregation > MAX_AGGREGATION) revert InvalidSpec("aggregation");
        if (spec.quantization > MAX_QUANTIZATION) revert InvalidSpec("quantization");
        _checkSchema(spec.inputSchema);
        _checkSchema(spec.outputSchema);

        bytes32 contentHash = keccak256(abi.encode(spec));
        if (_contentSeen[modelId][contentHash]) revert DuplicateContent(modelId, contentHash);
        _contentSeen[modelId][contentHash] = true;

        version = ++model.versionCount;
        _versions[modelId][version] = Version({
            contentHash: contentHash,
            weightsRoot: spec.weightsRoot,
            programHash: spec.programHash,
            programHandle: spec.programHandle,
            gasQuote: spec.gasQuote,
            fee: spec.fee,
            revenueShareBps: spec.revenueShareBps,
            status: Status.Proposed,
            approvals: 0,
            approverSetId: _approverSetId,
            proposedAt: uint64(block.timestamp),
            eta: 0,
            activatedAt: 0
        });
        emit VersionProposed(modelId, version, contentHash, spec);
    }

    /// @inheritdoc IModelRegistry
    function approveVersion(uint256 modelId, uint32 version) external {
        uint32 setId = _approverSetId;
        if (!_isApprover[setId][msg.sender]) revert NotApprover(msg.sender);
        Version storage v = _existingVersion(modelId, version);
        if (v.status != Status.Proposed) revert InvalidStatus(modelId, version, v.status);
        if (_approvedInSet[modelId][version][msg.sender] == setId) {
            revert AlreadyApproved(modelId, version, msg.sender);
        }
        _approvedInSet[modelId][version][msg.sender] = setId;
        // Approvals given under an earlier approver set stop counting once the set changes.
        uint16 approvals = v.approverSetId == setId ? v.approvals + 1 : 1;
        v.approverSetId = setId;
        v.approvals = approvals;
        emit VersionApproved(modelId, version, msg.sender, approvals);
        if (approvals < _threshold) return;

        uint64 eta = uint64(block.timestamp) + _timelock;
        v.status = Status.Queued;
        v.eta = eta;
        emit VersionQueued(modelId, version, eta);
        if (_timelock == 0) _activate(modelId, version, v);
    }

    /// @inheritdoc IModelRegistry
    function activateVersion(uint256 modelId, uint32 version) external {
        Version storage v = _existingVersion(modelId, version);
        if (v.status != Status.Queued) revert InvalidStatus(modelId, version, v.status);
        if (block.timestamp < v.eta) revert TimelockNotElapsed(modelId, version, v.eta);
        _activate(modelId, version, v);
    }

    /// @inheritdoc IModelRegistry
    function revokeVersion(uint256 modelId, uint32 version) external onlyGovernor {
        Version storage v = _existingVersion(modelId, version);
        if (v.status == Status.Revoked) revert InvalidStatus(modelId, version, v.status);
        v.status = Status.Revoked;
        Model storage model = _models[modelId];
        if (model.activeVersion == version) model.activeVersion = 0;
        emit VersionRevoked(modelId, version);
    }

    /// @inheritdoc IModelRegistry
    function resolve(uint256 modelId, uint32 pinnedVersion) external view returns (Resolved memory r) {
        Model storage model = _models[modelId];
        if (model.owner == address(0)) revert UnknownModel(modelId);
        uint32 version = pinnedVersion;
        if (version == 0) {
            version = model.activeVersion;
            if (version == 0) revert NoActiveVersion(modelId);
        }
        if (version > model.versionCount) revert UnknownVersion(modelId, version);
        Version storage v = _versions[modelId][version];
        if (v.status != Status.Active) revert VersionNotExecutable(modelId, version, v.status);
        r = Resolved({
            version: version,
            kind: model.kind,
            owner: model.owner,
            programHandle: v.programHandle,
            contentHash: v.contentHash,
            gasQuote: v.gasQuote,
            fee: v.fee,
            revenueShareBps: v.revenueShareBps
        });
    }

    /// @inheritdoc IModelRegistry
    function getModel(uint256 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /// @inheritdoc IModelRegistry
    function getVersion(uint256 modelId, uint32 version) external view returns (Version memory) {
        return _versions[modelId][version];
    }

    /// @inheritdoc IModelRegistry
    function isApprover(address account) external view returns (bool) {
        return _isApprover[_approverSetId][account];
    }

    /// @inheritdoc IModelRegistry
    function governance()
        external
        view
        returns (address governor, uint16 threshold, uint64 timelock, uint32 approverSetId, uint256 modelCount)
    {
        return (_governor, _threshold, _timelock, _approverSetId, _modelCount);
    }

    function _setApprovers(address[] memory approvers, uint16 threshold) private {
        if (threshold == 0 || threshold > approvers.length) revert InvalidThreshold(threshold, approvers.length);
        uint32 setId = ++_approverSetId;
        for (uint256 i; i < approvers.length; ++i) {
            address a = approvers[i];
            if (a == address(0)) revert ZeroAddress();
            if (_isApprover[setId][a]) revert DuplicateApprover(a);
            _isApprover[setId][a] = true;
        }
        _threshold = threshold;
        emit ApproversChanged(setId, approvers, threshold);
    }

    function _activate(uint256 modelId, uint32 version, Version storage v) private {
        v.status = Status.Active;
        v.activatedAt = uint64(block.timestamp);
        Model storage model = _models[modelId];
        uint32 previous = model.activeVersion;
        // A late activation of an older version keeps it pinnable without displacing a newer active one.
        if (version > previous) model.activeVersion = version;
        emit VersionActivated(modelId, version, previous);
    }

    function _ownedModel(uint256 modelId) private view returns (Model storage model) {
        model = _models[modelId];
        if (model.owner == address(0)) revert UnknownModel(modelId);
        if (model.owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
    }

    function _existingVersion(uint256 modelId, uint32 version) private view returns (Version storage v) {
        Model storage model = _models[modelId];
        if (model.owner == address(0)) revert UnknownModel(modelId);
        if (version == 0 || version > model.versionCount) revert UnknownVersion(modelId, version);
        v = _versions[modelId][version];
    }

    /// @dev A schema is a non-empty list of packed tensor specs: dtype, rank (1..8), rank × uint32 dims > 0.
    function _checkSchema(bytes calldata schema) private pure {
        uint256 n = schema.length;
        if (n == 0) revert InvalidSchema(0);
        uint256 i;
        while (i < n) {
            if (i + 2 > n) revert InvalidSchema(i);
            uint256 dtype = uint8(schema[i]);
            uint256 rank = uint8(schema[i + 1]);
            if (dtype > MAX_DTYPE || rank == 0 || rank > MAX_RANK) revert InvalidSchema(i);
            uint256 end = i + 2 + 4 * rank;
            if (end > n) revert InvalidSchema(i);
            for (uint256 p = i + 2; p < end; p += 4) {
                if (uint32(bytes4(schema[p:p + 4])) == 0) revert InvalidSchema(p);
            }
            i = end;
        }
    }
}
