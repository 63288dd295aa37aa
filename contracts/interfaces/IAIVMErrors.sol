// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAIVMErrors
/// @notice Custom errors the AIVM precompiles (0x…A101–0x…A108) revert with. The one mapping from
///         TypeScript error codes to these errors is precompiles/errors.ts. Error data describes
///         dtypes, shapes, ops and limits; it never contains tensor values.
interface IAIVMErrors {
    /// @notice An input's shape does not match what the op expects.
    /// @param op Engine op name, e.g. "matmul".
    /// @param input Input name, e.g. "b".
    /// @param expected Expected shape, e.g. "[8,4]" or a rule such as "[K,N] with K = 8".
    /// @param actual Actual shape.
    error ShapeMismatch(string op, string input, string expected, uint32[] actual);
    /// @notice An input has a dtype the op does not accept.
    error DTypeMismatch(string op, string input, string expected, string actual);
    /// @notice A tensor's rank exceeds the maximum rank.
    error RankLimit(uint256 rank, uint256 maxRank);
    /// @notice A tensor has more elements than allowed.
    error ElementLimit(uint32[] shape, uint256 maxElements);
    /// @notice A dimension is not a valid size.
    error InvalidDimension(string shape);
    /// @notice The data length disagrees with the shape.
    error ElementCount(uint32[] shape, uint256 expected, uint256 actual);
    /// @notice A tensor, handle or program encoding could not be decoded.
    error MalformedEncoding(string what, string reason);
    /// @notice The transaction's 512 MiB tensor memory budget would be exceeded.
    error MemoryLimit(uint256 requestedBytes, uint256 limitBytes, uint256 usedBytes);
    /// @notice An op argument or attribute is invalid.
    error InvalidArgument(string op, string argument, string reason);
    /// @notice The op is not supported (by the engine, or by this precompile).
    error UnsupportedOp(string op);
    /// @notice A write (TSTORE to any target) was attempted inside a STATICCALL frame.
    error WriteInStaticCall(address precompile);
    /// @notice A handle does not name a tensor (unknown scratch slot, missing persistent id).
    /// @param kind 1 scratch, 2 persistent, 3 agent namespace.
    error UnknownHandle(uint8 kind, address owner, bytes32 id);
    /// @notice Any other AIVM failure, by its stable code.
    error AivmFailure(string code, string message);
}
