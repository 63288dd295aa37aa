// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "../AIVM.sol";
import {IBlockRandomness} from "../interfaces/IBlockRandomness.sol";

/// @title VrfReader
/// @notice Test contract (test/chain/vrf-chain.test.ts): reads the current block's VRF output inside
///         a transaction and loads seed handles through TLOAD, keeping what it saw.
contract VrfReader {
    IBlockRandomness internal constant RANDOMNESS = IBlockRandomness(address(0xA113));

    /// @notice The block of the last `record` and the output it read.
    uint256 public lastBlock;
    bytes32 public lastOutput;
    /// @notice keccak256 of the two tensors the last `sample` loaded.
    bytes32 public firstSeed;
    bytes32 public secondSeed;

    /// @notice Reads this block's VRF output (written before the block's first transaction).
    function record() external returns (bytes32 output) {
        output = RANDOMNESS.vrfOutput(block.number);
        lastBlock = block.number;
        lastOutput = output;
    }

    /// @notice Loads `seedRef(salt)` twice: the two calls have call indices n and n + 1.
    /// @return first The first seed tensor (int32[8], wire format).
    /// @return second The second.
    function sample(bytes32 salt) external returns (bytes memory first, bytes memory second) {
        first = AIVM.load(AIVM.seedRef(salt), 0);
        second = AIVM.load(AIVM.seedRef(salt), 0);
        firstSeed = keccak256(first);
        secondSeed = keccak256(second);
    }
}
