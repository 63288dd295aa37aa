// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ClzProbe
/// @notice Counts leading zero bits with Osaka's CLZ opcode (EIP-7939): the fork test's contract.
contract ClzProbe {
    /// @notice The number of leading zero bits of `x` (256 for zero).
    function leadingZeros(uint256 x) external pure returns (uint256 n) {
        assembly {
            n := clz(x)
        }
    }
}
