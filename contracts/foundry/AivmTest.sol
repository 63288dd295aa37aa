// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm, VM_ADDRESS} from "./Vm.sol";
import {Test, Script} from "./Test.sol";

/// @notice What a shim asks its host (the test or script contract) for: how to run `aivm`, and where
///         the call entries live.
interface IAivmFfiHost {
    /// @return command The command prefix that runs the `aivm` CLI, e.g. ["node", "node_modules/aivm/bin/aivm.mjs"].
    /// @return store The directory (relative to the forge project root) holding the call entries.
    function aivmFfiConfig() external view returns (string[] memory command, string memory store);
}

/// @title AivmShimState
/// @notice Where the shims keep, in forge's own state, what a call must replay: the entry hashes of
///         the current transaction's AIVM calls and of earlier transactions' state writes (TSTORE to
///         the persistent store, programs, namespaces, shards). Kept with `vm.store` on one account,
///         so forge's journal reverts them with the frame that made them, and every test (a clone of
///         the post-setUp state) has its own. docs/foundry.md#state.
library AivmShimState {
    Vm internal constant vm = Vm(VM_ADDRESS);
    /// @notice The account whose storage holds the lists.
    address internal constant ACCOUNT = address(uint160(uint256(keccak256("AIVM.foundry.state"))));
    /// @notice Never touched except by the shims: cold at a shim's first call in a transaction (EIP-2929).
    address internal constant TX_MARKER = address(uint160(uint256(keccak256("AIVM.foundry.tx-marker"))));

    bytes32 internal constant HISTORY = keccak256("AIVM.foundry.history");
    bytes32 internal constant TX = keccak256("AIVM.foundry.tx");
    bytes32 internal constant TX_WRITES = keccak256("AIVM.foundry.tx-writes");

    function length(bytes32 list) internal view returns (uint256) {
        return uint256(vm.load(ACCOUNT, list));
    }

    function item(bytes32 list, uint256 i) internal view returns (bytes32) {
        return vm.load(ACCOUNT, bytes32(uint256(list) + 1 + i));
    }

    function push(bytes32 list, bytes32 value) internal {
        uint256 n = length(list);
        vm.store(ACCOUNT, bytes32(uint256(list) + 1 + n), value);
        vm.store(ACCOUNT, list, bytes32(n + 1));
    }

    function clear(bytes32 list) internal {
        vm.store(ACCOUNT, list, bytes32(0));
    }

    /// @notice The list's hashes, concatenated.
    function packed(bytes32 list) internal view returns (bytes memory out) {
        uint256 n = length(list);
        out = new bytes(32 * n);
        for (uint256 i = 0; i < n; i++) {
            bytes32 h = item(list, i);
            assembly {
                mstore(add(add(out, 32), mul(i, 32)), h)
            }
        }
    }

    /// @notice Appends an entry made outside any transaction (a seeded model) to the history.
    function pushHistory(bytes32 entry) internal {
        push(HISTORY, entry);
    }

    /// @notice At a transaction's first AIVM call: the last transaction's state writes become history, its calls are forgotten.
    function startTxIfNew() internal {
        uint256 cost;
        address marker = TX_MARKER;
        // A call, not EXTCODEHASH: the optimizer removes an unused EXTCODEHASH, never a call.
        assembly {
            let before := gas()
            pop(staticcall(gas(), marker, 0, 0, 0, 0))
            cost := sub(before, gas())
        }
        // A cold account access costs 2600, a warm one 100: cold means no shim ran yet in this transaction.
        if (cost < 1000) return;
        uint256 n = length(TX);
        for (uint256 i = 0; i < n; i++) {
            if (vm.load(ACCOUNT, bytes32(uint256(TX_WRITES) + 1 + i)) != bytes32(0)) push(HISTORY, item(TX, i));
        }
        clear(TX);
    }

    /// @notice Records a successful call of the current transaction.
    function pushTx(bytes32 entry, bool writesState) internal {
        uint256 n = length(TX);
        vm.store(ACCOUNT, bytes32(uint256(TX_WRITES) + 1 + n), writesState ? bytes32(uint256(1)) : bytes32(0));
        push(TX, entry);
    }
}

