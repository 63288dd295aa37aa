// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "../AIVM.sol";

/// @title TraceChild
/// @notice Test contract for debug_traceTransaction (test/rpc/trace.test.ts): a store, an event and two ways to revert.
contract TraceChild {
    uint256 public value;

    event Stored(uint256 value);

    error Refused(uint256 value);

    /// @notice Stores `x` and returns 2x; refuses 7 with a reason string and 13 with a custom error.
    function store(uint256 x) external returns (uint256) {
        require(x != 7, "seven is refused");
        if (x == 13) revert Refused(x);
        value = x;
        emit Stored(x);
        return x * 2;
    }
}

/// @title TraceParent
/// @notice Calls TraceChild, survives a failing inner call, and reaches an AIVM precompile through the AIVM library.
contract TraceParent {
    TraceChild public immutable child;
    uint256 public count;

    constructor(TraceChild child_) {
        child = child_;
    }

    /// @notice Stores `x` in the child, then tries to store 7 there (which reverts inside the try).
    function run(uint256 x) external returns (uint256 doubled) {
        count += 1;
        doubled = child.store(x);
        try child.store(7) returns (uint256) {} catch {}
    }

    /// @notice Reverts: the child refuses 13 and the error bubbles up.
    function fail() external {
        count = 99;
        child.store(13);
    }

    /// @notice x·w through TMATMUL (0x…A101), then the child stores the length of the encoded output.
    function infer(bytes calldata x, bytes calldata w) external returns (bytes memory y) {
        y = AIVM.matmul(x, w);
        child.store(y.length);
    }
}
