// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Brings AIVM's ModelRegistry into this project's build, so tests can deploy a dev registry of their own.
import {ModelRegistry} from "aivm-contracts/ModelRegistry.sol";

/// @title DevModelRegistry
/// @notice AIVM's ModelRegistry, unchanged, deployable from this project's artifacts.
contract DevModelRegistry is ModelRegistry {
    /// @notice Governance is set at deployment, as in ModelRegistry's own constructor.
    /// @param governor Manages the approver set, the timelock and revocations.
    /// @param approvers Initial approver set.
    /// @param threshold Approvals needed to queue a version (1..approvers.length).
    /// @param timelock Seconds between queueing and the earliest activation.
    constructor(address governor, address[] memory approvers, uint16 threshold, uint64 timelock)
        ModelRegistry(governor, approvers, threshold, timelock)
    {}
}
