import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rareWords } from "../src/scan/rare-words.js";

describe("rareWords", () => {
  it("answers what a substring search for each word answers, on random texts built of their pieces", () => {
    // Pieces and fragments of the three words, so they occur whole, cut, back to back and interleaved.
    const pieces = [
      "laminar:",
      "laminar",
      ":",
      "$imagepolicy",
      "$",
      "image",
      "policy",
      "image.toolkit.fluxcd.io",
      "image.toolkit",
      ".fluxcd.io",
      "# ",
      "\n",
      "lam",
      "inar:",
      '"',
    ];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const seen = { marker: 0, setter: 0, fluxApi: 0 };
    for (let k = 0; k < 5000; k++) {
      let text = "";
      for (let j = rnd(10); j > 0; j--) text += pieces[rnd(pieces.length)];
      const expected = {
        marker: text.includes("laminar:"),
        setter: text.includes("$imagepolicy"),
        fluxApi: text.includes("image.toolkit.fluxcd.io"),
      };
      assert.deepEqual(rareWords(text), expected, JSON.stringify(text));
      for (const key of ["marker", "setter", "fluxApi"] as const) if (expected[key]) seen[key]++;
    }
    // The generator makes each word often enough for the comparison to mean something.
    for (const [key, n] of Object.entries(seen)) assert.ok(n > 200, `${key}: ${n}`);
  });

  it("finds nothing in an empty text and every word in a text holding all three", () => {
    assert.deepEqual(rareWords(""), { marker: false, setter: false, fluxApi: false });
    const all = 'apiVersion: image.toolkit.fluxcd.io/v1\ntag: 1 # {"$imagepolicy": "a:b"}\nx: 1 # laminar: acme/x\n';
    assert.deepEqual(rareWords(all), { marker: true, setter: true, fluxApi: true });
  });
});
