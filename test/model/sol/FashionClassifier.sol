// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "./aivm/AIVM.sol";
import {IModelRegistry} from "./aivm/interfaces/IModelRegistry.sol";

/// @title FashionClassifier
/// @notice Classifies a Fashion-MNIST image with a model deployed on chain: the registry pins the
///         stored program (weights in the persistent tensor store), TCUSTOM runs it, the contract
///         takes the argmax of the logits.
contract FashionClassifier {
    /// @notice The registry that resolves the model to its active program.
    IModelRegistry public immutable registry;
    /// @notice The model's id in the registry.
    uint256 public immutable modelId;

    /// @notice Emitted when a classification is recorded on chain.
    event Classified(address indexed caller, uint256 label, bytes32 programHandle);

    constructor(IModelRegistry registry_, uint256 modelId_) {
        registry = registry_;
        modelId = modelId_;
    }

    /// @notice The class (0..9) of an image given as the model's quantized input tensor (wire format).
    /// @param image The input tensor, as `aivm model` encodes it (int8 [1,784] for the MLP).
    /// @return label Index of the largest logit.
    function classify(bytes calldata image) public view returns (uint256 label) {
        (label,) = _classify(image);
    }

    /// @notice Classifies and records the result in an event (a transaction, so it leaves receipts).
    /// @param image The input tensor.
    /// @return label Index of the largest logit.
    function classifyAndRecord(bytes calldata image) external returns (uint256 label) {
        bytes32 handle;
        (label, handle) = _classify(image);
        emit Classified(msg.sender, label, handle);
    }

    function _classify(bytes calldata image) private view returns (uint256 label, bytes32 handle) {
        IModelRegistry.Resolved memory r = registry.resolve(modelId, 0);
        bytes[] memory inputs = new bytes[](1);
        inputs[0] = image;
        bytes[] memory outputs = AIVM.custom(r.programHandle, inputs, 0);
        int256[] memory logits = AIVM.toInts(outputs[0]);
        for (uint256 i = 1; i < logits.length; i++) {
            if (logits[i] > logits[label]) label = i;
        }
        handle = r.programHandle;
    }
}
