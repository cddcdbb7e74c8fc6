// Property tests for the reference parser: it only ever throws InvalidReferenceError, whatever
// the string, and canonical references survive formatReference → parseImageReference.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  DOMAIN_PATTERN,
  type ImageReference,
  InvalidReferenceError,
  NAME_TOTAL_LENGTH_MAX,
  REMOTE_NAME_PATTERN,
  TAG_PATTERN,
  familiarString,
  formatReference,
  isValidDigest,
  parseImageReference,
  tryParseImageReference,
} from "../src/reference/index.js";

// Fixed seed so a failure reproduces; bump it locally to explore further.
const SEED = 20240917;

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const HEX = "0123456789abcdef";
const chars = (alphabet: string): fc.Arbitrary<string> => fc.constantFrom(...alphabet);
const word = (alphabet: string, min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: chars(alphabet), minLength: min, maxLength: max });

// Raw input: plain random text, any code point, and text over the grammar's own punctuation,
// which reaches far deeper into the parser than uniform noise does.
const referenceish = fc.string({
  unit: fc.oneof(
    { weight: 8, arbitrary: chars(`${LOWER}ABCXYZ${DIGITS}`) },
    { weight: 4, arbitrary: chars("./:@_-[]") },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "sha256:",
        "docker.io/",
        "library/",
        "localhost",
        "index.docker.io/",
        "\u0130",
        "\ud800",
        " ",
        "\n",
      ),
    },
  ),
  maxLength: 90,
});
const anyText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 60 }),
  referenceish,
  referenceish.map((s) => `${s}@sha256:${"a".repeat(64)}`),
);

const anchoredDomain = new RegExp(`^(?:${DOMAIN_PATTERN})$`);
const anchoredRemote = new RegExp(`^(?:${REMOTE_NAME_PATTERN})$`);
const anchoredTag = new RegExp(`^(?:${TAG_PATTERN})$`);

test("parseImageReference throws nothing but InvalidReferenceError, on any string", () => {
  let parsed = 0;
  fc.assert(
    fc.property(anyText, (text) => {
      let ref: ImageReference;
      try {
        ref = parseImageReference(text);
      } catch (err) {
        if (!(err instanceof InvalidReferenceError)) throw err;
        assert.equal(err.input, text);
        assert.equal(tryParseImageReference(text), undefined);
        return;
      }
      parsed++;
      // Whatever parses is well formed and already normalised.
      assert.ok(ref.registry === "" || anchoredDomain.test(ref.registry), ref.registry);
      assert.ok(anchoredRemote.test(ref.repository), ref.repository);
      assert.ok(ref.repository.length <= NAME_TOTAL_LENGTH_MAX);
      if (ref.tag !== undefined) assert.ok(anchoredTag.test(ref.tag), ref.tag);
      if (ref.digest !== undefined) assert.ok(isValidDigest(ref.digest), ref.digest);
      assert.deepStrictEqual(tryParseImageReference(text), ref);
      assert.deepStrictEqual(parseImageReference(formatReference(ref)), ref);
    }),
    { numRuns: 12_000, seed: SEED },
  );
  // Guards against a generator that only ever produces garbage.
  assert.ok(parsed > 500, `only ${parsed} generated strings parsed`);
});

// --- generators for canonical references --------------------------------------------------------

const alnum = word(LOWER + DIGITS, 1, 6);
const separator = fc.constantFrom(".", "_", "__", "-", "--", "---");
// regexp.go pathComponent: alphanumeric runs joined by separators.
const pathComponent = fc
  .tuple(alnum, fc.array(fc.tuple(separator, alnum), { maxLength: 3 }))
  .map(([head, rest]) => head + rest.map(([sep, run]) => sep + run).join(""));
const path = (minComponents: number): fc.Arbitrary<string> =>
  fc
    .array(pathComponent, { minLength: minComponents, maxLength: 5 })
    .map((parts) => parts.join("/"))
    .filter((p) => p.length <= NAME_TOTAL_LENGTH_MAX);

// regexp.go domainNameComponent, upper case allowed.
const label = fc
  .tuple(word(`${LOWER}ABC${DIGITS}`, 1, 1), word(`${LOWER}${DIGITS}-`, 0, 8), word(`${LOWER}XYZ${DIGITS}`, 1, 1))
  .map(([a, mid, z]) => (mid === "" ? a : a + mid + z));
