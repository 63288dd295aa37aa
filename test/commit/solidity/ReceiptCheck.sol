// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ReceiptCheck
/// @notice Recomputes AIVM commitments in Solidity exactly as docs/spec.md#commitments specifies, so a
///         test can prove the documented byte layouts are what a contract would compute.
contract ReceiptCheck {
    /// @notice The receipt leaf: keccak256(0x02 ‖ precompile ‖ paramsHash ‖ n ‖ inputs ‖ m ‖ outputs ‖ gas ‖ flops).
    function receiptLeaf(
        address precompile,
        bytes32 paramsHash,
        bytes32[] calldata inputCommits,
        bytes32[] calldata outputCommits,
        uint256 gasUsed,
        uint256 flops
    ) external pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                uint8(2),
                precompile,
                paramsHash,
                uint32(inputCommits.length),
                inputCommits,
                uint32(outputCommits.length),
                outputCommits,
                gasUsed,
                flops
            )
        );
    }

    /// @notice Merkle inclusion of `leaf` at `index` among `count` leaves (zero-hash padding, 0x01 nodes).
    function verifyInclusion(bytes32 root, bytes32 leaf, uint256 index, uint256 count, bytes32[] calldata proof)
        external
        pure
        returns (bool)
    {
        if (index >= count) return false;
        uint256 depth = 0;
        while ((uint256(1) << depth) < count) depth++;
        if (proof.length != depth) return false;
        bytes32 h = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            h = index & 1 == 0
                ? keccak256(abi.encodePacked(uint8(1), h, proof[i]))
                : keccak256(abi.encodePacked(uint8(1), proof[i], h));
            index >>= 1;
        }
        return h == root;
    }

    /// @notice A Tensor Commit from its header, chunk root and chunk count.
    function tensorCommit(bytes calldata header, bytes32 chunkRoot, uint32 chunkCount) external pure returns (bytes32) {
        return keccak256(abi.encodePacked(uint8(3), keccak256(abi.encodePacked(uint8(4), header)), chunkRoot, chunkCount));
    }

    /// @notice The int8 [2,3] test vector of docs/spec.md#tensor-wire-format, built with abi.encodePacked.
    function int8Vector() external pure returns (bytes memory) {
        return abi.encodePacked(bytes4("AIVT"), uint8(1), uint8(1), uint8(2), uint8(0), uint32(6), uint32(2), uint32(3), hex"01fe03fc0580");
    }
}
