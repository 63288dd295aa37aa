// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "aivm-contracts/AIVM.sol";
import {IAIVMErrors} from "aivm-contracts/interfaces/IAIVMErrors.sol";
import {IModelRegistry} from "aivm-contracts/interfaces/IModelRegistry.sol";

/// @title FashionClassifier
/// @notice Classifies Fashion-MNIST images with a model deployed through the ModelRegistry: the
///         registry resolves the model to its active program (weights in the persistent tensor
///         store), TCUSTOM runs it, the contract takes the argmax of the logits.
contract FashionClassifier is IAIVMErrors {
    IModelRegistry public immutable registry;
    uint256 public immutable modelId;
    /// @notice How many items each class has received.
    mapping(uint256 => uint256) public countOf;

    /// @notice Emitted for every recorded classification.
    event Classified(address indexed caller, uint256 indexed label, bytes32 logitsCommit);

    constructor(IModelRegistry registry_, uint256 modelId_) {
        registry = registry_;
        modelId = modelId_;
    }

    /// @notice The class (0..9) of `image`, the model's quantized input (wire format, int8 [1,784]).
    function classify(bytes calldata image) public view returns (uint256 label) {
        (label,) = _run(image);
    }

    /// @notice Classifies as a transaction: counts the class and emits the logits' Tensor Commit.
    function classifyAndCount(bytes calldata image) external returns (uint256 label) {
        bytes32 commit;
        (label, commit) = _run(image);
        countOf[label] += 1;
        emit Classified(msg.sender, label, commit);
    }

    function _run(bytes calldata image) private view returns (uint256 label, bytes32 commit) {
        IModelRegistry.Resolved memory m = registry.resolve(modelId, 0);
        bytes[] memory inputs = new bytes[](1);
        inputs[0] = image;
        bytes memory logits = AIVM.custom(m.programHandle, inputs, 0)[0];
        int256[] memory v = AIVM.toInts(logits);
        for (uint256 i = 1; i < v.length; i++) {
            if (v[i] > v[label]) label = i;
        }
        commit = AIVM.commitOf(logits);
    }
}
