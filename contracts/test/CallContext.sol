// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title CallContext
/// @notice Test contract: returns what an eth_call sees of its context, so the node's call paths
///         (test/chain/direct-call.test.ts) can be compared value for value, gasleft() included.
contract CallContext {
    uint256 public stored = 7;

    struct Seen {
        address sender;
        address origin;
        uint256 gasPrice;
        address coinbase;
        uint256 baseFee;
        uint256 number;
        uint256 timestamp;
        uint256 value;
        uint256 selfBalance;
        uint256 transientAndStored;
        uint256 gasLeft;
        uint256 otherCodeSize;
        address child;
    }

    /// @notice Everything a call can observe about how it was run.
    function context(address other) external payable returns (Seen memory s) {
        stored += 1;
        uint256 before;
        assembly {
            before := tload(0)
            tstore(0, add(before, 1))
        }
        s.sender = msg.sender;
        s.origin = tx.origin;
        s.gasPrice = tx.gasprice;
        s.coinbase = block.coinbase;
        s.baseFee = block.basefee;
        s.number = block.number;
        s.timestamp = block.timestamp;
        s.value = msg.value;
        s.selfBalance = address(this).balance;
        s.transientAndStored = before + stored;
        // A CREATE's address depends on this contract's nonce.
        s.child = address(new Child());
        s.otherCodeSize = other.code.length;
        s.gasLeft = gasleft();
    }

    function fail(uint256 code) external pure {
        require(code == 0, "CallContext: fail");
    }
}

contract Child {
    uint256 public born = block.number;
}
