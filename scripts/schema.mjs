// Writes schema/laminar.schema.json from src/config/schema.ts (the source of truth).
import { writeFileSync } from "node:fs";
import { laminarSchema } from "../src/config/schema.ts";
writeFileSync(new URL("../schema/laminar.schema.json", import.meta.url), `${JSON.stringify(laminarSchema, null, 2)}\n`);
console.log("wrote schema/laminar.schema.json");
