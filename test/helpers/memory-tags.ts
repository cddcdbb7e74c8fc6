/**
 * The in-memory TagSource of the plan tests is the library's own (src/registry/memory-tags.ts), so
 * tests and library users run the same code. Registry behaviour itself is tested against the real
 * registry in test/registry-*.test.ts.
 */
export { MemoryTags } from "../../src/registry/memory-tags.js";
