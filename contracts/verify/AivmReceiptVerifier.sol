// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IBlockAnchor} from "../interfaces/IBlockAnchor.sol";
import {AivmReceipts} from "./AivmReceipts.sol";
import {MerklePatriciaProof} from "./MerklePatriciaProof.sol";

/// @title AivmReceiptVerifier
/// @notice Checks that an AIVM op receipt is in a block's anchor, and hands back its fields, so a
///         contract can require "this output commit was produced by these params on these input
///         commits" (docs/verify.md). On the AIVM chain the anchor comes from BlockAnchor (0x…A110),
///         which keeps every block's anchor; elsewhere (another chain, or a client holding only a
///         header hash) it comes from a block header and an EIP-1186 storage proof of BlockAnchor.
///         Stateless: deploy it anywhere, or call the libraries directly.
contract AivmReceiptVerifier {
    /// @notice The BlockAnchor system contract.
    address public constant BLOCK_ANCHOR = 0x000000000000000000000000000000000000A110;
    /// @dev BlockAnchor's storage: slot 1 holds mapping(uint256 => {root, receiptCount, flops}).
    uint256 internal constant ANCHORS_SLOT = 1;

    /// @notice An anchor proven from a header: BlockAnchor's storage at that header's state root.
    struct AnchorProof {
        /// @dev The RLP-encoded block header whose hash the caller trusts.
        bytes header;
        /// @dev eth_getProof(BlockAnchor, …).accountProof at that header.
        bytes[] accountProof;
        /// @dev storageProof of the anchor's root slot, then of its receiptCount slot.
        bytes[] rootProof;
        bytes[] countProof;
    }

    /// @notice The block has no anchor (no AIVM receipts, or not sealed yet).
    error AnchorMissing(uint256 blockNumber);
    /// @notice The proof does not place the leaf at `leafIndex` of the anchor's `leafCount` leaves.
    error ReceiptNotIncluded(uint256 blockNumber, uint256 leafIndex, uint256 leafCount);
    /// @notice The receipt's precompile is not an AIVM opcode (0x…A101 … 0x…A108).
    error NotAnAivmOpcode(address precompile);
    /// @notice The header proves the state of block `headerBlock`, before the anchor of `anchorBlock` was written.
    error AnchorAfterHeader(uint256 anchorBlock, uint256 headerBlock);

    /// @notice The opcode of an AIVM precompile address: 0xA101 (TMATMUL) … 0xA108 (TGRAPH).
    function opcodeOf(address precompile) public pure returns (uint16) {
        uint160 a = uint160(precompile);
        if (a < 0xA101 || a > 0xA108) revert NotAnAivmOpcode(precompile);
        return uint16(a);
    }

    /// @notice The leaf hash of a receipt (src/commit receiptLeaf).
    function leafOf(AivmReceipts.Receipt calldata receipt) external pure returns (bytes32) {
        return AivmReceipts.leafOf(receipt);
    }

    /// @notice Decodes a leaf preimage (keccak256 of it is the leaf) into the receipt's fields.
    function decodeLeaf(bytes calldata preimage) external pure returns (AivmReceipts.Receipt memory receipt, uint16 opcode) {
        receipt = AivmReceipts.decodePreimage(preimage);
        opcode = opcodeOf(receipt.precompile);
    }

    /// @notice The anchor of `blockNumber` as BlockAnchor holds it on this chain.
    function anchorOf(uint256 blockNumber) public view returns (bytes32 root, uint256 receiptCount) {
        (root, receiptCount, ) = IBlockAnchor(BLOCK_ANCHOR).anchorOf(blockNumber);
        if (receiptCount == 0) revert AnchorMissing(blockNumber);
    }

    /// @notice Reverts unless `leaf` is leaf `leafIndex` of block `blockNumber`'s anchor.
    function verifyLeaf(uint256 blockNumber, bytes32 leaf, uint256 leafIndex, bytes32[] calldata siblings) public view {
        (bytes32 root, uint256 count) = anchorOf(blockNumber);
        if (!AivmReceipts.isIncluded(root, count, leaf, leafIndex, siblings)) revert ReceiptNotIncluded(blockNumber, leafIndex, count);
    }

    /// @notice Reverts unless the receipt is leaf `leafIndex` of block `blockNumber`'s anchor;
    ///         returns its leaf and opcode. The caller then compares the fields it relies on.
    function verifyReceipt(uint256 blockNumber, AivmReceipts.Receipt calldata receipt, uint256 leafIndex, bytes32[] calldata siblings)
        external
        view
        returns (bytes32 leaf, uint16 opcode)
    {
        opcode = opcodeOf(receipt.precompile);
        leaf = AivmReceipts.leafOf(receipt);
        verifyLeaf(blockNumber, leaf, leafIndex, siblings);
    }

    /// @notice verifyReceipt over a leaf preimage: checks it and returns the decoded fields.
    function verifyLeafPreimage(uint256 blockNumber, bytes calldata preimage, uint256 leafIndex, bytes32[] calldata siblings)
        external
        view
        returns (AivmReceipts.Receipt memory receipt, uint16 opcode)
    {
        receipt = AivmReceipts.decodePreimage(preimage);
        opcode = opcodeOf(receipt.precompile);
        verifyLeaf(blockNumber, keccak256(preimage), leafIndex, siblings);
    }

    /// @notice The anchor of `anchorBlock` from a header whose hash the caller trusts (a light
    ///         client, a bridge, or blockhash() here): header → state root → BlockAnchor's storage
    ///         root → the anchor's root and receiptCount slots. Any block up to the header's own.
    function anchorFromHeader(bytes32 trustedBlockHash, uint256 anchorBlock, AnchorProof calldata proof)
        public
        pure
        returns (bytes32 root, uint256 receiptCount)
    {
        (uint256 headerBlock, bytes32 stateRoot) = MerklePatriciaProof.headerStateRoot(trustedBlockHash, proof.header);
        if (anchorBlock > headerBlock) revert AnchorAfterHeader(anchorBlock, headerBlock);
        bytes32 storageRoot = MerklePatriciaProof.storageRoot(stateRoot, BLOCK_ANCHOR, proof.accountProof);
        uint256 base = uint256(keccak256(abi.encode(anchorBlock, ANCHORS_SLOT)));
        root = bytes32(MerklePatriciaProof.storageValue(storageRoot, bytes32(base), proof.rootProof));
        receiptCount = MerklePatriciaProof.storageValue(storageRoot, bytes32(base + 1), proof.countProof);
        if (receiptCount == 0) revert AnchorMissing(anchorBlock);
    }

    /// @notice verifyReceipt against an anchor proven from a trusted header hash (no BlockAnchor
    ///         read: works on any chain, for blocks of any age).
    function verifyReceiptFromHeader(
        bytes32 trustedBlockHash,
        uint256 anchorBlock,
        AnchorProof calldata anchorProof,
        AivmReceipts.Receipt calldata receipt,
        uint256 leafIndex,
        bytes32[] calldata siblings
    ) external pure returns (bytes32 leaf, uint16 opcode) {
        (bytes32 root, uint256 count) = anchorFromHeader(trustedBlockHash, anchorBlock, anchorProof);
        opcode = opcodeOf(receipt.precompile);
        leaf = AivmReceipts.leafOf(receipt);
        if (!AivmReceipts.isIncluded(root, count, leaf, leafIndex, siblings)) revert ReceiptNotIncluded(anchorBlock, leafIndex, count);
    }

    /// @notice anchorFromHeader trusting this chain's blockhash() (the last 256 blocks): the
    ///         header path checked where BlockAnchor could be read directly, e.g. to test a proof.
    function anchorFromRecentHeader(uint256 anchorBlock, AnchorProof calldata proof) external view returns (bytes32 root, uint256 receiptCount) {
        MerklePatriciaProof.Item[] memory fields = MerklePatriciaProof.items(MerklePatriciaProof.toItem(proof.header));
        return anchorFromHeader(blockhash(MerklePatriciaProof.toUint(fields[8])), anchorBlock, proof);
    }
}
