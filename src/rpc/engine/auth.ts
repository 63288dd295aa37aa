// The Engine API's authentication (execution-apis src/engine/authentication.md): a 32-byte secret
// shared with the consensus client through a hex file, and an HS256 JWT on every request whose
// `iat` is within ±60 s of this node's clock. The token's signature is checked with jose.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname } from "node:path";
import { errors, jwtVerify } from "jose";

/** How far a token's `iat` may be from the node's clock, in seconds (the spec's ±60 s). */
export const JWT_IAT_TOLERANCE_S = 60;

/**
 * The secret in `path` (64 hex digits, optionally 0x-prefixed, surrounding whitespace ignored).
 * When the file does not exist a random secret is written there first (mode 0600), as geth does.
 */
export function readOrCreateJwtSecret(path: string): { secret: Uint8Array; created: boolean } {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `0x${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
    return { secret: parseJwtSecret(readFileSync(path, "utf8"), path), created: true };
  }
  return { secret: parseJwtSecret(readFileSync(path, "utf8"), path), created: false };
}

export function parseJwtSecret(text: string, source: string): Uint8Array {
  const hex = text.trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`The JWT secret in ${source} must be 32 bytes as 64 hex digits (optionally 0x-prefixed).`);
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/**
 * Why the request's `Authorization` header does not authenticate it, or undefined when it does:
 * a Bearer HS256 JWT signed with `secret` whose `iat` is within JWT_IAT_TOLERANCE_S of `nowMs`.
 */
export async function jwtRefusal(authorization: string | undefined, secret: Uint8Array, nowMs: number = Date.now()): Promise<string | undefined> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
  if (match === null) return "missing bearer token (Authorization: Bearer <JWT>)";
  let iat: unknown;
  try {
    // iat is checked below in both directions; jose alone checks only its age, and exp when present.
    const { payload } = await jwtVerify(match[1]!, secret, { algorithms: ["HS256"], currentDate: new Date(nowMs) });
    iat = payload.iat;
  } catch (error) {
    if (error instanceof errors.JOSEError) return `invalid token: ${error.code}`;
    return "invalid token";
  }
  if (typeof iat !== "number") return "token without an iat claim";
  if (Math.abs(iat - Math.floor(nowMs / 1000)) > JWT_IAT_TOLERANCE_S) return `token iat ${iat} is more than ${JWT_IAT_TOLERANCE_S} s from the node's clock`;
  return undefined;
}
