// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "../AIVM.sol";

/// @title AivmProbe
/// @notice Test contract: calls any AIVM precompile with raw ABI input and reports what happened,
///         including the gas the call consumed as seen from Solidity (gasleft() around the CALL).
contract AivmProbe {
    /// @notice Emitted by `probe` so a transaction's outcome can be read from its receipt.
    event Probed(address indexed precompile, bool ok, uint256 gasUsed, bytes ret);
    /// @notice Emitted by `chainEncoderDecoder`.
    event Chained(bytes32 traceRoot, uint256 receiptCount, bytes output);

    /// @dev Reverts with whatever the inner call returned, to test frame-revert semantics.
    error InnerReverted(bytes ret);

    /// @notice CALLs `precompile` with `input` and emits the outcome.
    function probe(address precompile, bytes calldata input) external returns (bool ok, bytes memory ret, uint256 gasUsed) {
        uint256 g = gasleft();
        (ok, ret) = precompile.call(input);
        gasUsed = g - gasleft();
        emit Probed(precompile, ok, gasUsed, ret);
    }

    /// @notice CALLs `precompile` forwarding at most `gasCap` gas.
    function probeWithGas(address precompile, bytes calldata input, uint256 gasCap)
        external
        returns (bool ok, bytes memory ret, uint256 gasUsed)
    {
        uint256 g = gasleft();
        (ok, ret) = precompile.call{gas: gasCap}(input);
        gasUsed = g - gasleft();
        emit Probed(precompile, ok, gasUsed, ret);
    }

    /// @notice STATICCALLs `precompile` with `input`.
    function probeStatic(address precompile, bytes calldata input) external view returns (bool ok, bytes memory ret) {
        return precompile.staticcall(input);
    }

    /// @notice Calls each (precompile, input) pair in order inside one frame; stops at the first failure.
    function sequence(address[] calldata precompiles, bytes[] calldata inputs) external returns (bytes[] memory rets) {
        rets = new bytes[](inputs.length);
        for (uint256 i = 0; i < inputs.length; i++) {
            (bool ok, bytes memory ret) = precompiles[i].call(inputs[i]);
            if (!ok) revert InnerReverted(ret);
            rets[i] = ret;
        }
    }

    /// @notice Runs `sequence` in a sub-frame that then reverts, and afterwards runs `after` in this
    ///         frame: shows what a reverted frame leaves behind (scratch, receipts, state).
    function revertThen(address[] calldata precompiles, bytes[] calldata inputs, address afterPrecompile, bytes calldata afterInput)
        external
        returns (bool innerOk, bool afterOk, bytes memory afterRet)
    {
        try this.sequenceAndRevert(precompiles, inputs) {
            innerOk = true;
        } catch {
            innerOk = false;
        }
        (afterOk, afterRet) = afterPrecompile.call(afterInput);
        emit Probed(afterPrecompile, afterOk, 0, afterRet);
    }

    /// @notice `sequence`, then revert whatever happened.
    function sequenceAndRevert(address[] calldata precompiles, bytes[] calldata inputs) external {
        bytes[] memory rets = this.sequence(precompiles, inputs);
        revert InnerReverted(rets.length > 0 ? rets[rets.length - 1] : bytes(""));
    }

    /// @notice Writes `tensor` under `key` in this contract's agent namespace.
    function remember(bytes32 key, bytes calldata tensor) external returns (bytes memory ref) {
        return AIVM.store(AIVM.TARGET_NAMESPACE, key, tensor);
    }

    /// @notice TLOAD(encoder) → TMATMUL → TCUSTOM → TLOAD(decoder) → TMATMUL → TCOMMIT(trace) in one
    ///         transaction, passing every intermediate by scratch handle.
    /// @param x Input activations (int8 [1, D]).
    /// @param encoderId Persistent id of the encoder weight (int8 [D, H]).
    /// @param programId Stored program: one int32 [1, H] input → int8 [1, H] output.
    /// @param decoderId Persistent id of the decoder weight (int8 [H, O]).
    /// @param names Requantization attribute names for the encoder TMATMUL.
    /// @param values Requantization attribute values for the encoder TMATMUL.
    function chainEncoderDecoder(
        bytes calldata x,
        bytes32 encoderId,
        bytes32 programId,
        bytes32 decoderId,
        string[] calldata names,
        int64[][] calldata values
    ) external returns (bytes32 root, uint256 count, bytes memory output) {
        bytes memory enc = AIVM.load(AIVM.persistentRef(encoderId), AIVM.OUT_SCRATCH);
        bytes[] memory ins = new bytes[](2);
        ins[0] = x;
        ins[1] = enc;
        bytes memory h = AIVM.matmulWith(ins, new string[](0), new int64[][](0), AIVM.OUT_SCRATCH);
        bytes[] memory one = new bytes[](1);
        one[0] = h;
        bytes memory hq = AIVM.custom(programId, one, AIVM.OUT_SCRATCH)[0];
        bytes memory dec = AIVM.load(AIVM.persistentRef(decoderId), AIVM.OUT_SCRATCH);
        ins[0] = hq;
        ins[1] = dec;
        output = AIVM.matmulWith(ins, names, values, 0);
        (root, count) = AIVM.traceRoot();
        emit Chained(root, count, output);
    }

    /// @notice AIVM.fromInts, exposed for testing the Solidity tensor builder against the TS codec.
    function encodeInts(uint8 dtype, uint32[] calldata shape, int256[] calldata values) external pure returns (bytes memory) {
        return AIVM.fromInts(dtype, shape, values);
    }

    /// @notice Builds two int8 matrices in Solidity, quotes and runs their product through the
    ///         library, and reads the result back with the library's readers.
    /// @param mkn The dimensions M, K, N.
    function libraryMatmul(int256[] memory a, int256[] memory b, uint32[3] memory mkn)
        external
        returns (int256[] memory c, uint32[] memory shape, uint8 dtype, uint256 quoted)
    {
        bytes memory ta = _int8Matrix(mkn[0], mkn[1], a);
        bytes memory tb = _int8Matrix(mkn[1], mkn[2], b);
        quoted = AIVM.quoteMatmul(ta, tb);
        bytes memory tc = AIVM.matmul(ta, tb);
        return (AIVM.toInts(tc), AIVM.shapeOf(tc), AIVM.dtypeOf(tc), quoted);
    }

    /// @notice The library's tensor readers on one tensor, for comparison with the TS codec.
    function readTensor(bytes calldata t)
        external
        pure
        returns (uint8 dtype, uint32[] memory shape, uint256 n, int256[] memory values, uint256 best)
    {
        return (AIVM.dtypeOf(t), AIVM.shapeOf(t), AIVM.numElements(t), AIVM.toInts(t), AIVM.argmax(t));
    }

    /// @notice AIVM.elementAt, exposed for testing.
    function readElement(bytes calldata t, uint256 i) external pure returns (int256) {
        return AIVM.elementAt(t, i);
    }

    /// @notice Runs the wrappers whose precompile input the library encodes by hand (matmul,
    ///         matmulWith without attributes, quoteMatmul, relu, add, ewop, load, commitOf), so a test can
    ///         compare each input with the ABI encoding and each output with the engine.
    function wrapperInputs(bytes calldata a, bytes calldata b, uint8 flags)
        external
        view
        returns (bytes memory c, bytes memory c2, uint256 quoted, bytes memory r, bytes memory s, bytes memory e, bytes32 k)
    {
        c = AIVM.matmul(a, b);
        bytes[] memory ins = new bytes[](2);
        (ins[0], ins[1]) = (a, b);
        c2 = AIVM.matmulWith(ins, new string[](0), new int64[][](0), flags);
        quoted = AIVM.quoteMatmul(a, b);
        r = AIVM.relu(a);
        s = AIVM.add(a, a);
        bytes[] memory one = new bytes[](1);
        one[0] = b;
        e = AIVM.ewop(AIVM.OP_RELU, one, new string[](0), new int64[][](0), flags);
        k = AIVM.commitOf(c);
    }

    function _int8Matrix(uint32 rows, uint32 cols, int256[] memory values) private pure returns (bytes memory) {
        uint32[] memory shape = new uint32[](2);
        (shape[0], shape[1]) = (rows, cols);
        return AIVM.fromInts(AIVM.INT8, shape, values);
    }
}
