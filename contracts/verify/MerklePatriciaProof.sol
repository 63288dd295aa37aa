// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MerklePatriciaProof
/// @notice RLP decoding and Merkle-Patricia trie proofs (the EIP-1186 `eth_getProof` layout): a
///         block header's state root, an account's storage root, a storage slot's value. Every
///         read is bounds-checked against the enclosing item, so a malformed proof reverts.
library MerklePatriciaProof {
    /// @notice An RLP encoding is truncated, overlong or not the expected kind.
    error InvalidRlp();
    /// @notice Proof node `nodeIndex` does not hash to the reference its parent holds, or the path
    ///         leaves the proof before reaching a value or a proven absence.
    error InvalidTrieProof(uint256 nodeIndex);

    /// @dev One RLP item in memory: where its encoding starts and how long the encoding is.
    struct Item {
        uint256 ptr;
        uint256 len;
    }

    // ------------------------------------------------------------------ RLP

    /// @notice The item spanning all of `b` (reverts unless `b` is exactly one RLP item).
    function toItem(bytes memory b) internal pure returns (Item memory it) {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := add(b, 32)
        }
        it = Item(ptr, b.length);
        (uint256 offset, uint256 len, ) = header(it);
        if (offset + len != b.length) revert InvalidRlp();
    }

    /// @notice Payload offset, payload length and whether the item is a list.
    function header(Item memory it) internal pure returns (uint256 offset, uint256 len, bool isList) {
        if (it.len == 0) revert InvalidRlp();
        uint256 ptr = it.ptr;
        uint256 b0;
        assembly ("memory-safe") {
            b0 := byte(0, mload(ptr))
        }
        if (b0 < 0x80) {
            (offset, len) = (0, 1);
        } else if (b0 < 0xb8) {
            (offset, len) = (1, b0 - 0x80);
        } else if (b0 < 0xc0) {
            (offset, len) = (1 + b0 - 0xb7, _bigEndian(it, 1, b0 - 0xb7));
        } else if (b0 < 0xf8) {
            (offset, len, isList) = (1, b0 - 0xc0, true);
        } else {
            (offset, len, isList) = (1 + b0 - 0xf7, _bigEndian(it, 1, b0 - 0xf7), true);
        }
        if (offset + len > it.len) revert InvalidRlp();
    }

    function _bigEndian(Item memory it, uint256 at, uint256 n) private pure returns (uint256 v) {
        if (n == 0 || n > 8 || at + n > it.len) revert InvalidRlp();
        uint256 ptr = it.ptr + at;
        assembly ("memory-safe") {
            v := shr(sub(256, mul(n, 8)), mload(ptr))
        }
    }

    /// @notice The items of a list.
    function items(Item memory it) internal pure returns (Item[] memory out) {
        (uint256 offset, uint256 len, bool isList) = header(it);
        if (!isList) revert InvalidRlp();
        uint256 end = it.ptr + offset + len;
        uint256 count;
        for (uint256 p = it.ptr + offset; p < end; ++count) p += _encodedLength(p, end);
        out = new Item[](count);
        uint256 q = it.ptr + offset;
        for (uint256 i; i < count; ++i) {
            uint256 n = _encodedLength(q, end);
            out[i] = Item(q, n);
            q += n;
        }
    }

    /// @dev Length of the encoding starting at `p`, which must end by `end`.
    function _encodedLength(uint256 p, uint256 end) private pure returns (uint256 n) {
        (uint256 offset, uint256 len, ) = header(Item(p, end - p));
        n = offset + len;
    }

    /// @notice Where a string item's bytes start and how many there are.
    function payload(Item memory it) internal pure returns (uint256 ptr, uint256 len) {
        (uint256 offset, uint256 l, bool isList) = header(it);
        if (isList) revert InvalidRlp();
        (ptr, len) = (it.ptr + offset, l);
    }

    /// @notice A string item of at most 32 bytes as an unsigned integer (big-endian).
    function toUint(Item memory it) internal pure returns (uint256 v) {
        (uint256 ptr, uint256 len) = payload(it);
        if (len > 32) revert InvalidRlp();
        if (len == 0) return 0;
        assembly ("memory-safe") {
            v := shr(sub(256, mul(len, 8)), mload(ptr))
        }
    }

    /// @notice A 32-byte string item.
    function toBytes32(Item memory it) internal pure returns (bytes32 v) {
        (uint256 ptr, uint256 len) = payload(it);
        if (len != 32) revert InvalidRlp();
        assembly ("memory-safe") {
            v := mload(ptr)
        }
    }

    function _keccak(Item memory it) private pure returns (bytes32 h) {
        (uint256 p, uint256 n) = (it.ptr, it.len);
        assembly ("memory-safe") {
            h := keccak256(p, n)
        }
    }

    // ------------------------------------------------------------------ trie

    /// @notice The value stored under keccak-hashed `key` in the trie with `root`, proven by `proof`
    ///         (the trie nodes from the root down, as eth_getProof returns them). `found` is false
    ///         when the proof shows the key absent. Nodes embedded in their parent (under 32 bytes)
    ///         are followed in place.
    function get(bytes32 root, bytes32 key, bytes[] memory proof) internal pure returns (bool found, Item memory value) {
        bytes32 expected = root;
        uint256 nibble; // nibbles of `key` consumed so far (64 in all)
        for (uint256 i; i < proof.length; ++i) {
            Item memory node = toItem(proof[i]);
            if (_keccak(node) != expected) revert InvalidTrieProof(i);
            while (true) {
                Item[] memory parts = items(node);
                Item memory child;
                if (parts.length == 17) {
                    if (nibble == 64) return (_nonEmpty(parts[16]), parts[16]);
                    child = parts[_nibbleAt(key, nibble)];
                    ++nibble;
                } else if (parts.length == 2) {
                    (bool matched, uint256 pathNibbles, bool isLeaf) = _matchPath(parts[0], key, nibble, i);
                    if (!matched) return _absent(i, proof.length);
                    nibble += pathNibbles;
                    if (isLeaf) {
                        // A leaf: the whole key must be consumed.
                        if (nibble != 64) return _absent(i, proof.length);
                        return (true, parts[1]);
                    }
                    child = parts[1];
                } else {
                    revert InvalidTrieProof(i);
                }
                (uint256 offset, uint256 len2, bool isList) = header(child);
                if (isList) {
                    node = child; // an embedded node: keep walking inside this proof element
                    continue;
                }
                if (len2 == 0) return _absent(i, proof.length);
                if (len2 != 32) revert InvalidTrieProof(i);
                uint256 p = child.ptr + offset;
                assembly ("memory-safe") {
                    expected := mload(p)
                }
                break;
            }
        }
        revert InvalidTrieProof(proof.length);
    }

    /// @dev Whether the hex-prefix path of an extension or leaf node continues `key` from `nibble`;
    ///      its length in nibbles, and whether the node is a leaf.
    function _matchPath(Item memory pathItem, bytes32 key, uint256 nibble, uint256 i)
        private
        pure
        returns (bool matched, uint256 pathNibbles, bool isLeaf)
    {
        (uint256 ptr, uint256 len) = payload(pathItem);
        if (len == 0) revert InvalidTrieProof(i);
        uint256 flag = _byteAt(ptr, 0) >> 4;
        if (flag > 3) revert InvalidTrieProof(i);
        isLeaf = flag >= 2;
        // Odd paths keep their first nibble in the flag byte.
        uint256 odd = flag & 1;
        pathNibbles = 2 * len - 2 + odd;
        if (nibble + pathNibbles > 64) return (false, pathNibbles, isLeaf);
        for (uint256 k; k < pathNibbles; ++k) {
            uint256 pos = k + 2 - odd; // position in the hex-prefix nibble string
            uint256 b = _byteAt(ptr, pos / 2);
            if ((pos % 2 == 0 ? b >> 4 : b & 0x0f) != _nibbleAt(key, nibble + k)) return (false, pathNibbles, isLeaf);
        }
        matched = true;
    }

    /// @dev A proof of absence must end at the node that shows it.
    function _absent(uint256 i, uint256 proofLength) private pure returns (bool, Item memory none) {
        if (i + 1 != proofLength) revert InvalidTrieProof(i + 1);
        return (false, none);
    }

    function _nonEmpty(Item memory it) private pure returns (bool) {
        (, uint256 len) = payload(it);
        return len != 0;
    }

    function _nibbleAt(bytes32 key, uint256 i) private pure returns (uint256) {
        uint256 b = uint8(key[i / 2]);
        return i % 2 == 0 ? b >> 4 : b & 0x0f;
    }

    function _byteAt(uint256 ptr, uint256 i) private pure returns (uint256 b) {
        assembly ("memory-safe") {
            b := byte(0, mload(add(ptr, i)))
        }
    }

    // ------------------------------------------------------------------ EIP-1186

    /// @notice A block header's number and state root, after checking it hashes to `blockHash`.
    function headerStateRoot(bytes32 blockHash, bytes memory rlpHeader) internal pure returns (uint256 number, bytes32 stateRoot) {
        if (keccak256(rlpHeader) != blockHash) revert InvalidTrieProof(0);
        Item[] memory fields = items(toItem(rlpHeader));
        if (fields.length < 15) revert InvalidRlp();
        stateRoot = toBytes32(fields[3]);
        number = toUint(fields[8]);
    }

    /// @notice An account's storage root under `stateRoot` (zero when the proof shows no account).
    function storageRoot(bytes32 stateRoot, address account, bytes[] memory accountProof) internal pure returns (bytes32) {
        (bool found, Item memory value) = get(stateRoot, keccak256(abi.encodePacked(account)), accountProof);
        if (!found) return bytes32(0);
        (uint256 ptr, uint256 len) = payload(value);
        // The leaf's value is a string holding the account's RLP list [nonce, balance, storageRoot, codeHash].
        Item[] memory account_ = items(Item(ptr, len));
        if (account_.length != 4) revert InvalidRlp();
        return toBytes32(account_[2]);
    }

    /// @notice A storage slot's value under `root` (zero when the proof shows it unset).
    function storageValue(bytes32 root, bytes32 slot, bytes[] memory slotProof) internal pure returns (uint256) {
        (bool found, Item memory value) = get(root, keccak256(abi.encodePacked(slot)), slotProof);
        if (!found) return 0;
        (uint256 ptr, uint256 len) = payload(value);
        // The leaf's value is a string holding RLP(the value without leading zeros).
        return toUint(Item(ptr, len));
    }
}
