// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The contract test/rpc/hardhat-differential.test.ts deploys on Hardhat's node and on
/// `aivm node`: storage, events, every kind of failure, refunds and the block environment.
contract Differential {
    error Custom(uint256 code, address who);

    event Stored(address indexed who, uint256 indexed key, uint256 value);
    event Pinged(uint256 n);

    uint256 public value;
    mapping(uint256 => uint256) public map;

    constructor(uint256 initial) payable {
        value = initial;
    }

    receive() external payable {}

    /// @notice Stores `v` in slot 0 and emits Stored.
    function set(uint256 v) external {
        value = v;
        emit Stored(msg.sender, 0, v);
    }

    /// @notice Stores `v` under `k` and emits Stored.
    function setMap(uint256 k, uint256 v) external {
        map[k] = v;
        emit Stored(msg.sender, k, v);
    }

    /// @notice Emits `n` Pinged events.
    function ping(uint256 n) external {
        for (uint256 i = 0; i < n; i++) emit Pinged(i);
    }

    /// @notice Clears the mapping entry `k` (a refund), after burning some gas.
    function clear(uint256 k) external {
        uint256 acc;
        unchecked {
            for (uint256 i = 0; i < 50; i++) acc += uint256(keccak256(abi.encode(i, acc)));
        }
        map[k] = 0;
        value = acc & 1;
    }

    /// @notice Forwards a call with all but 1/64 of the gas, so the estimate must cover the 63/64 rule.
    function forward(uint256 rounds) external {
        if (rounds == 0) {
            map[7] = gasleft();
            return;
        }
        this.forward(rounds - 1);
    }

    function failRequire() external pure {
        require(false, "require failed");
    }

    function failCustom() external view {
        revert Custom(42, msg.sender);
    }

    function failPanic(uint256 d) external pure returns (uint256) {
        return 1 / d;
    }

    function failAssert() external pure {
        assert(false);
    }

    function failEmpty() external pure {
        revert();
    }

    /// @notice Runs out of gas at once: memory expansion to 1 TiB costs more than any block.
    function failOutOfGas() external {
        value = 1;
        assembly {
            mstore(0xffffffffff, 1)
        }
    }

    function failInvalid() external pure {
        assembly {
            invalid()
        }
    }

    /// @notice The block environment as the EVM sees it.
    function env()
        external
        view
        returns (uint256 chainId, uint256 number, uint256 timestamp, address coinbase, uint256 baseFee, uint256 gasLimit, uint256 balance, address origin)
    {
        return (block.chainid, block.number, block.timestamp, block.coinbase, block.basefee, block.gaslimit, address(this).balance, tx.origin);
    }
}