/// @title AivmShim
/// @notice Runtime code etched at 0x…A101–0x…A108 under forge. Every call runs `aivm ffi call`, which
///         executes the same precompile code as the node on a fresh in-memory chain after replaying the
///         calls recorded in AivmShimState, and answers with the node's output bytes (or reverts with
///         its custom error, or consumes all gas when the node would be out of gas). Its own work runs
///         with gas metering paused; on success it burns the gas the node charges, so forge's gas for
///         the call is the node's charge plus a few thousand (the transaction check and the cheatcodes).
contract AivmShim {
    Vm internal constant vm = Vm(VM_ADDRESS);
    bytes4 internal constant STATIC_PROBE = 0x5a7a11c0;
    address internal constant TSTORE = address(0xA105);

    /// @notice The test or script contract that tells the shim how to run `aivm`.
    IAivmFfiHost public immutable host;

    constructor(IAivmFfiHost host_) {
        host = host_;
    }

    fallback(bytes calldata input) external returns (bytes memory) {
        uint256 gasAtEntry = gasleft();
        // The static probe: TSTORE (EIP-1153) succeeds unless the frame is static.
        if (msg.sender == address(this) && input.length == 4 && bytes4(input) == STATIC_PROBE) {
            assembly {
                tstore(0, 1)
            }
            return "";
        }
        // The transaction check measures a cold account access, so it runs metered; the shim's own work
        // (probe, ffi, bookkeeping) runs with gas metering paused, so the frame costs what the node charges.
        AivmShimState.startTxIfNew();
        bool metered = _gasMetered();
        if (metered) vm.pauseGasMetering();
        bool isStatic = _inStaticContext();
        bytes memory out = vm.ffi(_command(input, isStatic, gasAtEntry));
        (bool success, bytes memory ret, uint256 gasUsed) = abi.decode(out, (bool, bytes, uint256));
        if (success) {
            AivmShimState.pushTx(keccak256(abi.encode(address(this), msg.sender, isStatic, input)), _writesState(input));
        }
        if (metered) vm.resumeGasMetering();
        if (!success) {
            // The node's precompile was out of gas: all the gas the call got is consumed.
            if (ret.length == 0) {
                assembly {
                    invalid()
                }
            }
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        // Burn what the node charges (less what this frame spent already), in ~40-gas steps.
        uint256 floor = gasAtEntry > gasUsed ? gasAtEntry - gasUsed : 0;
        while (gasleft() > floor) {}
        return ret;
    }

    /// @notice False while the test has paused gas metering (vm.pauseGasMetering): gasleft() stands still.
    function _gasMetered() private view returns (bool) {
        uint256 a;
        uint256 b;
        assembly {
            a := gas()
            b := gas()
        }
        return a != b;
    }

    function _inStaticContext() private returns (bool) {
        // A failed TSTORE consumes the gas it was given: give it little.
        (bool ok,) = address(this).call{gas: 5_000}(abi.encodePacked(STATIC_PROBE));
        return !ok;
    }

    /// @notice TSTORE to any target but scratch (0) writes state: it must be replayed in later transactions.
    function _writesState(bytes calldata input) private view returns (bool) {
        return address(this) == TSTORE && input.length >= 32 && uint256(bytes32(input[0:32])) != 0;
    }

    function _command(bytes calldata input, bool isStatic, uint256 gas) private view returns (string[] memory args) {
        (string[] memory command, string memory store) = host.aivmFfiConfig();
        string[] memory tail = new string[](isStatic ? 15 : 14);
        uint256 k = 0;
        tail[k++] = "ffi";
        tail[k++] = "call";
        tail[k++] = vm.toString(address(this));
        tail[k++] = vm.toString(input);
        tail[k++] = "--store";
        tail[k++] = store;
        tail[k++] = "--caller";
        tail[k++] = vm.toString(msg.sender);
        tail[k++] = "--gas";
        tail[k++] = vm.toString(gas);
        tail[k++] = "--history";
        tail[k++] = vm.toString(AivmShimState.packed(AivmShimState.HISTORY));
        tail[k++] = "--tx";
        tail[k++] = vm.toString(AivmShimState.packed(AivmShimState.TX));
        if (isStatic) tail[k++] = "--static";
        args = new string[](command.length + k);
        for (uint256 i = 0; i < command.length; i++) args[i] = command[i];
        for (uint256 i = 0; i < k; i++) args[command.length + i] = tail[i];
    }
}

/// @title AivmFfi
/// @notice The shims and the model seeding, shared by AivmTest and AivmScript. The constructor etches
///         the shims, so a contract that inherits AivmTest needs no set-up call of its own.
abstract contract AivmFfi is IAivmFfiHost {
    Vm private constant cheats = Vm(VM_ADDRESS);

    constructor() {
        bytes memory code = address(new AivmShim(this)).code;
        for (uint160 a = 0xA101; a <= 0xA108; a++) {
            cheats.etch(address(a), code);
            // In a fork (forge script --rpc-url, vm.createSelectFork) cheatcodes are only for allowed
            // accounts, and only persistent accounts keep their code and storage across forks.
            cheats.allowCheatcodes(address(a));
            cheats.makePersistent(address(a));
        }
        cheats.makePersistent(AivmShimState.ACCOUNT);
        cheats.label(address(0xA101), "TMATMUL");
        cheats.label(address(0xA102), "TEWOP");
        cheats.label(address(0xA103), "TCUSTOM");
        cheats.label(address(0xA104), "TLOAD");
        cheats.label(address(0xA105), "TSTORE");
        cheats.label(address(0xA106), "TCOMMIT");
        cheats.label(address(0xA107), "TSTREAM");
        cheats.label(address(0xA108), "TGRAPH");
    }

    /// @notice How to run the `aivm` CLI (the shims append `ffi call …`); override for another layout.
    ///         The default is the project's own dependency (`npm install --save-dev aivm`) through
    ///         contracts/foundry/ffi.mjs, which runs `aivm ffi` from a cached bundle: ~1 s a call
    ///         instead of ~3 s through tsx. ["npx", "aivm"] works too, slower.
    function aivmCommand() public view virtual returns (string[] memory command) {
        command = new string[](2);
        command[0] = "node";
        command[1] = "node_modules/aivm/contracts/foundry/ffi.mjs";
    }

    /// @notice Directory for the call entries, relative to the project root (gitignore it). Entries are
    ///         content-addressed: tests running in parallel, and later runs, share them safely.
    function aivmStore() public view virtual returns (string memory) {
        return "cache/aivm-ffi";
    }

    /// @inheritdoc IAivmFfiHost
    function aivmFfiConfig() external view returns (string[] memory command, string memory store) {
        return (aivmCommand(), aivmStore());
    }

    /// @notice Stores a model package (`aivm model pack` output: weight shards, manifests, program) in
    ///         this forge state's persistent tensor store, as the TSTORE transactions deployModelPackage
    ///         sends would on the node.
    /// @param packagePath The .aivm.json file, relative to the project root.
    /// @return programId The stored program's id (for AIVM.custom, or a ModelRegistry version).
    function aivmSeedModel(string memory packagePath) internal returns (bytes32 programId) {
        string[] memory command = aivmCommand();
        string[] memory args = new string[](command.length + 7);
        for (uint256 i = 0; i < command.length; i++) args[i] = command[i];
        uint256 k = command.length;
        args[k++] = "ffi";
        args[k++] = "seed";
        args[k++] = packagePath;
        args[k++] = "--store";
        args[k++] = aivmStore();
        args[k++] = "--caller";
        args[k++] = cheats.toString(address(this));
        bytes32[] memory entries;
        (entries, programId) = abi.decode(cheats.ffi(args), (bytes32[], bytes32));
        for (uint256 i = 0; i < entries.length; i++) {
            AivmShimState.pushHistory(entries[i]);
        }
    }
}

/// @title AivmTest
/// @notice Inherit this instead of forge-std's Test: the AIVM precompiles answer through the real
///         engine (docs/foundry.md). Needs `ffi = true` in foundry.toml.
abstract contract AivmTest is Test, AivmFfi {}

/// @title AivmScript
/// @notice The same for `forge script`: the shims answer in the script's local execution; the node
///         runs the real precompiles for what is broadcast.
abstract contract AivmScript is Script, AivmFfi {}
