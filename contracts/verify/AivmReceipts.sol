// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title AivmReceipts
/// @notice src/commit's receipt leaf and Merkle tree (docs/spec.md#receipts, docs/verify.md), in
///         Solidity: the same preimages, domain tags and padding, so a leaf or root computed here
///         equals the node's byte for byte (test/verify/receipt-verifier.test.ts cross-checks them).
library AivmReceipts {
    /// @notice The fields one AIVM op receipt leaf commits to.
    struct Receipt {
        /// @dev The precompile that ran (0x…A101 … 0x…A108).
        address precompile;
        /// @dev keccak256(0x05 ‖ params) of the call's parameters (src/commit paramsHash).
        bytes32 paramsHash;
        bytes32[] inputCommits;
        bytes32[] outputCommits;
        uint256 gasUsed;
        uint256 flops;
    }

    /// @notice A leaf preimage is shorter than its counts declare, or longer.
    error MalformedLeafPreimage(uint256 length);

    uint8 internal constant NODE_TAG = 0x01;
    uint8 internal constant RECEIPT_LEAF_TAG = 0x02;

    /// @notice keccak256(0x02 ‖ precompile ‖ paramsHash ‖ u32 n ‖ inputs ‖ u32 m ‖ outputs ‖ gas ‖ flops).
    function leafOf(Receipt memory r) internal pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                bytes1(RECEIPT_LEAF_TAG),
                r.precompile,
                r.paramsHash,
                uint32(r.inputCommits.length),
                r.inputCommits,
                uint32(r.outputCommits.length),
                r.outputCommits,
                r.gasUsed,
                r.flops
            )
        );
    }

    /// @notice Decodes a leaf preimage (what keccak256 hashes into the leaf) back into its fields.
    function decodePreimage(bytes calldata p) internal pure returns (Receipt memory r) {
        // tag (1) + precompile (20) + paramsHash (32) + input count (4), then the inputs, the output
        // count (4), the outputs, gas (32) and FLOPs (32).
        if (p.length < 125 || uint8(p[0]) != RECEIPT_LEAF_TAG) revert MalformedLeafPreimage(p.length);
        r.precompile = address(bytes20(p[1:21]));
        r.paramsHash = bytes32(p[21:53]);
        uint256 n = uint32(bytes4(p[53:57]));
        uint256 o = 57;
        if (p.length < o + 32 * n + 68) revert MalformedLeafPreimage(p.length);
        r.inputCommits = new bytes32[](n);
        for (uint256 i; i < n; ++i) r.inputCommits[i] = bytes32(p[o + 32 * i:o + 32 * i + 32]);
        o += 32 * n;
        uint256 m = uint32(bytes4(p[o:o + 4]));
        o += 4;
        if (p.length != o + 32 * m + 64) revert MalformedLeafPreimage(p.length);
        r.outputCommits = new bytes32[](m);
        for (uint256 i; i < m; ++i) r.outputCommits[i] = bytes32(p[o + 32 * i:o + 32 * i + 32]);
        o += 32 * m;
        r.gasUsed = uint256(bytes32(p[o:o + 32]));
        r.flops = uint256(bytes32(p[o + 32:o + 64]));
    }

    /// @notice keccak256(0x01 ‖ left ‖ right): an internal node of every AIVM Merkle tree.
    function hashNode(bytes32 left, bytes32 right) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            // Scratch space past the free memory pointer: nothing is allocated.
            let m := mload(0x40)
            mstore8(m, NODE_TAG)
            mstore(add(m, 1), left)
            mstore(add(m, 33), right)
            h := keccak256(m, 65)
        }
    }

    /// @notice Levels above the leaves of a tree of `leafCount` leaves: every proof's exact length.
    function treeDepth(uint256 leafCount) internal pure returns (uint256 depth) {
        while ((uint256(1) << depth) < leafCount) ++depth;
    }

    /// @notice The root implied by `leaf` at `index` and its siblings, leaf level first.
    function rootFromProof(bytes32 leaf, uint256 index, bytes32[] calldata siblings) internal pure returns (bytes32 h) {
        h = leaf;
        for (uint256 i; i < siblings.length; ++i) {
            h = index & 1 == 0 ? hashNode(h, siblings[i]) : hashNode(siblings[i], h);
            index >>= 1;
        }
    }

    /// @notice Whether `leaf` is leaf `index` of the `leafCount`-leaf tree with `root`. The count
    ///         fixes the proof length, so a proof can neither stop at an inner node nor reach padding.
    function isIncluded(bytes32 root, uint256 leafCount, bytes32 leaf, uint256 index, bytes32[] calldata siblings) internal pure returns (bool) {
        if (index >= leafCount || siblings.length != treeDepth(leafCount)) return false;
        return rootFromProof(leaf, index, siblings) == root;
    }
}
