// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AivmScript} from "aivm/foundry/AivmTest.sol";
import {AIVM} from "aivm/AIVM.sol";
import {MatmulExample} from "../src/MatmulExample.sol";

/// @notice Deploys MatmulExample on `aivm node` and computes a product with it locally:
///         forge script script/Deploy.s.sol --rpc-url http://127.0.0.1:8545 --broadcast --private-key <key>
///         forge runs `run()` locally (AivmScript's shims answer the precompile calls through
///         `aivm ffi`), simulates the broadcast transactions against the node's state, then sends them.
///         forge's simulation runs on a fresh fork without the shims, so a broadcast transaction that
///         calls a precompile needs --skip-simulation: see `record` (docs/foundry.md#forge-script-and-cast-against-aivm-node).
contract Deploy is AivmScript {
    function operands() public pure returns (bytes memory a, bytes memory b) {
        int8[] memory av = new int8[](4);
        int8[] memory bv = new int8[](4);
        (av[0], av[1], av[2], av[3]) = (1, 2, 3, 4);
        (bv[0], bv[1], bv[2], bv[3]) = (5, -6, 7, -8);
        a = AIVM.int8Matrix(2, 2, av);
        b = AIVM.int8Matrix(2, 2, bv);
    }

    /// @return example The deployed contract.
    /// @return product A·B as the shims computed it (the node returns the same bytes for `multiply`).
    /// @return commit Its Tensor Commit.
    function run() external returns (MatmulExample example, bytes memory product, bytes32 commit) {
        vm.startBroadcast();
        example = new MatmulExample();
        vm.stopBroadcast();
        (bytes memory a, bytes memory b) = operands();
        (product, commit) = example.multiply(a, b);
    }

    /// @notice Sends `record(a, b)`, a transaction that calls TMATMUL and TCOMMIT on the node.
    ///         forge script script/Deploy.s.sol --sig "record(address)" <example> --rpc-url … --broadcast --skip-simulation --private-key <key>
    /// @return commit The commit the shims computed for it (the node's event carries the same).
    function record(MatmulExample example) external returns (bytes32 commit) {
        (bytes memory a, bytes memory b) = operands();
        vm.startBroadcast();
        commit = example.record(a, b);
        vm.stopBroadcast();
    }
}
