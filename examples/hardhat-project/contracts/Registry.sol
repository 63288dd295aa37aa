// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Brings AIVM's ModelRegistry into this project's build, so tests can deploy a dev registry of their own.
import {ModelRegistry} from "aivm-contracts/ModelRegistry.sol";

/// @title DevModelRegistry
/// @notice AIVM's ModelRegistry, unchanged, deployable from this project's artifacts.
contract DevModelRegistry is ModelRegistry {}