const port = fc.integer({ min: 0, max: 99999 }).map(String);
const withPort = (host: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(host, fc.option(port)).map(([h, p]) => (p === null ? h : `${h}:${p}`));
const hexGroup = word(HEX + "ABCDEF", 1, 4);
const ipv6 = fc.oneof(
  fc.array(hexGroup, { minLength: 8, maxLength: 8 }).map((g) => `[${g.join(":")}]`),
  fc
    .tuple(fc.array(hexGroup, { maxLength: 3 }), fc.array(hexGroup, { maxLength: 3 }))
    .map(([a, b]) => `[${a.join(":")}::${b.join(":")}]`),
);
const dotted = fc
  .array(label, { minLength: 2, maxLength: 4 })
  .map((l) => l.join("."))
  .filter((h) => h !== "index.docker.io" && h !== "docker.io");

// Registries that splitDockerDomain recognises as such, so the canonical form is stable.
const registry = fc.oneof(
  withPort(dotted),
  withPort(fc.constant("localhost")),
  fc.tuple(label, port).map(([h, p]) => `${h}:${p}`),
  withPort(ipv6),
  // Upper case marks a domain even without "." or ":" (normalize.go).
  fc.tuple(word("ABCDEFXYZ", 1, 3), word(LOWER, 0, 3)).map(([u, l]) => u + l),
);

const tag = fc
  .tuple(word(`${LOWER}ABZ${DIGITS}_`, 1, 1), word(`${LOWER}ABZ${DIGITS}_.-`, 0, 20))
  .map(([a, b]) => a + b);
const longTag = word("x", 128, 128);
const digest = fc.oneof(
  word(HEX, 64, 64).map((h) => `sha256:${h}`),
  word(HEX, 96, 96).map((h) => `sha384:${h}`),
  word(HEX, 128, 128).map((h) => `sha512:${h}`),
);

const named = fc.oneof(
  fc.record({ registry, repository: path(1) }),
  // Docker Hub: a single component would gain "library/", so canonical ones have two or more.
  fc.record({ registry: fc.constant("docker.io"), repository: path(2) }),
  // The empty-domain quirk: a "."-containing first component that is no valid host.
  fc
    .tuple(alnum, alnum, alnum, path(1))
    .map(([a, b, c, rest]) => ({ registry: "", repository: `${a}_${b}.${c}/${rest}` }))
    .filter((r) => r.repository.length <= NAME_TOTAL_LENGTH_MAX),
);

const canonicalReference: fc.Arbitrary<ImageReference> = fc
  .tuple(named, fc.option(fc.oneof(tag, longTag)), fc.option(digest))
  .map(([name, t, d]) => ({
    ...name,
    ...(t === null ? {} : { tag: t }),
    ...(d === null ? {} : { digest: d }),
  }));

test("round trip: parseImageReference(formatReference(x)) equals x", () => {
  fc.assert(
    fc.property(canonicalReference, (ref) => {
      assert.deepStrictEqual(parseImageReference(formatReference(ref)), ref);
    }),
    { numRuns: 5_000, seed: SEED },
  );
});

test("round trip through the familiar form for Docker Hub references", () => {
  const hub = fc
    .tuple(
      fc.oneof(
        path(1).map((p) => `library/${p}`),
        path(2),
      ),
      fc.option(tag),
      fc.option(digest),
    )
    .filter(([repository]) => repository.length <= NAME_TOTAL_LENGTH_MAX)
    // A familiar first component with "." or ":" would read as a registry (familiarString's caveat).
    .filter(([repository]) => !/[.:]/.test(repository.replace(/^library\//, "").split("/")[0] ?? ""))
    .map(([repository, t, d]): ImageReference => ({
      registry: "docker.io",
      repository,
      ...(t === null ? {} : { tag: t }),
      ...(d === null ? {} : { digest: d }),
    }));
  fc.assert(
    fc.property(hub, (ref) => {
      assert.deepStrictEqual(parseImageReference(familiarString(ref)), ref);
    }),
    { numRuns: 2_000, seed: SEED },
  );
});
