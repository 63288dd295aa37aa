// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IBlockRandomness} from "../interfaces/IBlockRandomness.sol";

/// @title BlockRandomness
/// @notice Predeployed at 0x…A113. Has no writers in Solidity: genesis sets the public key, and the
///         node's start-of-block hook (src/chain/block-randomness.ts) writes each block's record at
///         the slots below, so the randomness is part of the state root. A block's record is the
///         five words from keccak256(abi.encode(blockNumber, RECORDS_SLOT)): beta[0:32],
///         beta[32:64], pi[0:32], pi[32:64], pi[64:80] left-aligned.
contract BlockRandomness is IBlockRandomness {
    /// @dev The producer's VRF public key (bytes32), written at genesis.
    uint256 internal constant PUBLIC_KEY_SLOT = 0;
    /// @dev The last block with a record (uint256).
    uint256 internal constant LATEST_SLOT = 1;
    /// @dev Base of the per-block records, mapping(uint256 blockNumber => bytes32[5]).
    uint256 internal constant RECORDS_SLOT = 2;

    /// @inheritdoc IBlockRandomness
    function vrfOutput(uint256 blockNumber) external view returns (bytes32 out) {
        uint256 base = _record(blockNumber);
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, sload(base))
            mstore(add(ptr, 32), sload(add(base, 1)))
            out := keccak256(ptr, 64)
        }
    }

    /// @inheritdoc IBlockRandomness
    function vrfProof(uint256 blockNumber) external view returns (bytes memory pi, bytes memory beta) {
        uint256 base = _record(blockNumber);
        bytes32 b0;
        bytes32 b1;
        bytes32 p0;
        bytes32 p1;
        bytes32 p2;
        assembly ("memory-safe") {
            b0 := sload(base)
            b1 := sload(add(base, 1))
            p0 := sload(add(base, 2))
            p1 := sload(add(base, 3))
            p2 := sload(add(base, 4))
        }
        beta = abi.encodePacked(b0, b1);
        pi = abi.encodePacked(p0, p1, bytes16(p2));
    }

    /// @inheritdoc IBlockRandomness
    function publicKey() external view returns (bytes32 key) {
        assembly ("memory-safe") {
            key := sload(PUBLIC_KEY_SLOT)
        }
    }

    /// @inheritdoc IBlockRandomness
    function latest() external view returns (uint256 n) {
        assembly ("memory-safe") {
            n := sload(LATEST_SLOT)
        }
    }

    /// @dev The record's first slot; reverts when the block has none (a real beta is never all zero).
    function _record(uint256 blockNumber) private view returns (uint256 base) {
        uint256 b0;
        uint256 b1;
        uint256 latestBlock;
        assembly ("memory-safe") {
            mstore(0, blockNumber)
            mstore(32, RECORDS_SLOT)
            base := keccak256(0, 64)
            b0 := sload(base)
            b1 := sload(add(base, 1))
            latestBlock := sload(LATEST_SLOT)
        }
        if (b0 == 0 && b1 == 0) revert VrfNotAvailable(blockNumber, latestBlock);
    }
}
