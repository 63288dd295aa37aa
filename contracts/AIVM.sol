// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAIVMErrors} from "./interfaces/IAIVMErrors.sol";
import {IBlockAnchor} from "./interfaces/IBlockAnchor.sol";
import {ICongestion} from "./interfaces/ICongestion.sol";

/// @title AIVM
/// @notice Typed wrappers over the AIVM tensor precompiles (0x…A101–0x…A108), tensor builders and
///         readers for the wire format (docs/spec.md#tensor-wire-format), handle builders and quotes.
///         Calling convention: docs/precompiles.md. A failing precompile reverts with an IAIVMErrors
///         custom error; every wrapper bubbles that revert data up unchanged.
library AIVM {
    // ───────────────────────────── addresses ─────────────────────────────
    address internal constant TMATMUL = address(0xA101);
    address internal constant TEWOP = address(0xA102);
    address internal constant TCUSTOM = address(0xA103);
    address internal constant TLOAD = address(0xA104);
    address internal constant TSTORE = address(0xA105);
    address internal constant TCOMMIT = address(0xA106);
    address internal constant TSTREAM = address(0xA107);
    address internal constant TGRAPH = address(0xA108);
    address internal constant BLOCK_ANCHOR = address(0xA110);
    address internal constant CONGESTION = address(0xA111);
    address internal constant AGENT_NAMESPACES = address(0xA112);

    // ───────────────────────────── constants ─────────────────────────────
    /// @notice Wire-format dtype codes.
    uint8 internal constant INT8 = 1;
    uint8 internal constant INT16 = 2;
    uint8 internal constant INT32 = 3;

    /// @notice flags bit 0: keep outputs in the transaction's scratch memory and return handles.
    uint8 internal constant OUT_SCRATCH = 1;
    /// @notice flags bit 1: do not execute; return the exact gas the call would be charged.
    uint8 internal constant QUOTE_ONLY = 2;
    /// @notice flags bit 2 (TSTREAM only): return every step's output stacked on dimension 0.
    uint8 internal constant STACK_OUTPUTS = 4;

    /// @notice TSTORE targets.
    uint8 internal constant TARGET_SCRATCH = 0;
    uint8 internal constant TARGET_PERSISTENT = 1;
    uint8 internal constant TARGET_PROGRAM = 2;
    uint8 internal constant TARGET_NAMESPACE = 3;
    uint8 internal constant TARGET_SHARDED = 4;

    /// @notice Handle kinds (byte 4 of a handle).
    uint8 internal constant REF_SCRATCH = 1;
    uint8 internal constant REF_PERSISTENT = 2;
    uint8 internal constant REF_NAMESPACE = 3;

    /// @notice TCOMMIT modes.
    uint8 internal constant COMMIT_TENSOR = 0;
    uint8 internal constant COMMIT_TRACE = 1;

    /// @notice Engine op codes accepted by TEWOP (src/engine/registry.ts OP_CODES).
    uint16 internal constant OP_ADD = 3;
    uint16 internal constant OP_SUB = 4;
    uint16 internal constant OP_MUL = 5;
    uint16 internal constant OP_RELU = 6;
    uint16 internal constant OP_RELU6 = 7;
    uint16 internal constant OP_LEAKY_RELU = 8;
    uint16 internal constant OP_CLIP = 9;
    uint16 internal constant OP_LUT = 10;
    uint16 internal constant OP_REQUANTIZE = 11;
    uint16 internal constant OP_SOFTMAX = 12;
    uint16 internal constant OP_LOG_SOFTMAX = 13;
    uint16 internal constant OP_LAYER_NORM = 14;
    uint16 internal constant OP_RMS_NORM = 15;

    /// @dev "AIVT", the tensor wire-format magic.
    uint32 private constant TENSOR_MAGIC = 0x41495654;
    /// @dev "AREF", the handle magic.
    uint32 private constant REF_MAGIC = 0x41524546;
    uint256 private constant HEADER_BYTES = 12;
    uint256 private constant REF_BYTES = 57;

    /// @notice A tensor argument was not a wire-format tensor where one was required.
    error NotATensor();

    // ───────────────────────────── op wrappers ─────────────────────────────

    /// @notice C = A·B with int32 accumulation (engine op "matmul", no attributes).
    /// @param a Tensor or handle, int8/int16 [..., M, K].
    /// @param b Tensor or handle, int8/int16 [..., K, N].
    /// @return c The result tensor (inline).
    function matmul(bytes memory a, bytes memory b) internal view returns (bytes memory c) {
        bytes[] memory inputs = new bytes[](2);
        inputs[0] = a;
        inputs[1] = b;
        return _staticBytes(TMATMUL, _encodeOp(false, 0, inputs, 0));
    }

    /// @notice The general TMATMUL call: inputs (a, b[, bias]), engine attributes, flags.
    /// @param inputs Tensors or handles: a, b and optionally an int32 bias.
    /// @param attrNames Attribute names of the engine's matmul op (e.g. requantization).
    /// @param attrValues One integer list per attribute (a single integer is a list of one).
    /// @param flags OUT_SCRATCH and/or QUOTE_ONLY.
    /// @return out A tensor, or a scratch handle with OUT_SCRATCH.
    function matmulWith(bytes[] memory inputs, string[] memory attrNames, int64[][] memory attrValues, uint8 flags)
        internal
        view
        returns (bytes memory out)
    {
        bytes memory input = attrNames.length == 0 && attrValues.length == 0
            ? _encodeOp(false, 0, inputs, flags)
            : abi.encode(inputs, attrNames, attrValues, flags);
        return _staticBytes(TMATMUL, input);
    }

    /// @notice An element-wise / normalisation op through TEWOP.
    /// @param opCode One of the OP_* constants.
    /// @param inputs Tensors or handles.
    /// @param attrNames Engine attribute names.
    /// @param attrValues One integer list per attribute.
    /// @param flags OUT_SCRATCH and/or QUOTE_ONLY.
    /// @return out A tensor, or a scratch handle with OUT_SCRATCH.
    function ewop(uint16 opCode, bytes[] memory inputs, string[] memory attrNames, int64[][] memory attrValues, uint8 flags)
        internal
        view
        returns (bytes memory out)
    {
        bytes memory input = attrNames.length == 0 && attrValues.length == 0
            ? _encodeOp(true, opCode, inputs, flags)
            : abi.encode(opCode, inputs, attrNames, attrValues, flags);
        return _staticBytes(TEWOP, input);
    }

    /// @notice ReLU of one tensor.
    function relu(bytes memory x) internal view returns (bytes memory) {
        bytes[] memory inputs = new bytes[](1);
        inputs[0] = x;
        return ewop(OP_RELU, inputs, new string[](0), new int64[][](0), 0);
    }

    /// @notice Saturating element-wise a + b with broadcasting.
    function add(bytes memory a, bytes memory b) internal view returns (bytes memory) {
        bytes[] memory inputs = new bytes[](2);
        inputs[0] = a;
        inputs[1] = b;
        return ewop(OP_ADD, inputs, new string[](0), new int64[][](0), 0);
    }

    /// @notice Runs a program previously stored with TSTORE(TARGET_PROGRAM), by its id.
    /// @param programId keccak256 of the program bytes.
    /// @param inputs Tensors or handles, in the program's input order.
    /// @param flags OUT_SCRATCH and/or QUOTE_ONLY.
    /// @return outputs Tensors (or handles), in the program's output order.
    function custom(bytes32 programId, bytes[] memory inputs, uint8 flags) internal view returns (bytes[] memory outputs) {
        return abi.decode(_static(TCUSTOM, abi.encode(programId, inputs, flags)), (bytes[]));
    }

    /// @notice Runs a whole program (op-graph) in one call; intermediates stay in VM memory.
    /// @param program The program, in the format of docs/spec.md#program-format.
    /// @param inputs Tensors or handles, in the program's input order.
    /// @param flags OUT_SCRATCH and/or QUOTE_ONLY.
    /// @return outputs Tensors (or handles), in the program's output order.
    function graph(bytes memory program, bytes[] memory inputs, uint8 flags) internal view returns (bytes[] memory outputs) {
        return abi.decode(_static(TGRAPH, abi.encode(program, inputs, flags)), (bytes[]));
    }

    /// @notice Runs a stored step program `steps` times, threading the state tensors.
    /// @param programId Id of a stored program taking (state..., x) and returning (state..., y).
    /// @param state Initial state tensors or handles.
    /// @param xs Per-step inputs stacked on dimension 0 (length `steps`), or empty for none.
    /// @param steps Number of steps.
    /// @param flags OUT_SCRATCH and/or QUOTE_ONLY.
    /// @return finalState The state after the last step.
    /// @return lastOutput The last step's output y.
    /// @return stepCommits The tensor commit of every step's output y.
    function stream(bytes32 programId, bytes[] memory state, bytes memory xs, uint32 steps, uint8 flags)
        internal
        view
        returns (bytes[] memory finalState, bytes memory lastOutput, bytes32[] memory stepCommits)
    {
        return abi.decode(_static(TSTREAM, abi.encode(programId, state, xs, steps, flags)), (bytes[], bytes, bytes32[]));
    }

    /// @notice Loads a tensor by handle.
    /// @param ref A handle (scratchRef, persistentRef or namespaceRef).
    /// @param flags OUT_SCRATCH to copy it into scratch and get a scratch handle back.
    function load(bytes memory ref, uint8 flags) internal view returns (bytes memory) {
        return _staticBytes(TLOAD, abi.encode(ref, flags));
    }

    /// @notice Stores a tensor (or program) and returns its handle. Refused inside static calls
    ///         for every target except TARGET_SCRATCH.
    /// @param target TARGET_SCRATCH, TARGET_PERSISTENT, TARGET_PROGRAM, TARGET_NAMESPACE or TARGET_SHARDED.
    /// @param key Namespace key (TARGET_NAMESPACE only; zero otherwise).
    /// @param data A tensor or handle (program bytes for TARGET_PROGRAM, a manifest for TARGET_SHARDED).
    /// @return ref The handle of the stored value.
    function store(uint8 target, bytes32 key, bytes memory data) internal returns (bytes memory ref) {
        (bool ok, bytes memory ret) = TSTORE.call(abi.encode(target, key, data));
        if (!ok) _bubble(ret);
        return abi.decode(ret, (bytes));
    }

    /// @notice The Tensor Commit (Merkle root over chunks) of a tensor or handle.
    function commitOf(bytes memory t) internal view returns (bytes32 commit) {
        address precompile = TCOMMIT;
        // abi.encode(COMMIT_TENSOR, t), written in place past the free memory pointer (scratch only).
        assembly ("memory-safe") {
            let input := mload(0x40)
            let len := mload(t)
            let padded := and(add(len, 31), not(31))
            mstore(input, 0) // COMMIT_TENSOR
            mstore(add(input, 0x20), 0x40)
            mstore(add(input, 0x40), len)
            if padded { mstore(add(add(input, 0x40), padded), 0) }
            mcopy(add(input, 0x60), add(t, 0x20), len)
            if iszero(staticcall(gas(), precompile, input, add(0x60, padded), 0, 0)) {
                returndatacopy(input, 0, returndatasize())
                revert(input, returndatasize())
            }
            if lt(returndatasize(), 0x20) { revert(0, 0) }
            returndatacopy(0, 0, 0x20)
            commit := mload(0)
        }
    }

    /// @notice The current transaction's trace root over its AIVM receipts so far.
    function traceRoot() internal view returns (bytes32 root, uint256 receiptCount) {
        return abi.decode(_static(TCOMMIT, abi.encode(COMMIT_TRACE, bytes(""))), (bytes32, uint256));
    }

    // ───────────────────────────── quotes ─────────────────────────────

    /// @notice The exact gas a precompile call would be charged, without executing it. `input`
    ///         is the call's ABI input with QUOTE_ONLY set in its flags (see docs/precompiles.md).
    function quote(address precompile, bytes memory input) internal view returns (uint256 gas) {
        return abi.decode(_static(precompile, input), (uint256));
    }

    /// @notice Exact gas of `matmul(a, b)`.
    function quoteMatmul(bytes memory a, bytes memory b) internal view returns (uint256) {
        bytes[] memory inputs = new bytes[](2);
        inputs[0] = a;
        inputs[1] = b;
        return quote(TMATMUL, _encodeOp(false, 0, inputs, QUOTE_ONLY));
    }

    /// @notice Exact gas of `graph(program, inputs, 0)`.
    function quoteGraph(bytes memory program, bytes[] memory inputs) internal view returns (uint256) {
        return quote(TGRAPH, abi.encode(program, inputs, QUOTE_ONLY));
    }

    /// @notice The congestion multiplier in force (fixed point) and its unit.
    function congestion() internal view returns (uint256 multiplier, uint256 one) {
        return (ICongestion(CONGESTION).multiplier(), ICongestion(CONGESTION).one());
    }

    /// @notice The anchor root of a sealed block.
    function anchorOf(uint256 blockNumber) internal view returns (bytes32 root, uint256 receiptCount, uint256 flops) {
        return IBlockAnchor(BLOCK_ANCHOR).anchorOf(blockNumber);
    }

    // ───────────────────────────── handles ─────────────────────────────

    /// @notice A handle to scratch slot `handle` of the current transaction.
    function scratchRef(uint256 handle) internal pure returns (bytes memory) {
        return abi.encodePacked(REF_MAGIC, REF_SCRATCH, address(0), bytes32(handle));
    }

    /// @notice A handle to a persistent tensor or program by content id.
    function persistentRef(bytes32 id) internal pure returns (bytes memory) {
        return abi.encodePacked(REF_MAGIC, REF_PERSISTENT, address(0), id);
    }

    /// @notice A handle to `key` in `owner`'s agent namespace.
    function namespaceRef(address owner, bytes32 key) internal pure returns (bytes memory) {
        return abi.encodePacked(REF_MAGIC, REF_NAMESPACE, owner, key);
    }

    /// @notice A seed handle (kind 4): wherever a tensor is accepted it stands for int32[8], the words
    ///         of keccak256("AIVM.seed" ‖ the block's VRF output ‖ tx hash ‖ uint32 call index ‖ salt),
    ///         different for every AIVM precompile call of the transaction (docs/vrf.md).
    /// @param salt Any 32 bytes the caller picks, e.g. a request id.
    function seedRef(bytes32 salt) internal pure returns (bytes memory) {
        return abi.encodePacked(REF_MAGIC, uint8(4), address(0), salt);
    }

    /// @notice Whether `b` is a handle rather than an inline tensor.
    function isRef(bytes memory b) internal pure returns (bool) {
        return b.length == REF_BYTES && _u32(b, 0) == REF_MAGIC;
    }

    /// @notice The id field of a handle (scratch slot, content id or namespace key).
    function refId(bytes memory ref) internal pure returns (bytes32 id) {
        if (!isRef(ref)) revert NotATensor();
        assembly {
            id := mload(add(ref, 57))
        }
    }

    // ───────────────────────────── tensor builders ─────────────────────────────

    /// @notice Encodes a tensor (no quantization parameters) from integers.
    /// @param dtype INT8, INT16 or INT32.
    /// @param shape Dimensions, row-major.
    /// @param values Elements; each must fit the dtype (checked).
    function fromInts(uint8 dtype, uint32[] memory shape, int256[] memory values) internal pure returns (bytes memory t) {
        uint256 width = dtype == INT8 ? 1 : dtype == INT16 ? 2 : dtype == INT32 ? 4 : 0;
        if (width == 0) revert IAIVMErrors.InvalidArgument("fromInts", "dtype", "must be INT8, INT16 or INT32");
        uint256 count = 1;
        for (uint256 i = 0; i < shape.length; i++) count *= shape[i];
        if (count != values.length) revert IAIVMErrors.ElementCount(shape, count, values.length);
        int256 lo = -(int256(1) << (8 * width - 1));
        int256 hi = (int256(1) << (8 * width - 1)) - 1;
        bytes memory dims = new bytes(4 * shape.length);
        for (uint256 i = 0; i < shape.length; i++) {
            uint32 d = shape[i];
            dims[4 * i] = bytes1(uint8(d >> 24));
            dims[4 * i + 1] = bytes1(uint8(d >> 16));
            dims[4 * i + 2] = bytes1(uint8(d >> 8));
            dims[4 * i + 3] = bytes1(uint8(d));
        }
        bytes memory data = new bytes(count * width);
        for (uint256 i = 0; i < count; i++) {
            int256 v = values[i];
            if (v < lo || v > hi) revert IAIVMErrors.InvalidArgument("fromInts", "value", "out of the dtype range");
            uint256 u = uint256(v) & ((uint256(1) << (8 * width)) - 1);
            for (uint256 j = 0; j < width; j++) data[i * width + j] = bytes1(uint8(u >> (8 * j))); // little-endian
        }
        return abi.encodePacked(TENSOR_MAGIC, uint8(1), dtype, uint8(shape.length), uint8(0), uint32(data.length), dims, data);
    }

    /// @notice A 2-D int8 tensor from a flat row-major int8 array.
    function int8Matrix(uint32 rows, uint32 cols, int8[] memory values) internal pure returns (bytes memory) {
        uint32[] memory shape = new uint32[](2);
        shape[0] = rows;
        shape[1] = cols;
        int256[] memory v = new int256[](values.length);
        for (uint256 i = 0; i < values.length; i++) v[i] = values[i];
        return fromInts(INT8, shape, v);
    }

    // ───────────────────────────── tensor readers ─────────────────────────────

    /// @notice The dtype code of an inline tensor.
    function dtypeOf(bytes memory t) internal pure returns (uint8) {
        _checkTensor(t);
        return uint8(t[5]);
    }

    /// @notice The shape of an inline tensor.
    function shapeOf(bytes memory t) internal pure returns (uint32[] memory shape) {
        _checkTensor(t);
        uint256 rank = uint8(t[6]);
        shape = new uint32[](rank);
        for (uint256 i = 0; i < rank; i++) shape[i] = _u32(t, HEADER_BYTES + 4 * i);
    }

    /// @notice The number of elements of an inline tensor (the product of its shape).
    function numElements(bytes memory t) internal pure returns (uint256 n) {
        _checkTensor(t);
        uint256 rank = uint8(t[6]);
        n = 1;
        for (uint256 i = 0; i < rank; i++) n *= _u32(t, HEADER_BYTES + 4 * i);
    }

    /// @notice Element `i` (flat, row-major) of an inline tensor, sign-extended.
    function elementAt(bytes memory t, uint256 i) internal pure returns (int256 v) {
        (uint256 width, uint256 off) = _layout(t);
        off += i * width;
        if (off + width > t.length) revert IAIVMErrors.InvalidArgument("elementAt", "index", "out of range");
        assembly ("memory-safe") {
            v := _readLE(mload(add(add(t, 0x20), off)), width)

            /// Sign-extended little-endian integer of `size` bytes at the start of word `w`.
            function _readLE(w, size) -> r {
                switch size
                case 1 { r := signextend(0, byte(0, w)) }
                case 2 { r := signextend(1, or(byte(0, w), shl(8, byte(1, w)))) }
                default {
                    r := signextend(3, or(or(byte(0, w), shl(8, byte(1, w))), or(shl(16, byte(2, w)), shl(24, byte(3, w)))))
                }
            }
        }
    }

    /// @notice Every element of an inline tensor, sign-extended.
    function toInts(bytes memory t) internal pure returns (int256[] memory values) {
        (uint256 n, uint256 width, uint256 off) = _elements(t, "toInts");
        values = new int256[](n);
        assembly ("memory-safe") {
            let src := add(add(t, 0x20), off)
            let dst := add(values, 0x20)
            switch width
            case 1 {
                for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                    mstore(add(dst, shl(5, i)), signextend(0, byte(0, mload(add(src, i)))))
                }
            }
            case 2 {
                for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                    let w := mload(add(src, shl(1, i)))
                    mstore(add(dst, shl(5, i)), signextend(1, or(byte(0, w), shl(8, byte(1, w)))))
                }
            }
            default {
                for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                    let w := mload(add(src, shl(2, i)))
                    let u := or(or(byte(0, w), shl(8, byte(1, w))), or(shl(16, byte(2, w)), shl(24, byte(3, w))))
                    mstore(add(dst, shl(5, i)), signextend(3, u))
                }
            }
        }
    }

    /// @notice Index of the largest element of an inline tensor (the first one on ties; 0 when empty).
    ///         The usual last step of a classifier: `argmax(matmul(x, W))`.
    function argmax(bytes memory t) internal pure returns (uint256 best) {
        (uint256 n, uint256 width, uint256 off) = _elements(t, "argmax");
        assembly ("memory-safe") {
            let src := add(add(t, 0x20), off)
            let top := shl(255, 1) // int256 min
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let w := mload(add(src, mul(i, width)))
                let v
                switch width
                case 1 { v := signextend(0, byte(0, w)) }
                case 2 { v := signextend(1, or(byte(0, w), shl(8, byte(1, w)))) }
                default {
                    v := signextend(3, or(or(byte(0, w), shl(8, byte(1, w))), or(shl(16, byte(2, w)), shl(24, byte(3, w)))))
                }
                if sgt(v, top) {
                    top := v
                    best := i
                }
            }
        }
    }

    // ───────────────────────────── internals ─────────────────────────────

    /// @dev abi.encode([uint16 opCode,] inputs, new string[](0), new int64[][](0), flags), written
    ///      directly: the TMATMUL input (no op code) or TEWOP input (op code first) without engine
    ///      attributes. The ABI encoder spends thousands of EVM steps on this layout; here it is
    ///      one pass with MCOPY. test/precompiles/library.test.ts requires it to equal abi.encode.
    function _encodeOp(bool withOp, uint16 opCode, bytes[] memory inputs, uint8 flags) private pure returns (bytes memory enc) {
        assembly ("memory-safe") {
            enc := mload(0x40)
            let start := add(enc, 0x20)
            let p := start
            if withOp {
                mstore(p, and(opCode, 0xffff))
                p := add(p, 0x20)
            }
            // Head: offsets of inputs, names and values, then flags. Inputs begin after the head.
            let arr := add(p, 0x80)
            mstore(p, sub(arr, start))
            mstore(add(p, 0x60), and(flags, 0xff))
            let n := mload(inputs)
            mstore(arr, n)
            let offsets := add(arr, 0x20)
            let tail := add(offsets, shl(5, n))
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(add(offsets, shl(5, i)), sub(tail, offsets))
                let item := mload(add(add(inputs, 0x20), shl(5, i)))
                let len := mload(item)
                let padded := and(add(len, 31), not(31))
                mstore(tail, len)
                if padded { mstore(add(tail, padded), 0) } // zero the last word's padding
                mcopy(add(tail, 0x20), add(item, 0x20), len)
                tail := add(add(tail, 0x20), padded)
            }
            // names: string[](0); values: int64[][](0).
            mstore(add(p, 0x20), sub(tail, start))
            mstore(tail, 0)
            mstore(add(p, 0x40), sub(add(tail, 0x20), start))
            mstore(add(tail, 0x20), 0)
            let end := add(tail, 0x40)
            mstore(enc, sub(end, start))
            mstore(0x40, end)
        }
    }

    /// @dev STATICCALLs a precompile that returns one `bytes` and decodes it straight from the return
    ///      data (the checks of abi.decode, one copy); a failure bubbles the revert data up.
    function _staticBytes(address precompile, bytes memory input) private view returns (bytes memory out) {
        assembly ("memory-safe") {
            if iszero(staticcall(gas(), precompile, add(input, 0x20), mload(input), 0, 0)) {
                let p := mload(0x40)
                returndatacopy(p, 0, returndatasize())
                revert(p, returndatasize())
            }
            if lt(returndatasize(), 0x40) { revert(0, 0) }
            returndatacopy(0, 0, 0x20)
            let o := mload(0)
            if gt(o, sub(returndatasize(), 0x20)) { revert(0, 0) }
            returndatacopy(0, o, 0x20)
            let len := mload(0)
            if gt(len, sub(sub(returndatasize(), o), 0x20)) { revert(0, 0) }
            let padded := and(add(len, 31), not(31))
            out := mload(0x40)
            mstore(out, len)
            if padded { mstore(add(out, padded), 0) }
            returndatacopy(add(out, 0x20), add(o, 0x20), len)
            mstore(0x40, add(add(out, 0x20), padded))
        }
    }

    function _static(address precompile, bytes memory input) private view returns (bytes memory ret) {
        bool ok;
        (ok, ret) = precompile.staticcall(input);
        if (!ok) _bubble(ret);
    }

    function _bubble(bytes memory ret) private pure {
        assembly {
            revert(add(ret, 32), mload(ret))
        }
    }

    /// @dev Big-endian uint32 at `off`, or 0 past the end.
    function _u32(bytes memory b, uint256 off) private pure returns (uint32 v) {
        if (off + 4 > b.length) return 0;
        assembly ("memory-safe") {
            v := shr(224, mload(add(add(b, 0x20), off)))
        }
    }

    function _checkTensor(bytes memory t) private pure {
        if (t.length < HEADER_BYTES || _u32(t, 0) != TENSOR_MAGIC) revert NotATensor();
    }

    /// @dev Element width and data offset of an inline tensor (header, dims, quantization params).
    function _layout(bytes memory t) private pure returns (uint256 width, uint256 off) {
        _checkTensor(t);
        uint256 dtype;
        uint256 rank;
        uint256 quantMode;
        assembly ("memory-safe") {
            let w := mload(add(t, 0x20))
            dtype := byte(5, w)
            rank := byte(6, w)
            quantMode := byte(7, w)
        }
        width = dtype == INT8 ? 1 : dtype == INT16 ? 2 : 4;
        off = HEADER_BYTES + 4 * rank;
        if (quantMode == 1) {
            off += 12;
        } else if (quantMode == 2) {
            uint256 axis = _u32(t, off);
            off += 4 + 12 * uint256(_u32(t, HEADER_BYTES + 4 * axis));
        }
    }

    /// @dev Element count, width and data offset of an inline tensor whose data holds every element.
    function _elements(bytes memory t, string memory op) private pure returns (uint256 n, uint256 width, uint256 off) {
        n = numElements(t);
        (width, off) = _layout(t);
        if (n > t.length || off + n * width > t.length) revert IAIVMErrors.InvalidArgument(op, "tensor", "data shorter than its shape");
    }
}
