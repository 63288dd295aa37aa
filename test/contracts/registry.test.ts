// ModelRegistry: every entry point and custom error, content pinning, and the governance property
// (an unapproved version never resolves; approval switches followers, not pinners).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Hex } from "viem";
import { RevertError } from "./harness.ts";
import {
  contentHashOf,
  createModel,
  makeSpec,
  packSchema,
  prng,
  proposeAndApprove,
  freshRegistry,
  type RegistryFixture,
} from "./fixtures.ts";

const Status = { None: 0, Proposed: 1, Queued: 2, Active: 3, Revoked: 4 } as const;

async function rejects(p: Promise<unknown>, errorName: string): Promise<RevertError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RevertError, `expected a revert, got ${String(e)}`);
    assert.equal(e.errorName, errorName);
    return e;
  }
  assert.fail(`expected ${errorName}`);
}

async function expectError(f: RegistryFixture, from: number, fn: string, args: unknown[], errorName: string) {
  const r = await f.chain.send(f.chain.accounts[from]!, f.registry, fn, args);
  assert.equal(r.error?.errorName, errorName, `${fn} should revert with ${errorName}, got ${r.error?.errorName ?? "success"}`);
  return r.error!;
}

describe("ModelRegistry construction and governance settings", () => {
  it("is set up by its constructor, which refuses an invalid governor or approver set", async () => {
    const { chain } = await freshRegistry();
    const a = chain.accounts;
    const ZERO = `0x${"00".repeat(20)}` as Hex;
    await rejects(chain.deploy("ModelRegistry", a[5]!, [ZERO, [a[1]!.address], 1, 0n]), "ZeroAddress");
    await rejects(chain.deploy("ModelRegistry", a[5]!, [a[0]!.address, [a[1]!.address], 0, 0n]), "InvalidThreshold");
    await rejects(chain.deploy("ModelRegistry", a[5]!, [a[0]!.address, [a[1]!.address], 2, 0n]), "InvalidThreshold");
    await rejects(chain.deploy("ModelRegistry", a[5]!, [a[0]!.address, [a[1]!.address, a[1]!.address], 1, 0n]), "DuplicateApprover");
    await rejects(chain.deploy("ModelRegistry", a[5]!, [a[0]!.address, [ZERO], 1, 0n]), "ZeroAddress");
    const ok = await chain.deployTx("ModelRegistry", a[5]!, [a[0]!.address, [a[1]!.address], 1, 60n]);
    assert.equal(ok.error, undefined);
    assert.deepEqual(ok.events.map((e) => e.eventName), ["ApproversChanged", "Initialized"]);
    const fresh = ok.deployed!;
    const [governor, threshold, timelock, setId, count] = await chain.read(fresh, "governance");
    assert.equal(String(governor).toLowerCase(), a[0]!.address.toLowerCase(), "the governor is the argument, not the deployer");
    assert.deepEqual([threshold, timelock, setId, count], [1, 60n, 1, 0n]);
    assert.equal(await chain.read(fresh, "isApprover", [a[1]!.address]), true);
    // Nothing is left to claim: no initialize entry point exists.
    assert.ok(!fresh.abi.some((e) => e.type === "function" && e.name === "initialize"));
  });

  it("lets only the governor change approvers, timelock and governor", async () => {
    const f = await freshRegistry();
    const a = f.chain.accounts;
    await expectError(f, 1, "setApprovers", [[a[5]!.address], 1], "NotGovernor");
    await expectError(f, 1, "setTimelock", [10n], "NotGovernor");
    await expectError(f, 1, "transferGovernor", [a[1]!.address], "NotGovernor");
    await expectError(f, 0, "transferGovernor", [`0x${"00".repeat(20)}`], "ZeroAddress");
    await expectError(f, 0, "setApprovers", [[a[5]!.address], 2], "InvalidThreshold");

    const r = await f.chain.sendOk(a[0]!, f.registry, "setApprovers", [[a[5]!.address, a[6]!.address], 1]);
    assert.equal(r.events[0]!.eventName, "ApproversChanged");
    assert.equal(await f.chain.read(f.registry, "isApprover", [a[1]!.address]), false);
    assert.equal(await f.chain.read(f.registry, "isApprover", [a[5]!.address]), true);
    assert.equal((await f.chain.sendOk(a[0]!, f.registry, "setTimelock", [99n])).events[0]!.eventName, "TimelockChanged");
    const t = await f.chain.sendOk(a[0]!, f.registry, "transferGovernor", [a[7]!.address]);
    assert.equal(t.events[0]!.eventName, "GovernorTransferred");
    await expectError(f, 0, "setTimelock", [1n], "NotGovernor");
    await f.chain.sendOk(a[7]!, f.registry, "setTimelock", [1n]);
  });
});

