// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IBlockAnchor} from "../interfaces/IBlockAnchor.sol";
import {IAttestationRegistry} from "./IAttestationRegistry.sol";

/// @title AttestationRegistry
/// @notice The committee of `aivm verifier`s (docs/verify.md#committee). A verifier bonds ETH,
///         re-executes blocks off-chain and signs (blockNumber, blockHash, anchorRoot) as EIP-712
///         typed data; anyone relays signatures with `attest`. A block is attested once threshold()
///         distinct active verifiers signed the same (blockHash, anchorRoot). A verifier loses its
///         bond on proof that it signed a wrong root:
///           - a root other than BlockAnchor's anchor of a block whose hash the EVM still serves
///             (the last 256 blocks), for that very hash;
///           - two different roots for one block hash;
///           - a root other than the attested one, for the attested block hash (the committee
///             majority decides, which is sound while fewer than threshold() verifiers lie).
///         Half of a slashed bond goes to the reporter (nothing when the verifier reports itself);
///         the rest stays locked in this contract for good (`burned`), which no function can move.
contract AttestationRegistry is IAttestationRegistry {
    /// @notice The BlockAnchor system contract.
    IBlockAnchor public constant BLOCK_ANCHOR = IBlockAnchor(0x000000000000000000000000000000000000A110);
    /// @notice The EIP-712 type a verifier signs.
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256("Attestation(uint256 blockNumber,bytes32 blockHash,bytes32 anchorRoot)");
    bytes32 private constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("AivmAttestationRegistry");
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// @dev secp256k1n / 2: a signature with a larger s is the malleated twin of one with a smaller s.
    uint256 private constant HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    /// @notice Share of a slashed bond paid to the reporter, in basis points.
    uint256 public constant REPORTER_SHARE_BPS = 5_000;

    /// @notice Smallest bond `register` accepts, in wei.
    uint256 public immutable minBond;
    /// @notice Blocks between `requestExit` and `withdraw`, during which the bond stays slashable.
    uint256 public immutable exitDelay;
    /// @notice Lower bound of threshold(), whatever the number of verifiers.
    uint256 public immutable minThreshold;

    /// @dev A verifier's bond; `exitBlock` is 0 while active, else the block its exit was requested in.
    struct Verifier {
        uint256 bond;
        uint64 exitBlock;
        bool active;
    }

    /// @dev What one verifier signed for one block.
    struct Vote {
        bytes32 blockHash;
        bytes32 anchorRoot;
    }

    /// @notice Why a verifier was slashed.
    enum SlashReason {
        /// @dev Its root differs from BlockAnchor's anchor of the block it names by hash.
        WrongAnchor,
        /// @dev It signed two roots for one block hash.
        Conflicting,
        /// @dev Its root differs from the attested root of the same block hash.
        AgainstAttested
    }

    /// @notice The verifiers, by signing address.
    mapping(address verifier => Verifier) public verifiers;
    /// @notice Verifiers that may sign now (registered and not leaving).
    uint256 public activeCount;
    /// @notice Wei of slashed bonds locked in this contract for good.
    uint256 public burned;

    mapping(uint256 blockNumber => mapping(address verifier => Vote)) private _votes;
    mapping(bytes32 voteKey => uint256) private _voteCount;
    mapping(uint256 blockNumber => Vote) private _attested;

    /// @notice A verifier bonded `bond` wei.
    event VerifierRegistered(address indexed verifier, uint256 bond);
    /// @notice A verifier stopped signing; its bond can be withdrawn from block `withdrawableAt`.
    event ExitRequested(address indexed verifier, uint256 withdrawableAt);
    /// @notice A verifier took its bond back.
    event VerifierWithdrew(address indexed verifier, uint256 bond);
    /// @notice A signature was counted: `votes` verifiers have now signed this (blockHash, anchorRoot).
    event AttestationRecorded(
        uint256 indexed blockNumber, address indexed verifier, bytes32 blockHash, bytes32 anchorRoot, uint256 votes, bytes signature
    );
    /// @notice `blockNumber`'s anchor reached the threshold.
    event BlockAttested(uint256 indexed blockNumber, bytes32 blockHash, bytes32 anchorRoot, uint256 votes);
    /// @notice A verifier's bond was taken: `reward` wei to `reporter`, `burnedAmount` locked here.
    event Slashed(
        address indexed verifier, uint256 indexed blockNumber, SlashReason reason, address reporter, uint256 reward, uint256 burnedAmount
    );

    /// @notice The constructor's threshold floor is zero.
    error ThresholdTooLow();
    /// @notice `register` was sent less than the minimum bond.
    error BondTooLow(uint256 sent, uint256 minimum);
    /// @notice The address already holds a bond (active or leaving).
    error AlreadyRegistered(address verifier);
    /// @notice The signer (or caller) is not an active verifier.
    error NotRegistered(address verifier);
    /// @notice `withdraw` before `requestExit`.
    error NotLeaving(address verifier);
    /// @notice `withdraw` before the exit delay passed.
    error ExitDelayPending(uint256 withdrawableAt);
    /// @notice The signature is not 65 bytes, has a high s or a bad v, or recovers to no address.
    error InvalidSignature();
    /// @notice Only sealed blocks (below the current one) can be attested.
    error BlockNotSealed(uint256 blockNumber, uint256 currentBlock);
    /// @notice A zero anchor root: the block has no AIVM receipts, so nothing to attest.
    error EmptyAnchorRoot(uint256 blockNumber);
    /// @notice The signed hash is not the block's hash on this chain (another fork, or a mistake: not slashable).
    error WrongBlockHash(uint256 blockNumber, bytes32 signed, bytes32 onChain);
    /// @notice The verifier already signed exactly this for this block.
    error DuplicateAttestation(address verifier, uint256 blockNumber);
    /// @notice The verifier already signed another block hash at this height (or the block was attested
    ///         under another hash), which no rule here judges.
    error OtherBlockHash(uint256 blockNumber, bytes32 signed, bytes32 recorded);
    /// @notice The two signatures are not by one signer, for one block hash, on two roots.
    error NotConflicting();
    /// @notice Nothing shows the signed root wrong: the block is out of the 256-block window or its
    ///         anchor matches, and it is not attested with another root under the same hash.
    error NotProvablyWrong(uint256 blockNumber, bytes32 anchorRoot);
    /// @notice The signer holds no bond.
    error NothingToSlash(address verifier);
    /// @notice Sending ETH failed.
    error TransferFailed(address to, uint256 amount);

    /// @param minBond_ Smallest bond, in wei.
    /// @param exitDelay_ Blocks a leaving verifier's bond stays slashable.
    /// @param minThreshold_ Lower bound of the signatures a block needs (≥ 1).
    constructor(uint256 minBond_, uint256 exitDelay_, uint256 minThreshold_) {
        if (minThreshold_ == 0) revert ThresholdTooLow();
        minBond = minBond_;
        exitDelay = exitDelay_;
        minThreshold = minThreshold_;
    }

    // ---------------------------------------------------------------- membership

    /// @notice Bonds msg.value (≥ minBond) and makes msg.sender a verifier; it signs with this address's key.
    function register() external payable {
        if (verifiers[msg.sender].bond != 0) revert AlreadyRegistered(msg.sender);
        if (msg.value < minBond || msg.value == 0) revert BondTooLow(msg.value, minBond);
        verifiers[msg.sender] = Verifier({bond: msg.value, exitBlock: 0, active: true});
        activeCount++;
        emit VerifierRegistered(msg.sender, msg.value);
    }

    /// @notice Stops signing now; the bond can be withdrawn exitDelay blocks later and stays slashable until then.
    function requestExit() external {
        Verifier storage v = verifiers[msg.sender];
        if (!v.active) revert NotRegistered(msg.sender);
        v.active = false;
        v.exitBlock = uint64(block.number);
        activeCount--;
        emit ExitRequested(msg.sender, block.number + exitDelay);
    }

    /// @notice Sends a leaving verifier its bond once the exit delay has passed.
    function withdraw() external {
        Verifier memory v = verifiers[msg.sender];
        if (v.bond == 0 || v.active) revert NotLeaving(msg.sender);
        uint256 at = uint256(v.exitBlock) + exitDelay;
        if (block.number < at) revert ExitDelayPending(at);
        delete verifiers[msg.sender];
        emit VerifierWithdrew(msg.sender, v.bond);
        _send(msg.sender, v.bond);
    }

    /// @notice Signatures a block needs: max(minThreshold, ⌈2·activeCount/3⌉).
    function threshold() public view returns (uint256) {
        uint256 twoThirds = (2 * activeCount + 2) / 3;
        return twoThirds > minThreshold ? twoThirds : minThreshold;
    }

    // ---------------------------------------------------------------- attestations

    /// @notice The EIP-712 digest a verifier signs for (blockNumber, blockHash, anchorRoot).
    function attestationDigest(uint256 blockNumber, bytes32 blockHash, bytes32 anchorRoot) public view returns (bytes32) {
        bytes32 domain = keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
        bytes32 structHash = keccak256(abi.encode(ATTESTATION_TYPEHASH, blockNumber, blockHash, anchorRoot));
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    /// @notice Counts a verifier's signature on (blockNumber, blockHash, anchorRoot); anyone may relay it.
    ///         A signature that is itself proof of a wrong root (see the contract's notice) is not
    ///         counted: its signer is slashed instead, half of the bond to msg.sender.
    /// @return counted True when the signature was counted, false when its signer was slashed.
    function attest(uint256 blockNumber, bytes32 blockHash, bytes32 anchorRoot, bytes calldata signature) external returns (bool counted) {
        if (blockNumber >= block.number) revert BlockNotSealed(blockNumber, block.number);
        if (anchorRoot == bytes32(0)) revert EmptyAnchorRoot(blockNumber);
        address signer = _recover(attestationDigest(blockNumber, blockHash, anchorRoot), signature);
        if (!verifiers[signer].active) revert NotRegistered(signer);

        bytes32 onChainHash = blockhash(blockNumber);
        if (onChainHash != bytes32(0)) {
            if (onChainHash != blockHash) revert WrongBlockHash(blockNumber, blockHash, onChainHash);
            (bytes32 anchored,,) = BLOCK_ANCHOR.anchorOf(blockNumber);
            if (anchored != anchorRoot) {
                _slash(signer, blockNumber, SlashReason.WrongAnchor);
                return false;
            }
        }
        Vote memory previous = _votes[blockNumber][signer];
        if (previous.anchorRoot != bytes32(0)) {
            if (previous.blockHash != blockHash) revert OtherBlockHash(blockNumber, blockHash, previous.blockHash);
            if (previous.anchorRoot == anchorRoot) revert DuplicateAttestation(signer, blockNumber);
            _slash(signer, blockNumber, SlashReason.Conflicting);
            return false;
        }
        Vote memory attested = _attested[blockNumber];
        if (attested.anchorRoot != bytes32(0)) {
            if (attested.blockHash != blockHash) revert OtherBlockHash(blockNumber, blockHash, attested.blockHash);
            if (attested.anchorRoot != anchorRoot) {
                _slash(signer, blockNumber, SlashReason.AgainstAttested);
                return false;
            }
        }

        _votes[blockNumber][signer] = Vote(blockHash, anchorRoot);
        uint256 votes = ++_voteCount[_voteKey(blockNumber, blockHash, anchorRoot)];
        emit AttestationRecorded(blockNumber, signer, blockHash, anchorRoot, votes, signature);
        if (attested.anchorRoot == bytes32(0) && votes >= threshold()) {
            _attested[blockNumber] = Vote(blockHash, anchorRoot);
            emit BlockAttested(blockNumber, blockHash, anchorRoot, votes);
        }
        return true;
    }

    /// @notice Slashes the signer of two signatures on different roots for one block hash (anyone submits both).
    function slashConflicting(
        uint256 blockNumber,
        bytes32 blockHash,
        bytes32 rootA,
        bytes calldata signatureA,
        bytes32 rootB,
        bytes calldata signatureB
    ) external {
        address signer = _recover(attestationDigest(blockNumber, blockHash, rootA), signatureA);
        if (rootA == rootB || signer != _recover(attestationDigest(blockNumber, blockHash, rootB), signatureB)) revert NotConflicting();
        _slash(signer, blockNumber, SlashReason.Conflicting);
    }

    /// @notice Slashes the signer of a root that is provably wrong: for a block hash the EVM still
    ///         serves, a root other than BlockAnchor's; or, for the attested block hash, a root other
    ///         than the attested one (the committee majority's fraud proof).
    function slashWrongRoot(uint256 blockNumber, bytes32 blockHash, bytes32 anchorRoot, bytes calldata signature) external {
        address signer = _recover(attestationDigest(blockNumber, blockHash, anchorRoot), signature);
        if (blockNumber < block.number && blockhash(blockNumber) == blockHash) {
            (bytes32 anchored,,) = BLOCK_ANCHOR.anchorOf(blockNumber);
            if (anchored != anchorRoot) return _slash(signer, blockNumber, SlashReason.WrongAnchor);
        }
        Vote memory attested = _attested[blockNumber];
        if (attested.anchorRoot != bytes32(0) && attested.blockHash == blockHash && attested.anchorRoot != anchorRoot) {
            return _slash(signer, blockNumber, SlashReason.AgainstAttested);
        }
        revert NotProvablyWrong(blockNumber, anchorRoot);
    }

    // ---------------------------------------------------------------- reads

    /// @inheritdoc IAttestationRegistry
    function isAttested(uint256 blockNumber, bytes32 anchorRoot) external view returns (bool) {
        return anchorRoot != bytes32(0) && _attested[blockNumber].anchorRoot == anchorRoot;
    }

    /// @inheritdoc IAttestationRegistry
    function attestedRoot(uint256 blockNumber) external view returns (bytes32 blockHash, bytes32 anchorRoot) {
        Vote memory a = _attested[blockNumber];
        return (a.blockHash, a.anchorRoot);
    }

    /// @notice What `verifier` signed for `blockNumber` (zeros if nothing was counted).
    function voteOf(uint256 blockNumber, address verifier) external view returns (bytes32 blockHash, bytes32 anchorRoot) {
        Vote memory v = _votes[blockNumber][verifier];
        return (v.blockHash, v.anchorRoot);
    }

    /// @notice Signatures counted so far for (blockNumber, blockHash, anchorRoot).
    function votesFor(uint256 blockNumber, bytes32 blockHash, bytes32 anchorRoot) external view returns (uint256) {
        return _voteCount[_voteKey(blockNumber, blockHash, anchorRoot)];
    }

    // ---------------------------------------------------------------- internals

    function _voteKey(uint256 blockNumber, bytes32 blockHash, bytes32 anchorRoot) private pure returns (bytes32) {
        return keccak256(abi.encode(blockNumber, blockHash, anchorRoot));
    }

    /// @dev Takes the whole bond, withdraws the verifier's counted vote on `blockNumber`, pays the reporter.
    function _slash(address signer, uint256 blockNumber, SlashReason reason) private {
        Verifier memory v = verifiers[signer];
        if (v.bond == 0) revert NothingToSlash(signer);
        if (v.active) activeCount--;
        delete verifiers[signer];
        Vote memory counted = _votes[blockNumber][signer];
        if (counted.anchorRoot != bytes32(0)) {
            _voteCount[_voteKey(blockNumber, counted.blockHash, counted.anchorRoot)]--;
            delete _votes[blockNumber][signer];
        }
        uint256 reward = msg.sender == signer ? 0 : (v.bond * REPORTER_SHARE_BPS) / 10_000;
        burned += v.bond - reward;
        emit Slashed(signer, blockNumber, reason, msg.sender, reward, v.bond - reward);
        if (reward != 0) _send(msg.sender, reward);
    }

    /// @dev ecrecover of a 65-byte (r, s, v) signature, refusing high s, v ∉ {27, 28} and the zero address.
    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address signer) {
        if (signature.length != 65) revert InvalidSignature();
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > HALF_CURVE_ORDER || (v != 27 && v != 28)) revert InvalidSignature();
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert InvalidSignature();
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
