// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PlainMLP
/// @notice The Fashion-MNIST MLP (784 → 128 → ReLU → 10) evaluated in plain Solidity, without AIVM
///         precompiles: the baseline that AIVM's gas is compared against (bench/, docs/gas.md).
/// @dev Quantization matches AIVM's integer scheme: uint8 pixels (zero point 0), int8 weights
///      (row-major [out][in]), int32 bias, one integer multiplier per output channel and one shift,
///      `h = clamp(floor((acc·M + 2^(t-1)) / 2^t), 0, 127)` for the hidden layer (ReLU fused into the clamp),
///      int32 logits for the output layer. Weights live as contract code (SSTORE2-style data
///      contracts, the cheapest on-chain storage) and are copied to memory with EXTCODECOPY; the dot
///      products read 32 bytes per MLOAD. This is a reasonably optimised plain-EVM implementation.
contract PlainMLP {
    /// @notice Dimensions do not fit the contract's layout.
    error BadDimensions(uint256 inputSize, uint256 hiddenSize, uint256 outputSize);
    /// @notice An argument's length disagrees with the dimensions.
    error LengthMismatch(string what, uint256 expected, uint256 actual);
    /// @notice The requantization shift is outside 1..62.
    error BadShift(uint8 shift);
    /// @notice Only the deployer may load the weights, and only once.
    error NotOwner();
    /// @notice Weights were already loaded.
    error AlreadyLoaded();
    /// @notice infer() was called before loadWeights().
    error NotLoaded();
    /// @notice Creating a weight data contract failed.
    error ChunkDeployFailed(uint256 index);

    /// @notice Emitted once the weights are in place.
    event WeightsLoaded(uint256 weightBytes, uint256 chunks);

    /// @dev Keeps each data contract below the EIP-170 code size limit (24,576 bytes, one byte is the STOP prefix).
    uint256 public constant MAX_CHUNK = 24_000;

    uint256 public immutable inputSize;
    uint256 public immutable hiddenSize;
    uint256 public immutable outputSize;
    address private immutable owner;

    /// @dev Data contracts holding W1 ‖ W2 in order, each prefixed with a STOP byte.
    address[] private chunks;
    uint256 private weightBytes;
    int32[] private bias1;
    uint32[] private mult1;
    uint8 private shift1;
    int32[] private bias2;

    /// @param inSize input features (784 for Fashion-MNIST)
    /// @param hidSize hidden units (128)
    /// @param outSize classes (10)
    constructor(uint256 inSize, uint256 hidSize, uint256 outSize) {
        if (inSize == 0 || hidSize == 0 || outSize == 0 || inSize > 65_536 || hidSize > 65_536 || outSize > 65_536) {
            revert BadDimensions(inSize, hidSize, outSize);
        }
        inputSize = inSize;
        hiddenSize = hidSize;
        outputSize = outSize;
        owner = msg.sender;
    }

    /// @notice Stores the quantized weights (once). `weightChunks` concatenated must be W1 ‖ W2.
    /// @param weightChunks int8 weights W1 [hidden][input] then W2 [output][hidden], split into ≤ MAX_CHUNK pieces
    /// @param b1 hidden-layer int32 bias, hiddenSize entries
    /// @param m1 hidden-layer requantization multipliers, one per hidden unit
    /// @param t1 hidden-layer requantization shift (1..62)
    /// @param b2 output-layer int32 bias, outputSize entries
    function loadWeights(bytes[] calldata weightChunks, int32[] calldata b1, uint32[] calldata m1, uint8 t1, int32[] calldata b2)
        external
    {
        if (msg.sender != owner) revert NotOwner();
        if (chunks.length != 0) revert AlreadyLoaded();
        uint256 expected = hiddenSize * inputSize + outputSize * hiddenSize;
        uint256 total;
        for (uint256 i; i < weightChunks.length; ++i) {
            if (weightChunks[i].length > MAX_CHUNK) revert LengthMismatch("chunk", MAX_CHUNK, weightChunks[i].length);
            total += weightChunks[i].length;
        }
        if (total != expected) revert LengthMismatch("weights", expected, total);
        if (b1.length != hiddenSize) revert LengthMismatch("b1", hiddenSize, b1.length);
        if (m1.length != hiddenSize) revert LengthMismatch("m1", hiddenSize, m1.length);
        if (b2.length != outputSize) revert LengthMismatch("b2", outputSize, b2.length);
        if (t1 == 0 || t1 > 62) revert BadShift(t1);
        for (uint256 i; i < weightChunks.length; ++i) {
            chunks.push(_deployData(weightChunks[i], i));
        }
        weightBytes = total;
        bias1 = b1;
        mult1 = m1;
        shift1 = t1;
        bias2 = b2;
        emit WeightsLoaded(total, weightChunks.length);
    }

    /// @notice Classifies one image with the stored weights.
    /// @param pixels inputSize uint8 pixels
    /// @return label argmax of the logits (lowest index on ties)
    /// @return logits int32-range output-layer accumulators
    function infer(bytes calldata pixels) external view returns (uint256 label, int256[] memory logits) {
        if (chunks.length == 0) revert NotLoaded();
        if (pixels.length != inputSize) revert LengthMismatch("pixels", inputSize, pixels.length);
        bytes memory weights = _readWeights();
        return _forward(pixels, weights, bias1, mult1, shift1, bias2);
    }

    /// @notice The same inference with every parameter in calldata (no storage reads).
    /// @return label argmax of the logits
    /// @return logits output-layer accumulators
    function inferWith(
        bytes calldata pixels,
        bytes calldata weights,
        int32[] calldata b1,
        uint32[] calldata m1,
        uint8 t1,
        int32[] calldata b2
    ) external view returns (uint256 label, int256[] memory logits) {
        if (pixels.length != inputSize) revert LengthMismatch("pixels", inputSize, pixels.length);
        uint256 expected = hiddenSize * inputSize + outputSize * hiddenSize;
        if (weights.length != expected) revert LengthMismatch("weights", expected, weights.length);
        if (b1.length != hiddenSize) revert LengthMismatch("b1", hiddenSize, b1.length);
        if (m1.length != hiddenSize) revert LengthMismatch("m1", hiddenSize, m1.length);
        if (b2.length != outputSize) revert LengthMismatch("b2", outputSize, b2.length);
        if (t1 == 0 || t1 > 62) revert BadShift(t1);
        return _forward(pixels, weights, b1, m1, t1, b2);
    }

    function _forward(
        bytes memory pixels,
        bytes memory weights,
        int32[] memory b1,
        uint32[] memory m1,
        uint8 t1,
        int32[] memory b2
    ) private view returns (uint256 label, int256[] memory logits) {
        bytes memory hidden = _hiddenLayer(pixels, weights, b1, m1, t1);
        return _outputLayer(hidden, weights, b2);
    }

    function _hiddenLayer(bytes memory pixels, bytes memory weights, int32[] memory b1, uint32[] memory m1, uint8 t1)
        private
        view
        returns (bytes memory hidden)
    {
        uint256 nIn = inputSize;
        hidden = new bytes(hiddenSize);
        int256 half = int256(1) << (t1 - 1);
        for (uint256 j; j < hidden.length; ++j) {
            int256 acc = int256(b1[j]) + _dot(pixels, weights, j * nIn, nIn);
            // Single rounding, floor via arithmetic shift, then ReLU + int8 saturation in one clamp.
            int256 y = (acc * int256(uint256(m1[j])) + half) >> t1;
            if (y < 0) y = 0;
            if (y > 127) y = 127;
            hidden[j] = bytes1(uint8(uint256(y)));
        }
    }

    function _outputLayer(bytes memory hidden, bytes memory weights, int32[] memory b2)
        private
        view
        returns (uint256 label, int256[] memory logits)
    {
        uint256 nHid = hiddenSize;
        uint256 w2 = nHid * inputSize;
        logits = new int256[](outputSize);
        int256 best = type(int256).min;
        for (uint256 k; k < logits.length; ++k) {
            int256 acc = int256(b2[k]) + _dot(hidden, weights, w2 + k * nHid, nHid);
            logits[k] = acc;
            if (acc > best) {
                best = acc;
                label = k;
            }
        }
    }

    /// @dev Σ x[i]·w[i] for i < n, x unsigned bytes, w signed bytes. Reads 32 bytes per MLOAD.
    function _dot(bytes memory x, bytes memory w, uint256 wOff, uint256 n) private pure returns (int256 acc) {
        assembly ("memory-safe") {
            let xp := add(x, 32)
            let wp := add(add(w, 32), wOff)
            for { let i := 0 } lt(i, n) { i := add(i, 32) } {
                let xw := mload(add(xp, i))
                let ww := mload(add(wp, i))
                let m := sub(n, i)
                if gt(m, 32) { m := 32 }
                for { let k := 0 } lt(k, m) { k := add(k, 1) } {
                    acc := add(acc, mul(byte(k, xw), signextend(0, byte(k, ww))))
                }
            }
        }
    }

    /// @dev Concatenates the data contracts' code (skipping each STOP prefix) into memory.
    function _readWeights() private view returns (bytes memory weights) {
        weights = new bytes(weightBytes);
        uint256 n = chunks.length;
        uint256 dst;
        assembly ("memory-safe") {
            dst := add(weights, 32)
        }
        for (uint256 i; i < n; ++i) {
            address c = chunks[i];
            uint256 len = c.code.length - 1;
            assembly ("memory-safe") {
                extcodecopy(c, dst, 1, len)
            }
            dst += len;
        }
    }

    /// @dev SSTORE2: deploys a contract whose runtime code is 0x00 ‖ data.
    function _deployData(bytes calldata data, uint256 index) private returns (address pointer) {
        bytes memory runtime = abi.encodePacked(hex"00", data);
        // Init code: copy the runtime that follows this 10-byte prefix to memory 0 and return it.
        bytes memory init = abi.encodePacked(
            hex"61", uint16(runtime.length), hex"80600a3d393df3", runtime
        );
        assembly ("memory-safe") {
            pointer := create(0, add(init, 32), mload(init))
        }
        if (pointer == address(0)) revert ChunkDeployFailed(index);
    }
}
