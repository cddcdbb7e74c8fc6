/**
 * A long-lived registry client in a process of its own, for cloud chains that only work in a new
 * process (@azure/identity against a local HTTPS authority needs NODE_EXTRA_CA_CERTS, which Node
 * reads at start). Lists one repository's tags once per step, each step a new run with the client's
 * clock moved by the step's offset, and prints one JSON line: the tag count of each step.
 *
 * Usage: node --import tsx long-lived-client.ts '{"host":"127.0.0.1:5000","cloud":"azure",
 *   "repository":"acme/app","offsetsMs":[0,0,3000000]}'
 */
import { RegistryClient } from "../../../src/registry/index.js";

interface Steps {
  readonly host: string;
  readonly cloud: "aws" | "google" | "azure";
  readonly repository: string;
  readonly offsetsMs: readonly number[];
}

const steps = JSON.parse(process.argv[2] ?? "{}") as Steps;
let offset = 0;
const client = new RegistryClient({
  env: { DOCKER_CONFIG: process.env.DOCKER_CONFIG ?? "/nonexistent" },
  registries: [{ host: steps.host, cloud: steps.cloud }],
  now: () => Date.now() + offset,
});
const counts: number[] = [];
for (const ms of steps.offsetsMs) {
  offset = ms;
  client.newRun();
  counts.push((await client.listTags({ registry: steps.host, repository: steps.repository })).tags.length);
}
process.stdout.write(`${JSON.stringify(counts)}\n`);
