/** Users a Basic credential is commonly paired with when Laminar sends a token as a password. */
const TOKEN_USERS = ["x-access-token", "oauth2accesstoken", "AWS"];

/**
 * Every form in which a secret can show up in output: raw, base64 (with and without padding),
 * base64url, URL- and JSON-escaped, and the base64 of `user:secret` (a Basic Authorization header)
 * for the given users and the usual token users. One list for every place that masks secrets.
 */
export function secretForms(secret: string, users: readonly (string | undefined)[] = []): string[] {
  const forms = [
    secret,
    Buffer.from(secret).toString("base64"),
    Buffer.from(secret).toString("base64").replace(/=+$/, ""),
    Buffer.from(secret).toString("base64url"),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ];
  for (const u of new Set([...users, ...TOKEN_USERS].filter((x): x is string => !!x))) {
    const pair = Buffer.from(`${u}:${secret}`);
    forms.push(pair.toString("base64"), pair.toString("base64").replace(/=+$/, ""), pair.toString("base64url"));
  }
  return [...new Set(forms)];
}
