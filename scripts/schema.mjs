// Writes schema/laminar.schema.json and schema/server.schema.json from src/config/ (the source of truth).
import { writeFileSync } from "node:fs";
import { laminarSchema } from "../src/config/schema.ts";
import { serverSchema } from "../src/config/server-schema.ts";
for (const [file, schema] of [
  ["laminar.schema.json", laminarSchema],
  ["server.schema.json", serverSchema],
]) {
  writeFileSync(new URL(`../schema/${file}`, import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote schema/${file}`);
}
