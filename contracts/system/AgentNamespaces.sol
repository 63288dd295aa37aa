// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title AgentNamespaces
/// @notice Predeployed at 0x…A112. Per-contract agent memory: owner → key → content id of a tensor
///         in the persistent store. Only TSTORE (target NAMESPACE) writes it, and only into the
///         calling contract's own namespace; reading is open. Slot 0 holds the mapping.
contract AgentNamespaces {
    mapping(address owner => mapping(bytes32 key => bytes32 contentId)) private _entries;

    /// @notice The content id stored under `key` in `owner`'s namespace (zero when unset).
    /// @param owner The contract that owns the namespace.
    /// @param key The entry key.
    function get(address owner, bytes32 key) external view returns (bytes32) {
        return _entries[owner][key];
    }
}
