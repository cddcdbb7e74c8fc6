// Cases translated from distribution/reference reference_test.go, normalize_test.go and
// regexp_test.go (test data only), plus edge cases of our own. reference_test.go exercises Parse;
// here every input goes through parseImageReference (= ParseNormalizedNamed), so expectations are
// the normalised ones: `test_com` → `docker.io/library/test_com`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DIGEST_PATTERN,
  DOMAIN_PATTERN,
  IDENTIFIER_PATTERN,
  type ImageReference,
  InvalidReferenceError,
  type InvalidReferenceCode,
  NAME_PATTERN,
  NAME_TOTAL_LENGTH_MAX,
  PATH_COMPONENT_PATTERN,
  REFERENCE_PATTERN,
  REMOTE_NAME_PATTERN,
  TAG_PATTERN,
  familiarName,
  familiarString,
  formatReference,
  isValidDigest,
  isValidTag,
  parseImageReference,
  tryParseImageReference,
  withDigest,
  withTag,
} from "../src/reference/index.js";

const F64 = "f".repeat(64);
const SHA_F = `sha256:${F64}`;
const SHA_BE = "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912";
const SHA_DB = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
const SHA512_F = `sha512:${"f".repeat(128)}`;
const HEX64 = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";

type Valid = [input: string, registry: string, repository: string, tag?: string, digest?: string];
type Invalid = [input: string, code: InvalidReferenceCode];

