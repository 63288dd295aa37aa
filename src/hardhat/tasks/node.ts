// `hardhat aivm node`: the AIVM dev node over HTTP and WebSocket JSON-RPC, until SIGINT/SIGTERM.
import type { NewTaskActionFunction } from "hardhat/types/tasks";
import { startNodeServer } from "../../rpc/server.ts";

interface AivmNodeArguments {
  hostname: string;
  port: number;
  chainId: number;
  blockTime: number;
  db: string;
}

const aivmNodeAction: NewTaskActionFunction<AivmNodeArguments> = async (args) => {
  const server = await startNodeServer({
    host: args.hostname,
    port: args.port,
    chainId: args.chainId > 0 ? args.chainId : undefined,
    blockTime: args.blockTime > 0 ? args.blockTime : undefined,
    dbPath: args.db === "" ? undefined : args.db,
  });
  const { node } = server;
  const lines = ["AIVM dev node (hardhat aivm node)", "", "Accounts", "========"];
  node.accounts.forEach((a, i) => lines.push(`(${i}) ${a.address}`, `    private key: ${a.privateKey}`));
  lines.push("", `Use it from Hardhat with an http network: { type: "http", url: "${server.url}" }`, "");
  console.log(lines.join("\n"));
  // The last line: scripts and tests wait for it (same format as `aivm node`).
  console.log(`Listening on ${server.url} (WebSocket ${server.wsUrl}), chain id ${node.chainId}, head block ${node.headNumber}`);

  // Serve until asked to stop; the task's promise settles only then.
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
};

export default aivmNodeAction;
