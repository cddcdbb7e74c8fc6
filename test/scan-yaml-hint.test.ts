import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { firstHintKey, hintWindows } from "../src/scan/structured/yaml-scan.js";
import { random } from "./helpers/random.js";

/**
 * The regex `hintWindows` used before issue #12 replaced it with a backward read from each `:`: kept
 * here as the oracle, with the loop around it as it was, so the two must agree on every input.
 */
const HINT_KEY =
  /(?:^[ \t]*(?:- )?|[{,][ \t]*)["']?(?:repository|repo|newTag|newName|[\w-]*[iI]mage_?[tT]ag|tag|kustomize|helm|global|digest)["']?[ \t]*:/gm;

function oracle(text: string): Array<[number, number]> {
  const topLevel = (ls: number): boolean => {
    const c = text[ls];
    if (c === undefined) return true;
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "#") return false;
    return !(c === "-" && (text[ls + 1] === " " || text[ls + 1] === "\n" || text[ls + 1] === "\r"));
  };
  const out: Array<[number, number]> = [];
  HINT_KEY.lastIndex = 0;
  for (let m; (m = HINT_KEY.exec(text));) {
    const last = out[out.length - 1];
    if (last && m.index < last[1]) continue;
    let start = text.lastIndexOf("\n", m.index - 1) + 1;
    // The one change: the old `lastIndexOf("\n", -1)` looped for ever on "\n  tag: 1".
    while (start > 0 && !topLevel(start)) start = start < 2 ? 0 : text.lastIndexOf("\n", start - 2) + 1;
    let end = text.indexOf("\n", m.index);
    while (end >= 0 && !topLevel(end + 1)) end = text.indexOf("\n", end + 1);
    end = end < 0 ? text.length : end + 1;
    if (last && start <= last[1]) last[1] = end;
    else out.push([start, end]);
    HINT_KEY.lastIndex = end;
  }
  return out;
}

// Pieces of the pattern and of what sits next to it: every way the two could part ways is a mix of these.
const PIECES = [
  "repository",
  "repo",
  "newTag",
  "newName",
  "tag",
  "Tag",
  "kustomize",
  "helm",
  "global",
  "image",
  "Image",
  "mage",
  "i",
  "I",
  "_",
  "-",
  "- ",
  " ",
  "\t",
  "\n",
  "\r",
  "\r\n",
  "{",
  ",",
  "}",
  '"',
  "'",
  ":",
  ": ",
  "x",
  "9",
  "#",
  ".",
  "é",
  "\xEF\xBB\xBF",
  "imageTag",
  "image_tag",
  "my-image_Tag",
  "ag",
  "t",
];

describe("hintWindows (#12: a backward read instead of a regex)", () => {
  it("agrees with the regex on odd cases", () => {
    const cases = [
      "",
      ":",
      "\n  tag: 1",
      "\n\n  - image_tag: 1\n",
      "tag:",
      "tag :",
      "'tag' :",
      '"tag":',
      "-tag:",
      "- tag:",
      "  -  tag:",
      "- - tag:",
      "x tag:",
      "xtag:",
      "a: {tag: 1}",
      "a: [x,tag: 1]",
      "a: {  'repo':1}",
      "a\rtag: 1",
      "\r\n  image_tag: 1\n",
      "imagetag:",
      "Image_Tag:",
      "image__tag:",
      "foo-bar_imageTag:",
      "-imageTag:",
      "- -imageTag:",
      "x.imageTag:",
      "é imageTag:",
      "\xEF\xBB\xBFtag: 1",
      "   \xEF\xBB\xBFtag: 1",
      "a:\n  b:\n    repository: x\n# c\nd: e\n",
      "a: 1\n---\nhelm:\n  values: |\n    tag: 2\n",
      "key: tag\nnot: global\n",
      "a:\n- global:\n  x: 1\nb: 2\ntag: 3",
    ];
    for (const c of cases) assert.deepEqual(hintWindows(c), oracle(c), JSON.stringify(c));
  });

  it("agrees with the regex on 20 000 random texts", () => {
    const next = random(12);
    let withWindows = 0;
    for (let n = 0; n < 20_000; n++) {
      let text = "";
      const len = 1 + Math.floor(next() * 30);
      for (let k = 0; k < len; k++) text += PIECES[Math.floor(next() * PIECES.length)];
      const windows = hintWindows(text);
      assert.deepEqual(windows, oracle(text), `case ${n}: ${JSON.stringify(text)}`);
      // The pre-check's question (#12), on the text as `scanYaml` reads it (a byte order mark blanked).
      const read = text.startsWith("\xEF\xBB\xBF") ? `   ${text.slice(3)}` : text;
      assert.equal(firstHintKey(text) >= 0, oracle(read).length > 0, `case ${n}: ${JSON.stringify(text)}`);
      if (windows.length) withWindows++;
    }
    // The pieces must make hint keys often, or the agreement says little.
    assert.ok(withWindows > 1000, `only ${withWindows} texts had a hint key`);
  });
});