function expected(registry: string, repository: string, tag?: string, digest?: string): ImageReference {
  return {
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

function label(input: string): string {
  const shown = input.length > 80 ? `${input.slice(0, 77)}…(${input.length})` : input;
  return JSON.stringify(shown);
}

function expectValid(cases: readonly Valid[]): void {
  for (const [input, registry, repository, tag, digest] of cases) {
    test(label(input), () => {
      assert.deepStrictEqual(parseImageReference(input), expected(registry, repository, tag, digest));
    });
  }
}

function expectInvalid(cases: readonly Invalid[]): void {
  for (const [input, code] of cases) {
    test(`${label(input)} → ${code}`, () => {
      assert.throws(
        () => parseImageReference(input),
        (err: unknown) => err instanceof InvalidReferenceError && err.code === code && err.input === input,
      );
      assert.equal(tryParseImageReference(input), undefined);
    });
  }
}

describe("reference_test.go TestReferenceParse, normalised", () => {
  expectValid([
    ["test_com", "docker.io", "library/test_com"],
    ["test.com:tag", "docker.io", "library/test.com", "tag"],
    ["test.com:5000", "docker.io", "library/test.com", "5000"],
    ["test.com/repo:tag", "test.com", "repo", "tag"],
    ["test:5000/repo", "test:5000", "repo"],
    ["test:5000/repo:tag", "test:5000", "repo", "tag"],
    [`test:5000/repo@${SHA_F}`, "test:5000", "repo", undefined, SHA_F],
    [`test:5000/repo:tag@${SHA_F}`, "test:5000", "repo", "tag", SHA_F],
    ["lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase"],
    [`${"a/".repeat(127)}a:tag-puts-this-over-max`, "docker.io", `${"a/".repeat(127)}a`, "tag-puts-this-over-max"],
    ["sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux"],
    ["sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag"],
    ["b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app", "test.example.com"],
    ["xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com"],
    [`xn--7o8h.com/myimage:xn--7o8h.com@${SHA512_F}`, "xn--7o8h.com", "myimage", "xn--7o8h.com", SHA512_F],
    ["foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080"],
    ["foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080"],
    ["192.168.1.1", "docker.io", "library/192.168.1.1"],
    ["192.168.1.1:tag", "docker.io", "library/192.168.1.1", "tag"],
    ["192.168.1.1:5000", "docker.io", "library/192.168.1.1", "5000"],
    ["192.168.1.1/repo", "192.168.1.1", "repo"],
    ["192.168.1.1:5000/repo", "192.168.1.1:5000", "repo"],
    ["192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050"],
    ["[2001:db8::1]/repo", "[2001:db8::1]", "repo"],
    ["[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag"],
    ["[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo"],
    ["[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag"],
    [`[2001:db8::1]:5000/repo@${SHA_F}`, "[2001:db8::1]:5000", "repo", undefined, SHA_F],
    [`[2001:db8::1]:5000/repo:tag@${SHA_F}`, "[2001:db8::1]:5000", "repo", "tag", SHA_F],
    ["[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo"],
    ["[::1]:5000/repo", "[::1]:5000", "repo"],
  ]);
  expectInvalid([
    // Go's ParseNormalizedNamed says invalid-format for ""; we report name-empty (see parse.ts).
    ["", "name-empty"],
    [":justtag", "invalid-format"],
    [`@${SHA_F}`, "invalid-format"],
    [`repo@sha256:${"f".repeat(34)}`, "digest-invalid"],
    [`validname@invaliddigest:${F64}`, "digest-invalid"],
    ["Uppercase:tag", "name-contains-uppercase"],
    ["test:5000/Uppercase/lowercase:tag", "name-contains-uppercase"],
    [`${"a/".repeat(128)}a:tag`, "name-too-long"],
    ["aa/asdf$$^/aa", "invalid-format"],
    ["[2001:db8::1]", "invalid-format"],
    ["[2001:db8::1]:5000", "invalid-format"],
    ["[2001:db8::1]:tag", "invalid-format"],
    ["[fe80::1%eth0]:5000/repo", "invalid-format"],
    ["[fe80::1%@invalidzone]:5000/repo", "invalid-format"],
  ]);
});

describe("reference_test.go TestParseNamed: canonical inputs format back unchanged", () => {
  const canonical: [string, string, string][] = [
    ["test.com/foo", "test.com", "foo"],
    ["test:8080/foo", "test:8080", "foo"],
    ["docker.io/library/foo", "docker.io", "library/foo"],
  ];
  for (const [input, registry, repository] of canonical) {
    test(input, () => {
      const ref = parseImageReference(input);
      assert.deepStrictEqual(ref, expected(registry, repository));
      assert.equal(formatReference(ref), input);
    });
  }
  // ErrNameNotCanonical cases: they parse, but normalisation changes them.
  for (const input of ["test_com/foo", "test.com", "foo", "library/foo", "docker.io/foo"]) {
    test(`${input} is not canonical`, () => {
      assert.notEqual(formatReference(parseImageReference(input)), input);
    });
  }
});

describe("normalize_test.go TestValidateReferenceName", () => {
  expectValid([
    ["docker/docker", "docker.io", "docker/docker"],
    ["library/debian", "docker.io", "library/debian"],
    ["debian", "docker.io", "library/debian"],
    ["docker.io/docker/docker", "docker.io", "docker/docker"],
    ["docker.io/library/debian", "docker.io", "library/debian"],
    ["docker.io/debian", "docker.io", "library/debian"],
    ["index.docker.io/docker/docker", "docker.io", "docker/docker"],
    ["index.docker.io/library/debian", "docker.io", "library/debian"],
    ["index.docker.io/debian", "docker.io", "library/debian"],
    ["127.0.0.1:5000/docker/docker", "127.0.0.1:5000", "docker/docker"],
    ["127.0.0.1:5000/library/debian", "127.0.0.1:5000", "library/debian"],
    ["127.0.0.1:5000/debian", "127.0.0.1:5000", "debian"],
    ["192.168.0.1", "docker.io", "library/192.168.0.1"],
    ["192.168.0.1:80", "docker.io", "library/192.168.0.1", "80"],
    ["192.168.0.1:8/debian", "192.168.0.1:8", "debian"],
    ["192.168.0.2:25000/debian", "192.168.0.2:25000", "debian"],
    [
      "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
      "docker.io",
      "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
    ],
    ["[fc00::1]:5000/docker", "[fc00::1]:5000", "docker"],
    ["[fc00::1]:5000/docker/docker", "[fc00::1]:5000", "docker/docker"],
    ["[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000", "library/debian"],
    // With a registry, a 64-hex path is not ambiguous with an image id.
    [`docker.io/${HEX64}`, "docker.io", `library/${HEX64}`],
    ["Docker/docker", "Docker", "docker"],
    ["DOCKER/docker", "DOCKER", "docker"],
  ]);
  expectInvalid([
    ["https://github.com/docker/docker", "invalid-format"],
    ["docker/Docker", "name-contains-uppercase"],
    ["-docker", "invalid-format"],
    ["-docker/docker", "invalid-format"],
    ["-docker.io/docker/docker", "invalid-format"],
    ["docker///docker", "invalid-format"],
    ["docker.io/docker/Docker", "name-contains-uppercase"],
    ["docker.io/docker///docker", "invalid-format"],
    ["[fc00::1]", "invalid-format"],
    ["[fc00::1]:5000", "invalid-format"],
    ["fc00::1:5000/debian", "invalid-format"],
    ["[fe80::1%eth0]:5000/debian", "invalid-format"],
    ["[2001:db8:3:4::192.0.2.33]:5000/debian", "invalid-format"],
    [HEX64, "name-not-canonical"],
  ]);
});

describe("normalize_test.go TestValidateRemoteName", () => {
  expectValid([
    ["docker-rules/docker", "docker.io", "docker-rules/docker"],
    ["docker---rules/docker", "docker.io", "docker---rules/docker"],
    ["doc/docker", "docker.io", "doc/docker"],
    ["d/docker", "docker.io", "d/docker"],
    ["jess/t", "docker.io", "jess/t"],
    ["dock__er/docker", "docker.io", "dock__er/docker"],
  ]);
  const longNamespace = Array(4).fill("this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255").join("_");
  expectInvalid([
    ["docker-/docker", "invalid-format"],
    ["-docker-/docker", "invalid-format"],
    ["____/____", "invalid-format"],
    ["_docker/_docker", "invalid-format"],
    ["dock..er/docker", "invalid-format"],
    ["dock_.er/docker", "invalid-format"],
    ["dock-.er/docker", "invalid-format"],
    ["docker/", "invalid-format"],
    [`${longNamespace}/docker`, "name-too-long"],
  ]);
});

describe("normalize_test.go TestParseRepositoryInfo", () => {
  const cases: { remote: string; familiar: string; full: string; ambiguous?: string; domain: string }[] = [
    {
      remote: "fooo/bar",
      familiar: "fooo/bar",
      full: "docker.io/fooo/bar",
      ambiguous: "index.docker.io/fooo/bar",
      domain: "docker.io",
    },
    {
      remote: "library/ubuntu",
      familiar: "ubuntu",
      full: "docker.io/library/ubuntu",
      ambiguous: "library/ubuntu",
      domain: "docker.io",
    },
    {
      remote: "nonlibrary/ubuntu",
      familiar: "nonlibrary/ubuntu",
      full: "docker.io/nonlibrary/ubuntu",
      domain: "docker.io",
    },
    { remote: "other/library", familiar: "other/library", full: "docker.io/other/library", domain: "docker.io" },
    {
      remote: "private/moonbase",
      familiar: "127.0.0.1:8000/private/moonbase",
      full: "127.0.0.1:8000/private/moonbase",
      domain: "127.0.0.1:8000",
    },
    {
      remote: "privatebase",
      familiar: "127.0.0.1:8000/privatebase",
      full: "127.0.0.1:8000/privatebase",
      domain: "127.0.0.1:8000",
    },
    {
      remote: "private/moonbase",
      familiar: "example.com/private/moonbase",
      full: "example.com/private/moonbase",
      domain: "example.com",
    },
    {
      remote: "privatebase",
      familiar: "example.com/privatebase",
      full: "example.com/privatebase",
      domain: "example.com",
    },
    {
      remote: "private/moonbase",
      familiar: "example.com:8000/private/moonbase",
      full: "example.com:8000/private/moonbase",
      domain: "example.com:8000",
    },
    {
      remote: "privatebasee",
      familiar: "example.com:8000/privatebasee",
      full: "example.com:8000/privatebasee",
      domain: "example.com:8000",
    },
    {
      remote: "library/ubuntu-12.04-base",
      familiar: "ubuntu-12.04-base",
      full: "docker.io/library/ubuntu-12.04-base",
      ambiguous: "index.docker.io/library/ubuntu-12.04-base",
      domain: "docker.io",
    },
    {
      remote: "library/foo",
      familiar: "foo",
      full: "docker.io/library/foo",
      ambiguous: "docker.io/foo",
      domain: "docker.io",
    },
    { remote: "library/foo/bar", familiar: "library/foo/bar", full: "docker.io/library/foo/bar", domain: "docker.io" },
    { remote: "store/foo/bar", familiar: "store/foo/bar", full: "docker.io/store/foo/bar", domain: "docker.io" },
    { remote: "bar", familiar: "Foo/bar", full: "Foo/bar", domain: "Foo" },
    { remote: "bar", familiar: "FOO/bar", full: "FOO/bar", domain: "FOO" },
  ];
  for (const c of cases) {
    for (const input of [c.familiar, c.full, ...(c.ambiguous === undefined ? [] : [c.ambiguous])]) {
      test(input, () => {
        const ref = parseImageReference(input);
        assert.equal(familiarName(ref), c.familiar);
        assert.equal(formatReference(ref), c.full);
        assert.equal(ref.registry, c.domain);
        assert.equal(ref.repository, c.remote);
      });
    }
  }
});

describe("normalize_test.go TestParseReferenceWithTagAndDigest", () => {
  test("busybox:latest@sha256:…", () => {
    const short = "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
    const ref = parseImageReference(short);
    assert.equal(ref.tag, "latest");
    assert.equal(ref.digest, short.slice("busybox:latest@".length));
    assert.equal(formatReference(ref), `docker.io/library/${short}`);
    assert.equal(familiarString(ref), short);
  });
});

describe("normalize_test.go TestParseAnyReference (named cases)", () => {
  const cases: [string, string][] = [
    ["redis", "docker.io/library/redis"],
    ["redis:latest", "docker.io/library/redis:latest"],
    ["docker.io/library/redis:latest", "docker.io/library/redis:latest"],
    [`redis@${SHA_DB}`, `docker.io/library/redis@${SHA_DB}`],
    [`docker.io/library/redis@${SHA_DB}`, `docker.io/library/redis@${SHA_DB}`],
    ["dmcgowan/myapp", "docker.io/dmcgowan/myapp"],
    ["dmcgowan/myapp:latest", "docker.io/dmcgowan/myapp:latest"],
    ["docker.io/mcgowan/myapp:latest", "docker.io/mcgowan/myapp:latest"],
    [`dmcgowan/myapp@${SHA_DB}`, `docker.io/dmcgowan/myapp@${SHA_DB}`],
    [`docker.io/dmcgowan/myapp@${SHA_DB}`, `docker.io/dmcgowan/myapp@${SHA_DB}`],
    // 63 hex digits is not an image id, so it is an ordinary name.
    [HEX64.slice(0, 63), `docker.io/library/${HEX64.slice(0, 63)}`],
    ["dbcc1", "docker.io/library/dbcc1"],
    // ParseAnyReference reads these as digests; ParseNormalizedNamed as name "sha256" with a tag.
    [SHA_DB, `docker.io/library/${SHA_DB}`],
  ];
  for (const [input, canonical] of cases) {
    test(input, () => assert.equal(formatReference(parseImageReference(input)), canonical));
  }
  expectInvalid([[SHA_DB.slice("sha256:".length), "name-not-canonical"]]);
});

describe("normalize_test.go TestNormalizedSplitHostname", () => {
  expectValid([
    ["test.com/foo", "test.com", "foo"],
    ["test_com/foo", "docker.io", "test_com/foo"],
    ["docker/migrator", "docker.io", "docker/migrator"],
    ["test.com:8080/foo", "test.com:8080", "foo"],
    ["test-com:8080/foo", "test-com:8080", "foo"],
    ["foo", "docker.io", "library/foo"],
    ["xn--n3h.com/foo", "xn--n3h.com", "foo"],
    ["xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"],
    ["docker.io/foo", "docker.io", "library/foo"],
    ["docker.io/library/foo", "docker.io", "library/foo"],
    ["docker.io/library/foo/bar", "docker.io", "library/foo/bar"],
  ]);
});

describe("domain detection edge cases", () => {
  expectValid([
    ["localhost/foo", "localhost", "foo"],
    ["localhost:5000/foo/bar:1.0", "localhost:5000", "foo/bar", "1.0"],
    // A single component is always a Docker Hub image (normalize.go FIXME), even a host name.
    ["localhost", "docker.io", "library/localhost"],
    ["localhost:5000", "docker.io", "library/localhost", "5000"],
    ["example.com", "docker.io", "library/example.com"],
    [`localhost:8080@${SHA_BE}`, "docker.io", "library/localhost", "8080", SHA_BE],
    [`localhost@${SHA_BE}`, "docker.io", "library/localhost", undefined, SHA_BE],
    ["a/b", "docker.io", "a/b"],
    ["a.b/c", "a.b", "c"],
    ["a:1/c", "a:1", "c"],
    ["Foo.com/bar", "Foo.com", "bar"],
    ["LOCALHOST/foo", "LOCALHOST", "foo"],
    // Only the exact lower-case legacy name is rewritten.
    ["INDEX.DOCKER.IO/foo", "INDEX.DOCKER.IO", "foo"],
    ["registry-1.docker.io/foo", "registry-1.docker.io", "foo"],
    ["docker.io:443/foo", "docker.io:443", "foo"],
    ["[::1]/foo", "[::1]", "foo"],
    ["[::1]:5000/foo:tag", "[::1]:5000", "foo", "tag"],
    ["[fd00123123123]:5000/foo", "[fd00123123123]:5000", "foo"],
    // No port range check in the grammar (regexp_test.go: "will fail on validation").
    ["example.com:99999999/foo", "example.com:99999999", "foo"],
    ["0101.com/foo", "0101.com", "foo"],
    [
      "registry.io/foo/project--id.module--name.ver---sion--name",
      "registry.io",
      "foo/project--id.module--name.ver---sion--name",
    ],
    ["example.com/some_separator__underscore/myimage", "example.com", "some_separator__underscore/myimage"],
    // Go quirk, mirrored: the first component is taken as a domain (it has a "."), but it is not a
    // valid host, only a valid path component, so Go's name regexp leaves the domain empty.
    ["foo_bar.com/app", "", "foo_bar.com/app"],
    ["my__registry.local/team/app:1", "", "my__registry.local/team/app", "1"],
  ]);
  expectInvalid([
    ["::1/foo", "invalid-format"],
    ["example.com:http/foo", "invalid-format"],
    ["example.com:/foo", "invalid-format"],
    ["foo_bar.com:8080/app", "invalid-format"],
    ["bad_hostname.com:8080/myapp:tag", "invalid-format"],
    ["-ab.com/foo", "invalid-format"],
    ["ab-.com/foo", "invalid-format"],
    ["ab.-com/foo", "invalid-format"],
    ["a..b/foo", "invalid-format"],
    ["[fd00:1:2::3]5000/foo", "invalid-format"],
    ["[fd00:1:2::3]::5000/foo", "invalid-format"],
    ["localhost:http/name", "invalid-format"],
    ["/foo", "invalid-format"],
    ["foo//bar", "invalid-format"],
    ["example.com/", "invalid-format"],
    ["example.com/__underscore/myimage", "invalid-format"],
    ["example.com/..dots/myimage", "invalid-format"],
    ["example.com/.dots/myimage", "invalid-format"],
    ["example.com/nodouble..dots/myimage", "invalid-format"],
    ["docker./docker", "invalid-format"],
    [".docker/docker", "invalid-format"],
    ["do..cker/docker", "invalid-format"],
    ["do__cker:8080/docker", "invalid-format"],
    ["docker_/docker_", "invalid-format"],
    ["foo/-bar", "invalid-format"],
    ["foo/bar-", "invalid-format"],
    ["foo/bar_", "invalid-format"],
    ["foo/bar___baz", "invalid-format"],
  ]);
});

describe("upper case", () => {
  expectValid([
    ["foo:UPPER", "docker.io", "library/foo", "UPPER"],
    ["Foo/bar:Tag", "Foo", "bar", "Tag"],
  ]);
  expectInvalid([
    ["UPPER", "name-contains-uppercase"],
    ["foo/Bar", "name-contains-uppercase"],
    ["Foo/Bar", "name-contains-uppercase"],
    ["foo.com/Bar:tag", "name-contains-uppercase"],
    ["docker.io/Foo", "name-contains-uppercase"],
    ["Foo/FarB", "name-contains-uppercase"],
    // Upper-case first component is a domain; lowered, `foo_bar` is a path, hence upper case.
    ["Foo_Bar/x", "name-contains-uppercase"],
    // Not an identifier (upper case), so an upper-case name.
    ["7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C", "name-contains-uppercase"],
    // Go lower-cases U+0130 to "i" (simple case mapping), which makes this valid once lowered.
    ["\u0130/x", "name-contains-uppercase"],
    ["é/x", "invalid-format"],
    ["fooé", "invalid-format"],
    ["FooÉ", "name-contains-uppercase"],
  ]);
});

describe("tags", () => {
  const tag128 = `a${"b".repeat(127)}`;
  expectValid([
    ["foo:_bar", "docker.io", "library/foo", "_bar"],
    ["foo:1.2.3-rc.1_x", "docker.io", "library/foo", "1.2.3-rc.1_x"],
    [`foo:${tag128}`, "docker.io", "library/foo", tag128],
    ["foo:0", "docker.io", "library/foo", "0"],
    ["foo:5000/bar", "foo:5000", "bar"],
  ]);
  expectInvalid([
    ["foo:", "invalid-format"],
    ["foo:-bar", "invalid-format"],
    ["foo:.bar", "invalid-format"],
    [`foo:${tag128}c`, "invalid-format"],
    ["foo:a~b", "invalid-format"],
    ["registry.com:8080/myapp:invalid~tag", "invalid-format"],
    ["foo:a:b", "invalid-format"],
    ["foo:bar/baz", "invalid-format"],
    ["foo:tag@", "invalid-format"],
    ["foo:täg", "invalid-format"],
  ]);
});

describe("digests", () => {
  const sha384 = `sha384:${"a".repeat(96)}`;
  expectValid([
    [`foo@${SHA_BE}`, "docker.io", "library/foo", undefined, SHA_BE],
    [`foo:1.0@${SHA_BE}`, "docker.io", "library/foo", "1.0", SHA_BE],
    [`foo@${sha384}`, "docker.io", "library/foo", undefined, sha384],
    [`foo@${SHA512_F}`, "docker.io", "library/foo", undefined, SHA512_F],
    [`ghcr.io/acme/app:v1@${SHA_BE}`, "ghcr.io", "acme/app", "v1", SHA_BE],
  ]);
  expectInvalid([
    [`foo@sha256:${"F".repeat(64)}`, "digest-invalid"],
    [`foo@sha256:${"a".repeat(63)}`, "digest-invalid"],
    [`foo@sha256:${"a".repeat(65)}`, "digest-invalid"],
    [`foo@sha512:${F64}`, "digest-invalid"],
    [`foo@md5:${"a".repeat(32)}`, "digest-invalid"],
    [`foo:1@SHA256:${F64}`, "digest-invalid"],
    // Go's lower-case check looks at everything before the first ":", digest algorithm included.
    [`foo@SHA256:${F64}`, "name-contains-uppercase"],
    [`foo@sha256+b64:${F64}`, "digest-invalid"],
    // Below the grammar's 32 hex digits, the whole reference fails to match.
    [`foo@sha256:${"a".repeat(31)}`, "invalid-format"],
    ["registry.com:8080/myapp@sha256:badbadbadbad", "invalid-format"],
    ["registry.com:8080/myapp@bad", "invalid-format"],
    ["registry.com:8080/myapp@2bad", "invalid-format"],
    [`foo@${SHA_BE}:tag`, "invalid-format"],
    [`foo@${SHA_BE}@${SHA_BE}`, "invalid-format"],
    ["foo@", "invalid-format"],
    [`foo@sha256:${"g".repeat(64)}`, "invalid-format"],
    // The length limit is checked before the digest (reference.go Parse order).
    [`${"a/".repeat(128)}a@sha256:${"a".repeat(40)}`, "name-too-long"],
  ]);
});

describe("identifiers and length", () => {
  const path255 = `${"abcde/".repeat(42)}abc`;
  expectValid([
    [`${HEX64}:latest`, "docker.io", `library/${HEX64}`, "latest"],
    [`${HEX64}0`, "docker.io", `library/${HEX64}0`],
    [`example.com/${path255}`, "example.com", path255],
    // Only the path counts towards the limit, not the registry (reference.go RepositoryNameTotalLengthMax).
    [`${"r".repeat(300)}.example.com/${path255}`, `${"r".repeat(300)}.example.com`, path255],
    // 245 + "library/" = 253 characters of path.
    ["x".repeat(245), "docker.io", `library/${"x".repeat(245)}`],
  ]);
  expectInvalid([
    [`example.com/${path255}d`, "name-too-long"],
    ["x".repeat(248), "name-too-long"],
    [`sha256:${HEX64}:x`, "invalid-format"],
  ]);
  test("NAME_TOTAL_LENGTH_MAX is docker's 255", () => {
    assert.equal(NAME_TOTAL_LENGTH_MAX, 255);
    assert.equal(path255.length, 255);
  });
});

describe("other malformed input", () => {
  expectInvalid([
    [" nginx", "invalid-format"],
    ["nginx ", "invalid-format"],
    // `$` must not match before a trailing newline (it does in some regexp dialects, not Go's).
    ["nginx\n", "invalid-format"],
    ["nginx:1\n", "invalid-format"],
    ["ngi\u0000nx", "invalid-format"],
    ["a^a", "invalid-format"],
    ["asdf$$^/aa", "invalid-format"],
    ["http://example.com/foo", "invalid-format"],
    ["example.com/foo bar", "invalid-format"],
    ["\ud800", "invalid-format"],
    ["🐳", "invalid-format"],
  ]);
  test("non-string input throws InvalidReferenceError", () => {
    for (const value of [42, null, undefined, {}, Symbol("x")]) {
      assert.throws(() => parseImageReference(value as unknown as string), InvalidReferenceError);
      assert.equal(tryParseImageReference(value as unknown as string), undefined);
    }
  });
  test("the error carries code, input and a message", () => {
    const err = (() => {
      try {
        parseImageReference("foo/Bar");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof InvalidReferenceError);
    assert.ok(err instanceof Error);
    assert.equal(err.name, "InvalidReferenceError");
    assert.equal(err.code, "name-contains-uppercase");
    assert.equal(err.input, "foo/Bar");
    assert.match(err.message, /must be lowercase/);
    assert.match(err.message, /"foo\/Bar"/);
  });
  test("very long input is clipped in the message but kept in `input`", () => {
    const input = `${"a".repeat(5000)}!`;
    assert.throws(
      () => parseImageReference(input),
      (e: unknown) => e instanceof InvalidReferenceError && e.input === input && e.message.length < 400,
    );
  });
});

describe("no catastrophic backtracking", () => {
  // A scanner feeds whole lines and files through the grammar; each of these takes well under
  // 10 ms at 100k characters with the current patterns, so 1 s total only catches a ReDoS.
  test("adversarial 100k-character inputs are rejected quickly", () => {
    const n = 50_000;
    const inputs = [
      `${"a".repeat(n)}!`,
      `${"a-".repeat(n)}!`,
      `${"a.".repeat(n)}!`,
      `${"a/".repeat(n)}A!`,
      `${"a.b/".repeat(n)}!`,
      `[${":".repeat(n)}!`,
      `${"ab-ab.".repeat(n / 3)}/x!`,
      `a@${"a-".repeat(n)}:ff`,
      `a@sha256:${"f".repeat(n)}!`,
      `${"a_".repeat(n)}_!`,
      `${"A".repeat(n)}/a!`,
      "a:".repeat(n),
    ];
    const start = performance.now();
    for (const input of inputs) assert.ok(tryParseImageReference(input) === undefined, label(input));
    assert.ok(performance.now() - start < 1000, `took ${performance.now() - start} ms`);
  });
  test("hosts have no length limit, as in docker", () => {
    // A 50k-character upper-case host is a valid domain to docker; only the path is capped.
    assert.equal(parseImageReference(`${"A".repeat(50_000)}/a`).repository, "a");
  });
});

describe("formatReference, familiarName, familiarString", () => {
  const cases: [input: string, canonical: string, familiarName: string, familiarString: string][] = [
    ["nginx", "docker.io/library/nginx", "nginx", "nginx"],
    ["nginx:1.27", "docker.io/library/nginx:1.27", "nginx", "nginx:1.27"],
    [`nginx:1.27@${SHA_BE}`, `docker.io/library/nginx:1.27@${SHA_BE}`, "nginx", `nginx:1.27@${SHA_BE}`],
    [`acme/app@${SHA_BE}`, `docker.io/acme/app@${SHA_BE}`, "acme/app", `acme/app@${SHA_BE}`],
    ["docker.io/library/foo/bar:x", "docker.io/library/foo/bar:x", "library/foo/bar", "library/foo/bar:x"],
    ["ghcr.io/acme/app:v1", "ghcr.io/acme/app:v1", "ghcr.io/acme/app", "ghcr.io/acme/app:v1"],
    ["[::1]:5000/foo", "[::1]:5000/foo", "[::1]:5000/foo", "[::1]:5000/foo"],
    ["foo_bar.com/app:1", "foo_bar.com/app:1", "foo_bar.com/app", "foo_bar.com/app:1"],
    ["index.docker.io/library/redis", "docker.io/library/redis", "redis", "redis"],
  ];
  for (const [input, canonical, name, short] of cases) {
    test(input, () => {
      const ref = parseImageReference(input);
      assert.equal(formatReference(ref), canonical);
      assert.equal(familiarName(ref), name);
      assert.equal(familiarString(ref), short);
      assert.deepStrictEqual(parseImageReference(formatReference(ref)), ref);
      assert.deepStrictEqual(parseImageReference(familiarString(ref)), ref);
    });
  }
  test("familiarName only strips library/ on docker.io", () => {
    assert.equal(familiarName({ registry: "ghcr.io", repository: "library/foo" }), "ghcr.io/library/foo");
    assert.equal(familiarName({ registry: "docker.io", repository: "librar/foo" }), "librar/foo");
  });
  test("an empty tag or digest is treated as absent, as in Go", () => {
    assert.equal(formatReference({ registry: "r.io", repository: "a", tag: "", digest: "" }), "r.io/a");
  });
});

describe("withTag and withDigest (reference.go WithTag / WithDigest)", () => {
  test("withTag replaces the tag and keeps the digest", () => {
    const ref = parseImageReference(`test.com:8000/foo:old@${SHA_BE}`);
    assert.equal(formatReference(withTag(ref, "TAG5")), `test.com:8000/foo:TAG5@${SHA_BE}`);
    assert.equal(formatReference(withTag(parseImageReference("foo"), "tag2")), "docker.io/library/foo:tag2");
  });
  test("withTag rejects invalid tags with tag-invalid", () => {
    const ref = parseImageReference("busybox");
    for (const tag of ["-foo", "", ".x", "a~b", `a${"b".repeat(128)}`, "a:b"]) {
      assert.throws(
        () => withTag(ref, tag),
        (e: unknown) => e instanceof InvalidReferenceError && e.code === "tag-invalid" && e.input === tag,
      );
    }
  });
  test("withDigest replaces the digest and keeps the tag", () => {
    const ref = parseImageReference("test.com:8000/foo:latest");
    assert.equal(formatReference(withDigest(ref, SHA_BE)), `test.com:8000/foo:latest@${SHA_BE}`);
    const bare = withDigest(parseImageReference("test.com/foo"), SHA_DB);
    assert.deepStrictEqual(bare, { registry: "test.com", repository: "foo", digest: SHA_DB });
  });
  test("withDigest rejects digests that would not parse (stricter than Go's WithDigest)", () => {
    const ref = parseImageReference("busybox");
    for (const digest of [
      "foo",
      "sha256:1234567890098765432112345667890098765",
      `sha256:${"A".repeat(64)}`,
      `md5:${"a".repeat(32)}`,
      "",
    ]) {
      assert.throws(
        () => withDigest(ref, digest),
        (e: unknown) => e instanceof InvalidReferenceError && e.code === "digest-invalid",
      );
    }
  });
  test("isValidTag / isValidDigest", () => {
    assert.ok(isValidTag("v1.2.3"));
    assert.ok(!isValidTag("v1 "));
    assert.ok(isValidDigest(SHA_BE));
    assert.ok(!isValidDigest(`${SHA_BE}0`));
    assert.ok(!isValidDigest(`x${SHA_BE}\n`));
  });
});

describe("exported grammar (regexp_test.go)", () => {
  const anchored = (source: string, flags = ""): RegExp => new RegExp(`^(?:${source})$`, flags);

  test("every pattern compiles with no flags, `u` and `v`, and has no capturing group", () => {
    const all = [
      DIGEST_PATTERN,
      DOMAIN_PATTERN,
      IDENTIFIER_PATTERN,
      NAME_PATTERN,
      PATH_COMPONENT_PATTERN,
      REFERENCE_PATTERN,
      REMOTE_NAME_PATTERN,
      TAG_PATTERN,
    ];
    for (const source of all) {
      for (const flags of ["", "u", "v"]) anchored(source, flags);
      assert.equal(new RegExp(`${source}|`).exec("")?.length, 1, source);
    }
  });

  const domainCases: [string, boolean][] = [
    ["test.com", true],
    ["test.com:10304", true],
    ["test.com:http", false],
    ["localhost", true],
    ["localhost:8080", true],
    ["a", true],
    ["a.b", true],
    ["ab.cd.com", true],
    ["a-b.com", true],
    ["-ab.com", false],
    ["ab-.com", false],
    ["ab.c-om", true],
    ["ab.-com", false],
    ["ab.com-", false],
    ["0101.com", true],
    ["001a.com", true],
    ["b.gbc.io:443", true],
    ["b.gbc.io", true],
    ["xn--n3h.com", true],
    ["Asdf.com", true],
    ["192.168.1.1:75050", true],
    ["192.168.1.1:750050", true],
    ["[fd00:1:2::3]:75050", true],
    ["[fd00:1:2::3]75050", false],
    ["[fd00:1:2::3]::75050", false],
    ["[fd00:1:2::3%eth0]:75050", false],
    ["[fd00123123123]:75050", true],
    ["[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050", true],
    ["[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505", true],
    ["fd00:1:2::3:75050", false],
  ];
  for (const [input, match] of domainCases) {
    test(`DOMAIN_PATTERN ${input} ${match ? "matches" : "does not match"}`, () => {
      assert.equal(anchored(DOMAIN_PATTERN).test(input), match);
      assert.equal(anchored(DOMAIN_PATTERN, "v").test(input), match);
    });
  }

  // regexp.go anchoredNameRegexp, rebuilt from the exported parts: [domain, path] or no match.
  const nameRegexp = new RegExp(`^(?:(${DOMAIN_PATTERN})/)?(${REMOTE_NAME_PATTERN})$`);
  const nameCases: [string, [string, string] | null][] = [
    ["", null],
    ["short", ["", "short"]],
    ["simple/name", ["simple", "name"]],
    ["library/ubuntu", ["library", "ubuntu"]],
    ["docker/stevvooe/app", ["docker", "stevvooe/app"]],
    ["aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb", ["aa", "aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb"]],
    ["aa/aa/bb/bb/bb", ["aa", "aa/bb/bb/bb"]],
    ["a/a/a/a", ["a", "a/a/a"]],
    ["a/a/a/a/", null],
    ["a//a/a", null],
    ["a", ["", "a"]],
    ["a/aa", ["a", "aa"]],
    ["a/aa/a", ["a", "aa/a"]],
    ["foo.com", ["", "foo.com"]],
    ["foo.com/", null],
    ["foo.com:8080/bar", ["foo.com:8080", "bar"]],
    ["foo.com:http/bar", null],
    ["foo.com/bar", ["foo.com", "bar"]],
    ["foo.com/bar/baz", ["foo.com", "bar/baz"]],
    ["localhost:8080/bar", ["localhost:8080", "bar"]],
    ["sub-dom1.foo.com/bar/baz/quux", ["sub-dom1.foo.com", "bar/baz/quux"]],
    ["blog.foo.com/bar/baz", ["blog.foo.com", "bar/baz"]],
    ["a^a", null],
    ["aa/asdf$$^/aa", null],
    ["asdf$$^/aa", null],
    ["aa-a/a", ["aa-a", "a"]],
    [`${"a/".repeat(128)}a`, ["a", `${"a/".repeat(127)}a`]],
    ["a-/a/a/a", null],
    ["foo.com/a-/a/a", null],
    ["-foo/bar", null],
    ["foo/bar-", null],
    ["foo-/bar", null],
    ["foo/-bar", null],
    ["_foo/bar", null],
    ["foo_bar", ["", "foo_bar"]],
    ["foo_bar.com", ["", "foo_bar.com"]],
    ["foo_bar.com:8080", null],
    ["foo_bar.com:8080/app", null],
    ["foo.com/foo_bar", ["foo.com", "foo_bar"]],
    ["____/____", null],
    ["_docker/_docker", null],
    ["docker_/docker_", null],
    ["b.gcr.io/test.example.com/my-app", ["b.gcr.io", "test.example.com/my-app"]],
    ["xn--n3h.com/myimage", ["xn--n3h.com", "myimage"]],
    ["xn--7o8h.com/myimage", ["xn--7o8h.com", "myimage"]],
    ["example.com/xn--7o8h.com/myimage", ["example.com", "xn--7o8h.com/myimage"]],
    ["example.com/some_separator__underscore/myimage", ["example.com", "some_separator__underscore/myimage"]],
    ["example.com/__underscore/myimage", null],
    ["example.com/..dots/myimage", null],
    ["example.com/.dots/myimage", null],
    ["example.com/nodouble..dots/myimage", null],
    ["docker./docker", null],
    [".docker/docker", null],
    ["docker-/docker", null],
    ["-docker/docker", null],
    ["do..cker/docker", null],
    ["do__cker:8080/docker", null],
    ["do__cker/docker", ["", "do__cker/docker"]],
    [
      "registry.io/foo/project--id.module--name.ver---sion--name",
      ["registry.io", "foo/project--id.module--name.ver---sion--name"],
    ],
    ["Asdf.com/foo/bar", ["Asdf.com", "foo/bar"]],
    ["Foo/FarB", null],
  ];
  for (const [input, subs] of nameCases) {
    test(`name ${label(input)}`, () => {
      const m = nameRegexp.exec(input);
      assert.deepStrictEqual(m === null ? null : [m[1] ?? "", m[2]], subs);
      assert.equal(anchored(NAME_PATTERN).test(input), subs !== null);
    });
  }

  // regexp.go referenceRegexp, rebuilt from the exported parts: [name, tag, digest] or no match.
  const referenceRegexp = new RegExp(`^(${NAME_PATTERN})(?::(${TAG_PATTERN}))?(?:@(${DIGEST_PATTERN}))?$`);
  const referenceCases: [string, [string, string, string] | null][] = [
    ["registry.com:8080/myapp:tag", ["registry.com:8080/myapp", "tag", ""]],
    [`registry.com:8080/myapp@${SHA_BE}`, ["registry.com:8080/myapp", "", SHA_BE]],
    [`registry.com:8080/myapp:tag2@${SHA_BE}`, ["registry.com:8080/myapp", "tag2", SHA_BE]],
    ["registry.com:8080/myapp@sha256:badbadbadbad", null],
    ["registry.com:8080/myapp:invalid~tag", null],
    ["bad_hostname.com:8080/myapp:tag", null],
    [`localhost:8080@${SHA_BE}`, ["localhost", "8080", SHA_BE]],
    [`localhost:8080/name@${SHA_BE}`, ["localhost:8080/name", "", SHA_BE]],
    [`localhost:http/name@${SHA_BE}`, null],
    [`localhost@${SHA_BE}`, ["localhost", "", SHA_BE]],
    ["registry.com:8080/myapp@bad", null],
    ["registry.com:8080/myapp@2bad", null],
  ];
  for (const [input, subs] of referenceCases) {
    test(`reference ${label(input)}`, () => {
      const m = referenceRegexp.exec(input);
      assert.deepStrictEqual(m === null ? null : [m[1], m[2] ?? "", m[3] ?? ""], subs);
      assert.equal(anchored(REFERENCE_PATTERN).test(input), subs !== null);
    });
  }

  const identifierCases: [string, boolean][] = [
    ["da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821", true],
    ["7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C", false],
    ["da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf", false],
    ["sha256:da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821", false],
    ["da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482", false],
  ];
  for (const [input, match] of identifierCases) {
    test(`IDENTIFIER_PATTERN ${input.slice(0, 20)}… ${match}`, () => {
      assert.equal(anchored(IDENTIFIER_PATTERN).test(input), match);
    });
  }

  test("PATH_COMPONENT_PATTERN and TAG_PATTERN", () => {
    for (const ok of ["a", "a.b", "a_b", "a__b", "a---b", "a1-2.3_4"])
      assert.ok(anchored(PATH_COMPONENT_PATTERN).test(ok), ok);
    for (const bad of ["", "A", "a..b", "a___b", "a_.b", "-a", "a-", "a/b"])
      assert.ok(!anchored(PATH_COMPONENT_PATTERN).test(bad), bad);
    for (const ok of ["w", "_", "0.1-x_Y", "a".repeat(128)]) assert.ok(anchored(TAG_PATTERN).test(ok), ok);
    for (const bad of ["", ".a", "-a", "a".repeat(129), "a+b"]) assert.ok(!anchored(TAG_PATTERN).test(bad), bad);
  });

  test("a scanner can find references inside text with the exported patterns", () => {
    const finder = new RegExp(`image:\\s*(${REFERENCE_PATTERN})`, "g");
    const yaml = `image: ghcr.io/acme/app:1.2.3\n  image: nginx@${SHA_BE}\n`;
    const found = [...yaml.matchAll(finder)].map((m) => m[1]);
    assert.deepStrictEqual(found, ["ghcr.io/acme/app:1.2.3", `nginx@${SHA_BE}`]);
  });
});
