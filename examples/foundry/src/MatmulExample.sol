// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "aivm/AIVM.sol";
import {IAIVMErrors} from "aivm/interfaces/IAIVMErrors.sol";

/// @title MatmulExample
/// @notice TMATMUL from a contract: the product of two tensors, its Tensor Commit (TCOMMIT), the same
///         product kept in scratch memory and committed by handle, and a transaction that records it.
/// @dev Inherits IAIVMErrors so clients decode precompile reverts (ShapeMismatch, ...) from this ABI.
contract MatmulExample is IAIVMErrors {
    /// @notice The commit of the last recorded product.
    bytes32 public lastCommit;

    /// @notice Emitted by every recorded product.
    /// @param caller Who asked.
    /// @param commit Tensor Commit of the product.
    /// @param traceRoot The transaction's AIVM trace root after the product and its commit.
    event Multiplied(address indexed caller, bytes32 indexed commit, bytes32 traceRoot);

    /// @notice C = A·B and C's Tensor Commit.
    /// @param a Wire-format int8/int16 tensor [M, K].
    /// @param b Wire-format int8/int16 tensor [K, N].
    /// @return c The int32 product, inline.
    /// @return commit TCOMMIT of `c`.
    function multiply(bytes calldata a, bytes calldata b) external view returns (bytes memory c, bytes32 commit) {
        c = AIVM.matmul(a, b);
        commit = AIVM.commitOf(c);
    }

    /// @notice The same product kept in the transaction's scratch memory, committed by its handle.
    /// @param a As for `multiply`.
    /// @param b As for `multiply`.
    /// @return handle The scratch handle TMATMUL returned.
    /// @return commit TCOMMIT of the handle (equal to `multiply`'s commit).
    /// @return traceRoot The trace root over this call's receipts (TMATMUL's), from TCOMMIT mode 1.
    function multiplyInScratch(bytes calldata a, bytes calldata b)
        external
        view
        returns (bytes memory handle, bytes32 commit, bytes32 traceRoot)
    {
        bytes[] memory inputs = new bytes[](2);
        inputs[0] = a;
        inputs[1] = b;
        handle = AIVM.matmulWith(inputs, new string[](0), new int64[][](0), AIVM.OUT_SCRATCH);
        commit = AIVM.commitOf(handle);
        (traceRoot,) = AIVM.traceRoot();
    }

    /// @notice Records a product as a transaction (its receipt is anchored in the block).
    /// @param a As for `multiply`.
    /// @param b As for `multiply`.
    /// @return commit Tensor Commit of the product.
    function record(bytes calldata a, bytes calldata b) external returns (bytes32 commit) {
        commit = AIVM.commitOf(AIVM.matmul(a, b));
        (bytes32 root,) = AIVM.traceRoot();
        lastCommit = commit;
        emit Multiplied(msg.sender, commit, root);
    }
}
