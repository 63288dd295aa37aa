// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AivmTest} from "aivm/foundry/AivmTest.sol";
import {AIVM} from "aivm/AIVM.sol";
import {IAIVMErrors} from "aivm/interfaces/IAIVMErrors.sol";
import {MatmulExample} from "../src/MatmulExample.sol";
import {FashionClassifier} from "../src/FashionClassifier.sol";

// The example contracts under forge, with the AIVM precompiles answering through the real engine
// (AivmTest's shims → `aivm ffi`). Every result is also logged: the repository's
// test/foundry/foundry.test.ts compares the logs with what `aivm node` returns for the same calls.

/// @notice TMATMUL and TCOMMIT through MatmulExample.
contract MatmulTest is AivmTest {
    MatmulExample internal matmul;

    function setUp() public {
        matmul = new MatmulExample();
    }

    /// @dev A [2, 3] and B [3, 4], int8, with negative values and the int8 extremes.
    function _operands() internal pure returns (bytes memory a, bytes memory b, int256[] memory av, int256[] memory bv) {
        av = new int256[](6);
        bv = new int256[](12);
        int8[6] memory A = [int8(1), -2, 3, 127, -128, 5];
        int8[12] memory B = [int8(7), -1, 0, 2, 3, 4, -5, 6, -7, 8, 9, -128];
        int8[] memory a8 = new int8[](6);
        int8[] memory b8 = new int8[](12);
        for (uint256 i = 0; i < 6; i++) (a8[i], av[i]) = (A[i], A[i]);
        for (uint256 i = 0; i < 12; i++) (b8[i], bv[i]) = (B[i], B[i]);
        a = AIVM.int8Matrix(2, 3, a8);
        b = AIVM.int8Matrix(3, 4, b8);
    }

    function test_MatmulEqualsTheProduct() public {
        (bytes memory a, bytes memory b, int256[] memory av, int256[] memory bv) = _operands();
        (bytes memory c, bytes32 commit) = matmul.multiply(a, b);
        assertEq(uint256(AIVM.dtypeOf(c)), uint256(AIVM.INT32), "int32 accumulation");
        int256[] memory got = AIVM.toInts(c);
        assertEq(got.length, 8, "2 x 4 outputs");
        for (uint256 i = 0; i < 2; i++) {
            for (uint256 j = 0; j < 4; j++) {
                int256 want = 0;
                for (uint256 k = 0; k < 3; k++) want += av[i * 3 + k] * bv[k * 4 + j];
                assertEq(got[i * 4 + j], want, "C[i][j] = sum_k A[i][k] * B[k][j]");
            }
        }
        emit log_named_bytes("matmul.a", a);
        emit log_named_bytes("matmul.b", b);
        emit log_named_bytes("matmul.out", c);
        emit log_named_bytes32("matmul.commit", commit);
    }

    function test_MatmulInScratchCommitsTheSameTensor() public {
        (bytes memory a, bytes memory b,,) = _operands();
        // First: the trace root covers this test's (this transaction's) AIVM calls so far.
        (bytes memory handle, bytes32 commit, bytes32 traceRoot) = matmul.multiplyInScratch(a, b);
        (, bytes32 inlineCommit) = matmul.multiply(a, b);
        assertTrue(AIVM.isRef(handle), "OUT_SCRATCH returns a handle");
        assertEq(commit, inlineCommit, "the scratch tensor's commit is the inline tensor's");
        assertNotEq(traceRoot, bytes32(0), "one receipt in the trace");
        emit log_named_bytes("scratch.handle", handle);
        emit log_named_bytes32("scratch.commit", commit);
        emit log_named_bytes32("scratch.traceRoot", traceRoot);
    }

    function test_MatmulShapeMismatchReverts() public {
        (bytes memory a,,,) = _operands();
        vm.expectPartialRevert(IAIVMErrors.ShapeMismatch.selector);
        matmul.multiply(a, a);
    }

}

/// @notice State across transactions, as on the node: forge runs setUp() and the test as two
///         transactions, so a persistent tensor stored in setUp() is there in the test and a scratch
///         slot is not.
contract StoreTest is AivmTest {
    MatmulExample internal matmul;
    bytes internal a;
    bytes internal b;
    bytes internal storedB;
    bytes internal scratchB;

    function setUp() public {
        matmul = new MatmulExample();
        int8[] memory av = new int8[](4);
        int8[] memory bv = new int8[](4);
        (av[0], av[1], av[2], av[3]) = (3, -1, 4, 1);
        (bv[0], bv[1], bv[2], bv[3]) = (-5, 9, 2, 6);
        a = AIVM.int8Matrix(2, 2, av);
        b = AIVM.int8Matrix(2, 2, bv);
        storedB = AIVM.store(AIVM.TARGET_PERSISTENT, bytes32(0), b);
        scratchB = AIVM.store(AIVM.TARGET_SCRATCH, bytes32(0), b);
    }

    function test_PersistentOutlivesItsTransactionScratchDoesNot() public {
        vm.expectPartialRevert(IAIVMErrors.UnknownHandle.selector);
        matmul.multiply(a, scratchB);
        (bytes memory viaStore, bytes32 storeCommit) = matmul.multiply(a, storedB);
        (bytes memory inlineB, bytes32 inlineCommit) = matmul.multiply(a, b);
        assertEq(viaStore, inlineB, "A x stored B = A x B");
        assertEq(storeCommit, inlineCommit, "same commit");
    }
}

/// @notice The Fashion-MNIST MLP from the persistent tensor store, through FashionClassifier.
contract FashionTest is AivmTest {
    FashionClassifier internal classifier;
    bytes32 internal programId;

    function setUp() public {
        // The model's shards, manifests and program go to this state's persistent tensor store.
        programId = aivmSeedModel("models/fashion_mlp.aivm.json");
        classifier = new FashionClassifier(programId);
    }

    function test_SeededModelIsInTheStore() public view {
        string memory pkg = vm.readFile("models/fashion_mlp.aivm.json");
        assertEq(programId, vm.parseJsonBytes32(pkg, ".programId"), "the package's program id");
        bytes32 shard = vm.parseJsonBytes32(pkg, ".shards[0].id");
        // A stored tensor's content id is its Tensor Commit.
        assertEq(AIVM.commitOf(AIVM.persistentRef(shard)), shard, "TCOMMIT of a stored shard is its id");
    }

    function _classify(uint256 i) internal {
        string memory key = string.concat(".samples[", vm.toString(i), "]");
        bytes memory image = vm.parseJsonBytes(vm.readFile("models/fashion-samples.json"), string.concat(key, ".input"));
        (uint256 label, bytes memory logits, bytes32 commit) = classifier.classify(image);
        assertEq(AIVM.numElements(logits), 10, "ten logits");
        assertEq(uint256(AIVM.dtypeOf(logits)), uint256(AIVM.INT16), "int16 logits");
        assertEq(label, AIVM.argmax(logits), "label = argmax(logits)");
        string memory name = string.concat("fashion.", vm.toString(i));
        emit log_named_bytes(string.concat(name, ".input"), image);
        emit log_named_uint(string.concat(name, ".label"), label);
        emit log_named_bytes(string.concat(name, ".logits"), logits);
        emit log_named_bytes32(string.concat(name, ".commit"), commit);
    }

    /// @dev One transaction for the three images: each classification is its own call, so the later
    ///      ones replay the earlier ones (the transaction's scratch memory and receipts).
    function test_ClassifiesTheFirstThreeSamples() public {
        for (uint256 i = 0; i < 3; i++) {
            _classify(i);
        }
    }
}