describe("ModelRegistry models and versions", () => {
  it("creates models with sequential ids and transfers ownership only by the owner", async () => {
    const f = await freshRegistry();
    const a = f.chain.accounts;
    const m1 = await createModel(f);
    const m2 = await createModel(f, 1);
    assert.deepEqual([m1, m2], [1n, 2n]);
    const model = await f.chain.read(f.registry, "getModel", [m2]);
    assert.equal(model.kind, 1);
    assert.equal(model.owner.toLowerCase(), a[4]!.address.toLowerCase());
    await expectError(f, 5, "transferModelOwnership", [m1, a[5]!.address], "NotModelOwner");
    await expectError(f, 4, "transferModelOwnership", [99n, a[5]!.address], "UnknownModel");
    await expectError(f, 4, "transferModelOwnership", [m1, `0x${"00".repeat(20)}`], "ZeroAddress");
    const r = await f.chain.sendOk(a[4]!, f.registry, "transferModelOwnership", [m1, a[5]!.address]);
    assert.equal(r.events[0]!.eventName, "ModelOwnershipTransferred");
    await expectError(f, 4, "proposeVersion", [m1, makeSpec(1)], "NotModelOwner");
  });

  it("pins a version's content: the stored hash is keccak256(abi.encode(spec)) and content registers once", async () => {
    const f = await freshRegistry();
    const m = await createModel(f);
    const spec = makeSpec(7);
    const r = await f.chain.sendOk(f.chain.accounts[4]!, f.registry, "proposeVersion", [m, spec]);
    assert.equal(r.result, 1);
    const ev = r.events.find((e) => e.eventName === "VersionProposed")!;
    assert.equal(ev.args.contentHash, contentHashOf(spec));
    const v = await f.chain.read(f.registry, "getVersion", [m, 1]);
    assert.equal(v.contentHash, contentHashOf(spec));
    assert.equal(v.status, Status.Proposed);
    await expectError(f, 4, "proposeVersion", [m, spec], "DuplicateContent");
    // Any change to the content is a different version.
    const changed = await f.chain.sendOk(f.chain.accounts[4]!, f.registry, "proposeVersion", [m, { ...spec, fee: spec.fee + 1n }]);
    assert.equal(changed.result, 2);
  });

  it("rejects malformed specs and schemas with the field or byte offset at fault", async () => {
    const f = await freshRegistry();
    const m = await createModel(f);
    const zero = `0x${"00".repeat(32)}` as Hex;
    const bad: [Partial<ReturnType<typeof makeSpec>>, string, unknown][] = [
      [{ programHandle: zero }, "InvalidSpec", "programHandle"],
      [{ programHash: zero }, "InvalidSpec", "programHash"],
      [{ gasQuote: 0n }, "InvalidSpec", "gasQuote"],
      [{ revenueShareBps: 10_001 }, "InvalidSpec", "revenueShareBps"],
      [{ aggregation: 4 }, "InvalidSpec", "aggregation"],
      [{ quantization: 2 }, "InvalidSpec", "quantization"],
      [{ inputSchema: "0x" }, "InvalidSchema", 0n],
      [{ inputSchema: packSchema([{ dtype: 16, shape: [1] }]) }, "InvalidSchema", 0n],
      [{ inputSchema: "0x0100" }, "InvalidSchema", 0n],
      [{ inputSchema: packSchema([{ dtype: 1, shape: [1, 2, 3, 4, 5, 6, 7, 8, 9] }]) }, "InvalidSchema", 0n],
      [{ inputSchema: "0x010200000001000000" }, "InvalidSchema", 0n],
      [{ outputSchema: (packSchema([{ dtype: 1, shape: [4] }]) + "01") as Hex }, "InvalidSchema", 6n],
      [{ outputSchema: packSchema([{ dtype: 1, shape: [4] }, { dtype: 2, shape: [2, 0] }]) }, "InvalidSchema", 12n],
    ];
    for (const [override, errorName, arg] of bad) {
      const e = await expectError(f, 4, "proposeVersion", [m, makeSpec(1, override)], errorName);
      assert.equal(e.args[0], arg, Object.keys(override).join());
    }
    await expectError(f, 4, "proposeVersion", [99n, makeSpec(1)], "UnknownModel");
  });
});

