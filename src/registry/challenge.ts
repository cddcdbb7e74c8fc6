/**
 * Parses `WWW-Authenticate` (RFC 7235 §4.1): one or more challenges, each a scheme followed by
 * comma-separated `name=value` parameters whose values may be quoted strings containing commas,
 * spaces and backslash escapes. fetch joins repeated headers with ", ", so a header value can hold
 * several challenges (`Basic realm="a", Bearer realm="b",service="c"`), which is why this is a
 * small tokenizer rather than a split on commas.
 */

export interface Challenge {
  /** Lower-cased: `basic`, `bearer`, … */
  readonly scheme: string;
  /** Parameter names lower-cased (`realm`, `service`, `scope`, `error`). */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = () => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN_CHAR.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  // RFC 7235 wants a token here, but servers send unquoted URLs (`realm=https://…`): read to the
  // next comma or space instead.
  const readBare = (): string => {
    const start = i;
    while (i < n && header[i] !== "," && header[i] !== " " && header[i] !== "\t") i++;
    return header.slice(start, i);
  };
  const readQuoted = (): string => {
    // header[i] === '"'
    i++;
    let v = "";
    while (i < n && header[i] !== '"') {
      if (header[i] === "\\" && i + 1 < n) i++;
      v += header[i];
      i++;
    }
    i++; // closing quote
    return v;
  };

  while (i < n) {
    skipWs();
    while (i < n && (header[i] === "," || header[i] === " ")) i++;
    if (i >= n) break;
    const scheme = readToken();
    if (!scheme) {
      i++; // unexpected character: skip it rather than loop for ever
      continue;
    }
    const params: Record<string, string> = {};
    out.push({ scheme: scheme.toLowerCase(), params });
    // parameters until the next challenge (a token not followed by "=")
    for (;;) {
      skipWs();
      const save = i;
      const name = readToken();
      skipWs();
      if (!name || header[i] !== "=") {
        // the start of the next challenge: give its scheme back to the outer loop
        i = save;
        break;
      }
      i++; // '='
      skipWs();
      const value = header[i] === '"' ? readQuoted() : readBare();
      params[name.toLowerCase()] = value;
      skipWs();
      if (header[i] === ",") {
        i++;
        continue;
      }
      break;
    }
  }
  return out;
}

/** The challenge to answer: Bearer when offered (it scopes access per repository), else Basic. */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === "bearer") ?? challenges.find((c) => c.scheme === "basic");
}
