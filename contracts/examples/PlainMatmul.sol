// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "../AIVM.sol";

/// @title PlainMatmul
/// @notice The benchmark's reference: an int8 M×K · K×N matmul with int32 accumulation written in
///         plain Solidity (row-major int8 bytes in, int32 results out), next to the same product
///         through the TMATMUL precompile.
contract PlainMatmul {
    /// @notice Emitted with the first output element so the work cannot be optimised away.
    event Done(int256 first, uint256 gasUsed);

    /// @notice C = A·B in plain Solidity. `a` and `b` hold int8 values as raw bytes, row-major.
    function plain(bytes calldata a, bytes calldata b, uint256 m, uint256 k, uint256 n) external returns (int32[] memory c) {
        uint256 g = gasleft();
        c = new int32[](m * n);
        unchecked {
            for (uint256 i = 0; i < m; i++) {
                for (uint256 j = 0; j < n; j++) {
                    int256 acc = 0;
                    for (uint256 p = 0; p < k; p++) {
                        acc += int256(int8(uint8(a[i * k + p]))) * int256(int8(uint8(b[p * n + j])));
                    }
                    c[i * n + j] = int32(acc);
                }
            }
        }
        emit Done(c.length > 0 ? int256(c[0]) : int256(0), g - gasleft());
    }

    /// @notice The same product through TMATMUL; `a` and `b` are wire-format tensors.
    function precompiled(bytes calldata a, bytes calldata b) external returns (bytes memory c) {
        uint256 g = gasleft();
        c = AIVM.matmul(a, b);
        emit Done(AIVM.elementAt(c, 0), g - gasleft());
    }
}
