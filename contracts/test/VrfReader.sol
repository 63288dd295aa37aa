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

    /// @notice A seed loaded in a frame that then reverted, carried out in the revert data.
    error Loaded(bytes seed);

    /// @notice A failed precompile call and a reverted frame that loaded a seed, then a seed load:
    ///         neither counts as an earlier call, so all three see call index 0.
    /// @return inReverted The seed the reverted frame loaded.
    /// @return afterwards The seed loaded after both.
    function sampleAfterFailures(bytes32 salt) external returns (bytes memory inReverted, bytes memory afterwards) {
        (bool ok,) = address(0xA104).staticcall(hex"00");
        require(!ok, "malformed TLOAD input succeeded");
        try this.loadAndRevert(salt) {}
        catch (bytes memory reason) {
            assembly {
                // Skip the 4-byte selector: what follows is abi.encode(bytes).
                mstore(add(reason, 4), sub(mload(reason), 4))
                reason := add(reason, 4)
            }
            inReverted = abi.decode(reason, (bytes));
        }
        afterwards = AIVM.load(AIVM.seedRef(salt), 0);
        firstSeed = keccak256(afterwards);
    }

    /// @notice Loads `seedRef(salt)` and reverts with it.
    function loadAndRevert(bytes32 salt) external view {
        revert Loaded(AIVM.load(AIVM.seedRef(salt), 0));
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