describe("ModelRegistry approval, timelock, activation and revocation", () => {
  it("queues at the threshold, enforces the timelock, then activates", async () => {
    const f = await freshRegistry(3600n);
    const a = f.chain.accounts;
    const m = await createModel(f);
    await f.chain.sendOk(a[4]!, f.registry, "proposeVersion", [m, makeSpec(1)]);
    await expectError(f, 5, "approveVersion", [m, 1], "NotApprover");
    await expectError(f, 1, "approveVersion", [m, 2], "UnknownVersion");
    await expectError(f, 1, "approveVersion", [m, 0], "UnknownVersion");
    await expectError(f, 1, "approveVersion", [7n, 1], "UnknownModel");
    const first = await f.chain.sendOk(a[1]!, f.registry, "approveVersion", [m, 1]);
    assert.deepEqual(first.events.map((e) => e.eventName), ["VersionApproved"]);
    await expectError(f, 1, "approveVersion", [m, 1], "AlreadyApproved");
    await expectError(f, 0, "activateVersion", [m, 1], "InvalidStatus");
    const second = await f.chain.sendOk(a[2]!, f.registry, "approveVersion", [m, 1]);
    assert.deepEqual(second.events.map((e) => e.eventName), ["VersionApproved", "VersionQueued"]);
    await expectError(f, 3, "approveVersion", [m, 1], "InvalidStatus");
    await rejects(f.chain.read(f.registry, "resolve", [m, 1]), "VersionNotExecutable");
    await expectError(f, 0, "activateVersion", [m, 1], "TimelockNotElapsed");
    await f.chain.advanceTime(3600n);
    const act = await f.chain.sendOk(a[6]!, f.registry, "activateVersion", [m, 1]);
    assert.equal(act.events[0]!.eventName, "VersionActivated");
    await expectError(f, 0, "activateVersion", [m, 1], "InvalidStatus");
    const r = await f.chain.read(f.registry, "resolve", [m, 0]);
    assert.equal(r.version, 1);
    assert.equal(r.gasQuote, 50_000n);
  });

  it("drops approvals given under a replaced approver set", async () => {
    const f = await freshRegistry();
    const a = f.chain.accounts;
    const m = await createModel(f);
    await f.chain.sendOk(a[4]!, f.registry, "proposeVersion", [m, makeSpec(1)]);
    await f.chain.sendOk(a[1]!, f.registry, "approveVersion", [m, 1]);
    await f.chain.sendOk(a[0]!, f.registry, "setApprovers", [[a[1]!.address, a[2]!.address], 2]);
    // a[1] may approve again under the new set; its old approval no longer counts toward 2.
    const again = await f.chain.sendOk(a[1]!, f.registry, "approveVersion", [m, 1]);
    assert.equal(again.events[0]!.args.approvals, 1);
    assert.equal((await f.chain.read(f.registry, "getVersion", [m, 1])).status, Status.Proposed);
    await f.chain.sendOk(a[2]!, f.registry, "approveVersion", [m, 1]);
    assert.equal((await f.chain.read(f.registry, "getVersion", [m, 1])).status, Status.Active);
  });

  it("approving a new version switches followers and not pinners", async () => {
    const f = await freshRegistry();
    const m = await createModel(f);
    await rejects(f.chain.read(f.registry, "resolve", [m, 0]), "NoActiveVersion");
    await rejects(f.chain.read(f.registry, "resolve", [m, 1]), "UnknownVersion");
    await rejects(f.chain.read(f.registry, "resolve", [9n, 0]), "UnknownModel");
    await proposeAndApprove(f, m, makeSpec(1));
    const v2 = (await f.chain.sendOk(f.chain.accounts[4]!, f.registry, "proposeVersion", [m, makeSpec(2)])).result as number;
    // Unapproved v2: pinning it fails, followers stay on v1.
    await rejects(f.chain.read(f.registry, "resolve", [m, v2]), "VersionNotExecutable");
    assert.equal((await f.chain.read(f.registry, "resolve", [m, 0])).version, 1);
    await f.chain.sendOk(f.chain.accounts[1]!, f.registry, "approveVersion", [m, v2]);
    await f.chain.sendOk(f.chain.accounts[2]!, f.registry, "approveVersion", [m, v2]);
    assert.equal((await f.chain.read(f.registry, "resolve", [m, 0])).version, 2);
    const pinned = await f.chain.read(f.registry, "resolve", [m, 1]);
    assert.equal(pinned.version, 1);
    assert.equal(pinned.contentHash, contentHashOf(makeSpec(1)));
  });

  it("a late activation of an older version keeps it pinnable without displacing the newer active one", async () => {
    const f = await freshRegistry(100n);
    const a = f.chain.accounts;
    const m = await createModel(f);
    await proposeAndApprove(f, m, makeSpec(1));
    await proposeAndApprove(f, m, makeSpec(2));
    await f.chain.advanceTime(100n);
    await f.chain.sendOk(a[0]!, f.registry, "activateVersion", [m, 2]);
    const late = await f.chain.sendOk(a[0]!, f.registry, "activateVersion", [m, 1]);
    assert.equal(late.events[0]!.args.previousActive, 2);
    assert.equal((await f.chain.read(f.registry, "resolve", [m, 0])).version, 2);
    assert.equal((await f.chain.read(f.registry, "resolve", [m, 1])).version, 1);
  });

  it("revocation by the governor makes a version unresolvable and clears it as active", async () => {
    const f = await freshRegistry();
    const m = await createModel(f);
    await proposeAndApprove(f, m, makeSpec(1));
    await expectError(f, 1, "revokeVersion", [m, 1], "NotGovernor");
    await expectError(f, 0, "revokeVersion", [m, 3], "UnknownVersion");
    const r = await f.chain.sendOk(f.chain.accounts[0]!, f.registry, "revokeVersion", [m, 1]);
    assert.equal(r.events[0]!.eventName, "VersionRevoked");
    await expectError(f, 0, "revokeVersion", [m, 1], "InvalidStatus");
    await rejects(f.chain.read(f.registry, "resolve", [m, 1]), "VersionNotExecutable");
    await rejects(f.chain.read(f.registry, "resolve", [m, 0]), "NoActiveVersion");
  });

  it("property: over random governance histories, resolve succeeds exactly for activated, unrevoked versions", async () => {
    const f = await freshRegistry(50n);
    const a = f.chain.accounts;
    const rand = prng(6);
    const m = await createModel(f);
    // Reference model of each version's status, updated only from successful transactions.
    const status: number[] = [0];
    const approvals: Set<number>[] = [new Set()];
    let active = 0;
    const eta: bigint[] = [0n];
    for (let step = 0; step < 60; step++) {
      const op = Math.floor(rand() * 5);
      const v = 1 + Math.floor(rand() * Math.max(1, status.length - 1));
      if (op === 0 || status.length === 1) {
        await f.chain.sendOk(a[4]!, f.registry, "proposeVersion", [m, makeSpec(1000 + step)]);
        status.push(Status.Proposed);
        approvals.push(new Set());
        eta.push(0n);
      } else if (op === 1) {
        const who = 1 + Math.floor(rand() * 3);
        const r = await f.chain.send(a[who]!, f.registry, "approveVersion", [m, v]);
        const expectOk = status[v] === Status.Proposed && !approvals[v]!.has(who);
        assert.equal(r.error === undefined, expectOk, `approve v${v} by ${who}`);
        if (expectOk) {
          approvals[v]!.add(who);
          if (approvals[v]!.size >= 2) {
            status[v] = Status.Queued;
            eta[v] = f.chain.timestamp + 50n;
          }
        }
      } else if (op === 2) {
        const r = await f.chain.send(a[5]!, f.registry, "activateVersion", [m, v]);
        const expectOk = status[v] === Status.Queued && f.chain.timestamp >= eta[v]!;
        assert.equal(r.error === undefined, expectOk, `activate v${v}`);
        if (expectOk) {
          status[v] = Status.Active;
          if (v > active) active = v;
        }
      } else if (op === 3 && rand() < 0.3) {
        const r = await f.chain.send(a[0]!, f.registry, "revokeVersion", [m, v]);
        assert.equal(r.error === undefined, status[v] !== Status.Revoked);
        if (status[v] === Status.Active && active === v) active = 0;
        status[v] = Status.Revoked;
      } else {
        await f.chain.advanceTime(BigInt(Math.floor(rand() * 40)));
      }
      // The touched version every step; every version every 10 steps (reads are the slow part).
      const check = step % 10 === 9 ? status.map((_, i) => i).slice(1) : [Math.min(v, status.length - 1)];
      for (const q of check) {
        const ok = await f.chain.read(f.registry, "resolve", [m, q]).then(
          () => true,
          () => false,
        );
        assert.equal(ok, status[q] === Status.Active, `v${q} resolvable iff active (status ${status[q]})`);
      }
      const follow = await f.chain.read(f.registry, "resolve", [m, 0]).then(
        (r: { version: number }) => r.version,
        () => 0,
      );
      assert.equal(follow, active);
    }
  });
});
