// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm, VM_ADDRESS} from "./Vm.sol";

/// @title Test
/// @notice A small base for forge tests in the spirit of forge-std's `Test` (which forge would
///         download with git): the cheatcodes as `vm`, assertions that forward to the assertion
///         cheatcodes (so failures read as in forge-std), and ds-test's log events, which forge
///         prints under "Logs:" and reports in `forge test --json` as decoded logs.
abstract contract Test {
    Vm internal constant vm = Vm(VM_ADDRESS);

    /// @notice forge runs every public function starting with `test` of a contract marked this way.
    bool public IS_TEST = true;

    event log(string);
    event log_named_uint(string key, uint256 val);
    event log_named_int(string key, int256 val);
    event log_named_bytes32(string key, bytes32 val);
    event log_named_bytes(string key, bytes val);
    event log_named_string(string key, string val);
    event log_named_address(string key, address val);

    function assertTrue(bool condition, string memory err) internal pure {
        vm.assertTrue(condition, err);
    }

    function assertEq(uint256 left, uint256 right, string memory err) internal pure {
        vm.assertEq(left, right, err);
    }

    function assertEq(int256 left, int256 right, string memory err) internal pure {
        vm.assertEq(left, right, err);
    }

    function assertEq(bytes32 left, bytes32 right, string memory err) internal pure {
        vm.assertEq(left, right, err);
    }

    function assertEq(address left, address right, string memory err) internal pure {
        vm.assertEq(left, right, err);
    }

    function assertEq(bytes memory left, bytes memory right, string memory err) internal pure {
        vm.assertEq(left, right, err);
    }

    function assertEq(string memory left, string memory right, string memory err) internal pure {
        vm.assertEq(left, right, err);
    }

    function assertNotEq(bytes32 left, bytes32 right, string memory err) internal pure {
        vm.assertNotEq(left, right, err);
    }
}

/// @title Script
/// @notice forge-std's `Script` in small: the cheatcodes as `vm`, for `forge script`.
abstract contract Script {
    Vm internal constant vm = Vm(VM_ADDRESS);

    /// @notice forge refuses to run a contract as a script unless it says it is one.
    bool public IS_SCRIPT = true;
}
