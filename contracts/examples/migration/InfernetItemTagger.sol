// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CallbackConsumer} from "../../adapters/infernet/CallbackConsumer.sol";

/// @title InfernetItemTagger
/// @notice Written the Ritual Infernet way (inherit CallbackConsumer, `_requestCompute`, override
///         `_receiveCompute`); only the import points at AIVM's CallbackConsumer. Tags an item image
///         with the class the "fashion-classifier" container returns.
contract InfernetItemTagger is CallbackConsumer {
    /// @notice Emitted when a tag arrives.
    event Tagged(uint32 indexed subscriptionId, uint256 label, bytes32 proofRoot);

    /// @notice subscription id → class label + 1 (0 = not tagged).
    mapping(uint32 => uint256) public tagOf;
    uint32 public lastSubscription;

    constructor(address registry) CallbackConsumer(registry) {}

    /// @notice Requests a tag for `image` (wire-format int8 tensor).
    function tag(bytes calldata image) external returns (uint32 subscriptionId) {
        (subscriptionId,) = _requestCompute("fashion-classifier", image, 1, address(0), 0, address(0), address(0));
        lastSubscription = subscriptionId;
    }

    function _receiveCompute(
        uint32 subscriptionId,
        uint32,
        uint16,
        address,
        bytes calldata,
        bytes calldata output,
        bytes calldata proof,
        bytes32,
        uint256
    ) internal override {
        _record(subscriptionId, output, proof);
    }

    // Kept apart from _receiveCompute: its nine parameters leave no stack room for locals.
    function _record(uint32 subscriptionId, bytes calldata output, bytes calldata proof) private {
        (uint256 label,) = abi.decode(output, (uint256, bytes32));
        (bytes32 root,) = abi.decode(proof, (bytes32, uint256));
        tagOf[subscriptionId] = label + 1;
        emit Tagged(subscriptionId, label, root);
    }
}
