// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "../../AIVM.sol";
import {IAIVMErrors} from "../../interfaces/IAIVMErrors.sol";
import {IModelRegistry} from "../../interfaces/IModelRegistry.sol";

/// @title FashionDemo
/// @notice The dev node's Fashion-MNIST classifier: ModelRegistry resolves the MLP to its stored
///         program (weights in the persistent tensor store), TCUSTOM runs it, the contract takes the
///         argmax of the ten logits. Same logic as test/model/sol/FashionClassifier.sol, plus class
///         names and the output's Tensor Commit.
/// @dev Inherits IAIVMErrors so clients decode precompile reverts (ShapeMismatch, ...) from this ABI.
contract FashionDemo is IAIVMErrors {
    /// @notice The registry that resolves the model to its active program.
    IModelRegistry public immutable registry;
    /// @notice The model's id in the registry.
    uint256 public immutable modelId;
    /// @notice Number of recorded classifications.
    uint256 public classifications;

    /// @notice Emitted by every recorded classification.
    /// @param caller Who asked.
    /// @param label Predicted class, 0..9.
    /// @param logitsCommit Tensor Commit of the logits the precompile returned.
    /// @param programHandle The stored program that ran.
    event Classified(address indexed caller, uint256 label, bytes32 indexed logitsCommit, bytes32 programHandle);

    /// @param registry_ ModelRegistry (the predeploy at 0x…A120 on the dev chain).
    /// @param modelId_ The Fashion-MNIST MLP's model id.
    constructor(IModelRegistry registry_, uint256 modelId_) {
        registry = registry_;
        modelId = modelId_;
    }

    /// @notice The class of an image given as the model's quantized input tensor (wire format).
    /// @param image int8 [1, 784]: pixel / 255 quantized with the package's input scale.
    /// @return label Index of the largest logit.
    /// @return name The Fashion-MNIST class name.
    function classify(bytes calldata image) external view returns (uint256 label, string memory name) {
        (label,) = _classify(image);
        name = className(label);
    }

    /// @notice Classifies as a transaction, so the run leaves AIVM receipts; emits the result.
    /// @param image The input tensor, as for `classify`.
    /// @return label Index of the largest logit.
    /// @return logitsCommit Tensor Commit of the logits.
    function classifyAndRecord(bytes calldata image) external returns (uint256 label, bytes32 logitsCommit) {
        bytes memory logits;
        (label, logits) = _classify(image);
        logitsCommit = AIVM.commitOf(logits);
        classifications += 1;
        emit Classified(msg.sender, label, logitsCommit, registry.resolve(modelId, 0).programHandle);
    }

    /// @notice Fashion-MNIST class names, by index.
    /// @param label 0..9 (anything else yields an empty string).
    /// @return The class name.
    function className(uint256 label) public pure returns (string memory) {
        string[10] memory names =
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
        return label < 10 ? names[label] : "";
    }

    function _classify(bytes calldata image) private view returns (uint256 label, bytes memory logits) {
        IModelRegistry.Resolved memory r = registry.resolve(modelId, 0);
        bytes[] memory inputs = new bytes[](1);
        inputs[0] = image;
        logits = AIVM.custom(r.programHandle, inputs, 0)[0];
        int256[] memory values = AIVM.toInts(logits);
        for (uint256 i = 1; i < values.length; i++) {
            if (values[i] > values[label]) label = i;
        }
    }
}
