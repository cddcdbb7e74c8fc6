// Registry requests through an outbound proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY), as on a
// self-hosted runner behind a corporate proxy: a real proxy on 127.0.0.1 (absolute-form requests
// and CONNECT tunnels) in front of the real registry.
import assert from "node:assert/strict";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { connect, type AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { HttpClient } from "../src/registry/http.js";
import { bypassesProxy, proxyFor } from "../src/registry/proxy.js";
import { laminarAsync, writeRepo } from "./helpers/cli.js";
import { startRegistry, tokenKeys, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

const USER = "proxyuser";
const PASS = "pr0xy-s3cret-pass";

interface Proxy {
  readonly url: string;
  readonly seen: string[];
  readonly server: Server;
}

/** A forwarding proxy that wants Basic auth: absolute-form GETs are relayed, CONNECT is tunneled. */
async function startProxy(): Promise<Proxy> {
  const seen: string[] = [];
  const want = `Basic ${Buffer.from(`${USER}:${PASS}`).toString("base64")}`;
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.headers["proxy-authorization"] !== want) {
      res.writeHead(407, { "proxy-authenticate": 'Basic realm="test"' }).end();
      return;
    }
    const target = new URL(req.url ?? "/");
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    const up = httpRequest(target, { method: req.method, headers }, (answer: IncomingMessage) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on("error", () => res.writeHead(502).end());
    req.pipe(up);
  });
  server.on("connect", (req: IncomingMessage, socket, head) => {
    seen.push(`CONNECT ${req.url}`);
    if (req.headers["proxy-authorization"] !== want) {
      socket.end("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
      return;
    }
    const [host, port] = (req.url ?? "").split(":");
    const up = connect(Number(port), host, () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

const clean = {
  http_proxy: "",
  https_proxy: "",
  HTTP_PROXY: "",
  HTTPS_PROXY: "",
  all_proxy: "",
  no_proxy: "",
  ALL_PROXY: "",
  NO_PROXY: "",
};

describe("registry requests through a proxy", () => {
  let registry: RunningRegistry;
  let proxy: Proxy;
  before(async () => {
    [registry, proxy] = await Promise.all([startRegistry(), startProxy()]);
    await seedImages(registry, [
      { repository: "acme/app", tag: "1.0.0", created: new Date(Date.UTC(2026, 10, 1)) },
      { repository: "acme/app", tag: "1.2.0", created: new Date(Date.UTC(2026, 10, 2)) },
    ]);
  });
  after(async () => {
    proxy?.server.closeAllConnections();
    proxy?.server.close();
    await registry?.stop();
  });

  test("laminar plan reaches an http registry only through HTTP_PROXY, with the proxy's credentials", async () => {
    const dir = await writeRepo({
      ".laminar.yaml": `updates:\n  - pattern: "semver:^1"\n    files: [.]\n`,
      "app.yaml": `image: ${registry.host}/acme/app:1.0.0\n`,
    });
    const cache = await mkdtemp(join(tmpdir(), "laminar-proxy-cache-"));
    const proxied = `http://${USER}:${PASS}@${proxy.url.slice("http://".length)}`;
    proxy.seen.length = 0;
    const r = await laminarAsync(["plan", "--dir", dir, "--json"], {
      ...clean,
      HTTP_PROXY: proxied,
      XDG_CACHE_HOME: cache,
    });
    assert.equal(r.status, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as { changes: Array<{ to: string }> };
    assert.deepEqual(
      plan.changes.map((c) => c.to),
      ["1.2.0"],
    );
    assert.ok(
      proxy.seen.some((l) => l === `GET http://${registry.host}/v2/acme/app/tags/list?n=1000`) ||
        proxy.seen.some((l) => l.startsWith(`GET http://${registry.host}/v2/acme/app/tags/list`)),
      proxy.seen.join("\n"),
    );
    assert.ok(!`${r.stdout}${r.stderr}`.includes(PASS));

    // NO_PROXY names the registry: nothing goes through the proxy.
    proxy.seen.length = 0;
    const direct = await laminarAsync(["plan", "--dir", dir, "--json"], {
      ...clean,
      HTTP_PROXY: proxied,
      NO_PROXY: `localhost,${registry.host.split(":")[0]}`,
      XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-proxy-cache-")),
    });
    assert.equal(direct.status, 0, direct.stderr);
    assert.deepEqual(proxy.seen, []);
  });

  test("a proxy refusing the credentials is named with its status, never with the password", async () => {
    const http = new HttpClient({
      retry: { maxAttempts: 1 },
      env: { ...clean, HTTPS_PROXY: `http://${USER}:wrong-${PASS}@${proxy.url.slice(7)}` },
    });
    await assert.rejects(
      http.request({ registry: "127.0.0.1:1", kind: "ping", method: "GET", url: "https://127.0.0.1:1/v2/" }),
      (e: Error) => {
        assert.match(e.message, new RegExp(`proxy 127\\.0\\.0\\.1:\\d+ answered 407 to CONNECT 127\\.0\\.0\\.1:1`));
        assert.ok(!e.message.includes(PASS), e.message);
        return true;
      },
    );
  });

  test("an https registry is reached through a CONNECT tunnel, TLS end to end with the registry", async () => {
    const keys = await tokenKeys();
    const tlsServer = createHttpsServer(
      { key: keys.key.export({ type: "pkcs8", format: "pem" }), cert: keys.certPem },
      (_q, r) => r.end("{}"),
    );
    await new Promise<void>((r) => tlsServer.listen(0, "127.0.0.1", r));
    try {
      const { port } = tlsServer.address() as AddressInfo;
      proxy.seen.length = 0;
      const http = new HttpClient({
        retry: { maxAttempts: 1 },
        env: { ...clean, HTTPS_PROXY: `http://${USER}:${PASS}@${proxy.url.slice(7)}` },
      });
      // The registry's own self-signed certificate is checked through the tunnel: the proxy
      // cannot read or alter the exchange.
      await assert.rejects(
        http.request({
          registry: `127.0.0.1:${port}`,
          kind: "ping",
          method: "GET",
          url: `https://127.0.0.1:${port}/v2/`,
        }),
        /self-signed certificate/,
      );
      assert.deepEqual(proxy.seen, [`CONNECT 127.0.0.1:${port}`]);
    } finally {
      tlsServer.closeAllConnections();
      tlsServer.close();
    }
  });

  test("which variable applies: lower case first, NO_PROXY by host, parent domain, port and *", () => {
    const env = { https_proxy: "proxy.corp:3128", HTTPS_PROXY: "http://other:1", NO_PROXY: "" };
    assert.equal(proxyFor(new URL("https://r.example/v2/"), env)?.href, "http://proxy.corp:3128/");
    assert.equal(proxyFor(new URL("http://r.example/v2/"), env), undefined);
    assert.throws(
      () => proxyFor(new URL("https://r.example/"), { HTTPS_PROXY: "socks5://p:1080" }),
      /HTTPS_PROXY: proxy scheme socks5 is not supported/,
    );
    const u = (s: string): URL => new URL(s);
    assert.ok(bypassesProxy(u("https://r.corp.example/"), "corp.example"));
    assert.ok(bypassesProxy(u("https://r.corp.example/"), ".corp.example"));
    assert.ok(bypassesProxy(u("https://corp.example/"), "*.corp.example"));
    assert.ok(!bypassesProxy(u("https://notcorp.example/"), "corp.example"));
    assert.ok(bypassesProxy(u("https://r.example:5000/"), "r.example:5000"));
    assert.ok(!bypassesProxy(u("https://r.example/"), "r.example:5000"));
    assert.ok(bypassesProxy(u("http://[::1]:5000/"), "::1"));
    assert.ok(bypassesProxy(u("https://anything/"), "*"));
  });
});
