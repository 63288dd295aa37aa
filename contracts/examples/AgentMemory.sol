// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "../AIVM.sol";

/// @title AgentMemory
/// @notice An agent's long-term memory of sentence embeddings (int8 vectors of `dim` elements),
///         recalled on-chain by integer dot product and top-k in one TGRAPH program.
/// @dev Storage design (also in docs/ops-nonlinear.md#agentmemory-top_k-on-chain):
///      - every `remember` batch is one **page**: a 1-D int8 tensor of count·dim elements stored in
///        the persistent tensor store (TSTORE target 1, content-addressed, part of the state root);
///      - the memory matrix int8 [size, dim] is a **sharded manifest** over all pages in order
///        (TSTORE target 4), rewritten after each batch; its id is `manifestId`;
///      - `recall` passes the manifest's handle to TGRAPH, which assembles the matrix and runs
///        matmul(query [1, dim], memoryᵀ, transB = 1) → int32 [1, size] scores, then
///        top_k(k) → (scores, ids) [1, k], best first, ties to the older memory.
///      Embedding ids are insertion indices: 0, 1, 2, … A manifest holds at most 4096 pages.
contract AgentMemory {
    /// @notice Elements per embedding.
    uint32 public immutable dim;
    /// @notice The only account that may add memories.
    address public immutable owner;

    /// @notice Number of embeddings stored.
    uint256 public size;
    /// @notice Content id of the current sharded manifest of the [size, dim] matrix (zero when empty).
    bytes32 public manifestId;
    /// @notice Content ids of the pages, in insertion order.
    bytes32[] public pageIds;

    /// @dev Manifest shard limit (precompiles/shards.ts MAX_SHARDS).
    uint256 private constant MAX_PAGES = 4096;
    /// @dev Program format (docs/spec.md#program-format): "AIVP", version 1, value kind "input".
    uint32 private constant PROGRAM_MAGIC = 0x41495650;
    uint8 private constant VALUE_INPUT = 1;
    uint16 private constant OP_MATMUL = 1;
    uint16 private constant OP_TOP_K = 33;
    uint8 private constant ATTR_INT = 0;
    /// @dev Tensor wire format: "AIVT", version 1.
    uint32 private constant TENSOR_MAGIC = 0x41495654;

    /// @notice A batch of `count` embeddings got ids firstId … firstId+count−1, stored as page `pageId`;
    ///         `manifestId` is the new memory matrix.
    event Remembered(uint256 indexed firstId, uint256 count, bytes32 indexed pageId, bytes32 manifestId);

    /// @notice The caller is not the owner.
    error NotOwner(address caller);
    /// @notice `remember` was called with no embeddings.
    error EmptyBatch();
    /// @notice Embedding `index` of a batch (or the query) has `actual` bytes instead of `dim`.
    error EmbeddingLength(uint256 index, uint256 expected, uint256 actual);
    /// @notice The memory already holds the maximum number of pages.
    error PageLimit(uint256 maxPages);
    /// @notice `k` must be in [1, size].
    error InvalidK(uint256 k, uint256 size);
    /// @notice A dimension of zero or above 2^31 − 1 was given to the constructor.
    error InvalidDim(uint256 dim);

    /// @param dim_ Elements per embedding (512 for the sentence encoder; any positive size works).
    constructor(uint32 dim_) {
        if (dim_ == 0 || dim_ > type(uint32).max >> 1) revert InvalidDim(dim_);
        dim = dim_;
        owner = msg.sender;
    }

    /// @notice Stores a batch of embeddings as one page and extends the memory matrix.
    /// @param embeddings Each exactly `dim` bytes: the int8 elements in two's complement.
    /// @return firstId The id of the batch's first embedding.
    function remember(bytes[] calldata embeddings) external returns (uint256 firstId) {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        uint256 count = embeddings.length;
        if (count == 0) revert EmptyBatch();
        if (pageIds.length >= MAX_PAGES) revert PageLimit(MAX_PAGES);
        uint256 d = dim;
        uint256 elements = count * d;
        // One 1-D int8 tensor: the 16-byte header (with its single dimension), then the embeddings
        // back to back, copied straight from calldata.
        bytes16 header = bytes16(abi.encodePacked(TENSOR_MAGIC, uint8(1), AIVM.INT8, uint8(1), uint8(0), uint32(elements), uint32(elements)));
        bytes memory page = new bytes(16 + elements);
        assembly ("memory-safe") {
            mstore(add(page, 0x20), header)
        }
        for (uint256 i = 0; i < count; i++) {
            bytes calldata e = embeddings[i];
            if (e.length != d) revert EmbeddingLength(i, d, e.length);
            assembly ("memory-safe") {
                calldatacopy(add(page, add(0x30, mul(i, d))), e.offset, d)
            }
        }
        bytes32 pageId = AIVM.refId(AIVM.store(AIVM.TARGET_PERSISTENT, bytes32(0), page));
        pageIds.push(pageId);
        firstId = size;
        uint256 total = firstId + count;
        size = total;
        uint32[] memory shape = new uint32[](2);
        shape[0] = uint32(total);
        shape[1] = uint32(d);
        bytes32 manifest = AIVM.refId(AIVM.store(AIVM.TARGET_SHARDED, bytes32(0), abi.encode(AIVM.INT8, shape, pageIds)));
        manifestId = manifest;
        emit Remembered(firstId, count, pageId, manifest);
    }

    /// @notice The `k` stored embeddings with the largest integer dot product with `query`, best
    ///         first (ties: the older memory first), computed on-chain by one TGRAPH call.
    /// @param query `dim` bytes: the int8 elements of the query embedding.
    /// @param k How many to return, 1 … size.
    /// @return ids Embedding ids (insertion indices).
    /// @return scores Their dot products with the query (exact int32).
    function recall(bytes calldata query, uint256 k) external view returns (uint256[] memory ids, int256[] memory scores) {
        uint256 n = size;
        if (k == 0 || k > n) revert InvalidK(k, n);
        if (query.length != dim) revert EmbeddingLength(0, dim, query.length);
        bytes[] memory inputs = new bytes[](2);
        inputs[0] = abi.encodePacked(TENSOR_MAGIC, uint8(1), AIVM.INT8, uint8(2), uint8(0), uint32(query.length), uint32(1), dim, query);
        inputs[1] = AIVM.persistentRef(manifestId);
        bytes[] memory outputs = AIVM.graph(recallProgram(n, k), inputs, 0);
        scores = AIVM.toInts(outputs[0]);
        int256[] memory idx = AIVM.toInts(outputs[1]);
        ids = new uint256[](k);
        for (uint256 i = 0; i < k; i++) ids[i] = uint256(idx[i]);
    }

    /// @notice The TGRAPH program `recall` runs for `n` memories and `k` results:
    ///         values 0 query int8 [1, dim], 1 memory int8 [n, dim]; node matmul(0, 1, transB = 1) → 2
    ///         int32 [1, n]; node top_k(2, k) → 3 scores, 4 ids; outputs (3, 4).
    function recallProgram(uint256 n, uint256 k) public view returns (bytes memory) {
        return abi.encodePacked(
            abi.encodePacked(PROGRAM_MAGIC, uint8(1), uint8(0), uint16(0), uint32(2), uint32(2), uint32(2)),
            abi.encodePacked(VALUE_INPUT, AIVM.INT8, uint8(2), uint32(1), dim),
            abi.encodePacked(VALUE_INPUT, AIVM.INT8, uint8(2), uint32(n), dim),
            abi.encodePacked(OP_MATMUL, uint8(2), uint8(1), uint8(1), uint32(0), uint32(1), uint8(6), "transB", ATTR_INT, int64(1)),
            abi.encodePacked(OP_TOP_K, uint8(1), uint8(2), uint8(1), uint32(2), uint8(1), "k", ATTR_INT, int64(uint64(k))),
            abi.encodePacked(uint32(3), uint32(4))
        );
    }
}
