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
        return _header(it.ptr, it.len);
    }

    /// @dev header() of the encoding at `ptr`, which must fit in `maxLen` bytes (no allocation).
    function _header(uint256 ptr, uint256 maxLen) private pure returns (uint256 offset, uint256 len, bool isList) {
        if (maxLen == 0) revert InvalidRlp();
        uint256 b0;
        assembly ("memory-safe") {
            b0 := byte(0, mload(ptr))
        }
        if (b0 < 0x80) {
            (offset, len) = (0, 1);
        } else if (b0 < 0xb8) {
            (offset, len) = (1, b0 - 0x80);
        } else if (b0 < 0xc0) {
            (offset, len) = (1 + b0 - 0xb7, _bigEndian(ptr, maxLen, b0 - 0xb7));
        } else if (b0 < 0xf8) {
            (offset, len, isList) = (1, b0 - 0xc0, true);
        } else {
            (offset, len, isList) = (1 + b0 - 0xf7, _bigEndian(ptr, maxLen, b0 - 0xf7), true);
        }
        if (offset + len > maxLen) revert InvalidRlp();
    }

    /// @dev The `n`-byte big-endian length after the first byte at `ptr`.
    function _bigEndian(uint256 ptr, uint256 maxLen, uint256 n) private pure returns (uint256 v) {
        if (n == 0 || n > 8 || 1 + n > maxLen) revert InvalidRlp();
        assembly ("memory-safe") {
            v := shr(sub(256, mul(n, 8)), mload(add(ptr, 1)))
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
        (uint256 offset, uint256 len, ) = _header(p, end - p);
        n = offset + len;
    }

    /// @dev How many items list `it` holds, and its item number `want` (if it has one). The hot loop
    ///      of every proof step, so in assembly: each item's length comes from its first bytes, and
    ///      an item that would run past the list's end reverts.
    function _itemAt(Item memory it, uint256 want) private pure returns (uint256 count, uint256 ptr, uint256 len) {
        (uint256 offset, uint256 l, bool isList) = _header(it.ptr, it.len);
        if (!isList) revert InvalidRlp();
        uint256 end = it.ptr + offset + l;
        bool bad;
        assembly ("memory-safe") {
            for { let p := add(mload(it), offset) } lt(p, end) { count := add(count, 1) } {
                let b0 := byte(0, mload(p))
                let n := 1
                if gt(b0, 0x7f) {
                    switch lt(b0, 0xb8)
                    case 1 { n := sub(b0, 0x7f) }
                    default {
                        switch lt(b0, 0xc0)
                        case 1 {
                            let ll := sub(b0, 0xb7)
                            n := add(add(1, ll), shr(sub(256, mul(ll, 8)), mload(add(p, 1))))
                        }
                        default {
                            switch lt(b0, 0xf8)
                            case 1 { n := sub(b0, 0xbf) }
                            default {
                                let ll := sub(b0, 0xf7)
                                n := add(add(1, ll), shr(sub(256, mul(ll, 8)), mload(add(p, 1))))
                            }
                        }
                    }
                }
                // Lengths come from at most 8 bytes, so p + n cannot wrap; past `end` is malformed.
                if gt(add(p, n), end) { bad := 1 }
                if eq(count, want) {
                    ptr := p
                    len := n
                }
                p := add(p, n)
            }
        }
        if (bad) revert InvalidRlp();
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
            uint256 outcome;
            (outcome, nibble, value, expected) = _walk(node, key, nibble, i);
            if (outcome == _FOUND) return (true, value);
            if (outcome == _ABSENT) {
                // A proof of absence must end at the node that shows it.
                if (i + 1 != proof.length) revert InvalidTrieProof(i + 1);
                return (false, value);
            }
        }
        revert InvalidTrieProof(proof.length);
    }

    uint256 private constant _NEXT = 0;
    uint256 private constant _FOUND = 1;
    uint256 private constant _ABSENT = 2;

    /// @dev Follows `key` from `nibble` through one proof node (and the nodes embedded in it): the
    ///      value, a proven absence, or the hash of the next proof node.
    function _walk(Item memory node, bytes32 key, uint256 nibble, uint256 i)
        private
        pure
        returns (uint256 outcome, uint256, Item memory child, bytes32 next)
    {
        while (true) {
            // One pass over the node: its item count and the branch child this nibble selects.
            uint256 count;
            (count, child.ptr, child.len) = _itemAt(node, nibble == 64 ? 16 : _nibbleAt(key, nibble));
            if (count == 17) {
                if (nibble == 64) return (_nonEmpty(child) ? _FOUND : _ABSENT, nibble, child, 0);
                ++nibble;
            } else if (count == 2) {
                Item memory path;
                (path, child) = _pair(node);
                (bool matched, uint256 pathNibbles, bool isLeaf) = _matchPath(path, key, nibble, i);
                if (!matched) return (_ABSENT, nibble, child, 0);
                nibble += pathNibbles;
                // A leaf must consume the whole key.
                if (isLeaf) return (nibble == 64 ? _FOUND : _ABSENT, nibble, child, 0);
            } else {
                revert InvalidTrieProof(i);
            }
            (uint256 offset, uint256 len, bool isList) = _header(child.ptr, child.len);
            if (isList) {
                node = Item(child.ptr, child.len); // an embedded node: keep walking inside this proof element
                continue;
            }
            if (len == 0) return (_ABSENT, nibble, child, 0);
            if (len != 32) revert InvalidTrieProof(i);
            uint256 p = child.ptr + offset;
            assembly ("memory-safe") {
                next := mload(p)
            }
            return (_NEXT, nibble, child, next);
        }
    }

    /// @dev Items 0 and 1 of a two-item node: the hex-prefix path, then the value or the child reference.
    function _pair(Item memory node) private pure returns (Item memory path, Item memory second) {
        (uint256 offset, , ) = _header(node.ptr, node.len);
        uint256 end = node.ptr + node.len;
        path = Item(node.ptr + offset, _encodedLength(node.ptr + offset, end));
        second = Item(path.ptr + path.len, _encodedLength(path.ptr + path.len, end));
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
        bool differs;
        assembly ("memory-safe") {
            // Path nibble k sits at position k + 2 - odd of the hex-prefix string; key nibble j at j.
            for { let k := 0 } lt(k, pathNibbles) { k := add(k, 1) } {
                let pos := sub(add(k, 2), odd)
                let b := byte(0, mload(add(ptr, shr(1, pos))))
                let have := and(shr(mul(4, sub(1, and(pos, 1))), b), 0x0f)
                let j := add(nibble, k)
                let kb := byte(shr(1, j), key)
                let want := and(shr(mul(4, sub(1, and(j, 1))), kb), 0x0f)
                if iszero(eq(have, want)) {
                    differs := 1
                    break
                }
            }
        }
        if (differs) return (false, pathNibbles, isLeaf);
        matched = true;
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
        Item memory h = toItem(rlpHeader);
        (uint256 count, uint256 ptr, uint256 len) = _itemAt(h, 3);
        if (count < 15) revert InvalidRlp();
        stateRoot = toBytes32(Item(ptr, len));
        (, ptr, len) = _itemAt(h, 8);
        number = toUint(Item(ptr, len));
    }

    /// @notice An account's storage root under `stateRoot` (zero when the proof shows no account).
    function storageRoot(bytes32 stateRoot, address account, bytes[] memory accountProof) internal pure returns (bytes32) {
        (bool found, Item memory value) = get(stateRoot, keccak256(abi.encodePacked(account)), accountProof);
        if (!found) return bytes32(0);
        (uint256 ptr, uint256 len) = payload(value);
        // The leaf's value is a string holding the account's RLP list [nonce, balance, storageRoot, codeHash].
        (uint256 count, uint256 rootPtr, uint256 rootLen) = _itemAt(Item(ptr, len), 2);
        if (count != 4) revert InvalidRlp();
        return toBytes32(Item(rootPtr, rootLen));
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
