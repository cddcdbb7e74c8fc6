/**
 * Notifications of `laminar serve` (the original's "post sync" actions): after each push, and when a
 * repository starts or stops failing, a message to a Slack incoming webhook and/or a JSON POST to a
 * generic webhook signed like GitHub's (`X-Laminar-Signature-256: sha256=<HMAC-SHA256 of the raw
 * body>`). The payload shape is documented in docs/serve.md, "Notifications".
 *
 * Delivery never blocks or fails a run: it is sent in the background, each attempt is cut after a
 * timeout, 5xx / 429 / network errors are retried a couple of times with backoff, and a delivery
 * that still fails is logged (the URL is a credential: it is named by its variable, never printed)
 * and counted in `laminar_notifications_total{kind,result}`.
 *
 * Not the registry client (src/registry/http.ts): that one words its errors as registry failures
 * and names request paths, and a Slack webhook's path *is* its secret.
 */
import { createHmac, randomUUID } from "node:crypto";
import { ConfigError } from "../config/errors.js";
import type { EnvReference, NotifyTargetConfig, ServerConfig } from "../config/server.js";
import { describeNetworkError } from "../registry/http.js";

/** One moved tag, as the run records it. */
export interface NotifiedChange {
  readonly file: string;
  readonly line: number;
  readonly image: string;
  readonly from: string;
  readonly to: string;
}

/** What a notification reports. */
export type NotifyEvent =
  | {
      readonly event: "pushed";
      readonly repository: string;
      readonly branch: string;
      readonly commit: string;
      readonly changes: readonly NotifiedChange[];
    }
  | {
      readonly event: "failing";
      readonly repository: string;
      readonly branch: string;
      /** Already masked by the engine. */
      readonly error: string;
    }
  | {
      readonly event: "recovered";
      readonly repository: string;
      readonly branch: string;
      /** Failed runs in a row before this one went through. */
      readonly failedRuns: number;
    };

/** A `notify` entry with its URL and secret read from the environment. */
export interface NotifyTarget {
  readonly kind: "slack" | "webhook";
  readonly url: string;
  readonly secret?: string;
  /** How logs name it: `webhook (HOOK_URL)` — the variable, never the URL. */
  readonly label: string;
}

/** The targets of every repository: the top-level ones plus each repository's own. */
export interface NotifyTargets {
  readonly global: readonly NotifyTarget[];
  readonly byRepository: ReadonlyMap<string, readonly NotifyTarget[]>;
}

/** Every target once (what the front end registers with the secret masker). */
export function allTargets(t: NotifyTargets): NotifyTarget[] {
  return [...t.global, ...[...t.byRepository.values()].flat()];
}

/**
 * Reads the URL and secret of every `notify` entry from `env`. A variable that is not set, or a URL
 * that is not `https://` (plain `http://` only to this machine: the URL and the payload would cross
 * the network readable), is a ConfigError naming the file, line, key and variable — never the value.
 */
export function resolveNotifyTargets(server: ServerConfig, env: NodeJS.ProcessEnv): NotifyTargets {
  const read = (ref: EnvReference, what: string): string => {
    const value = env[ref.variable];
    if (!value)
      throw new ConfigError(
        server.file,
        ref.line,
        ref.column,
        ref.key,
        `the variable ${ref.variable} is not set (it must hold ${what})`,
      );
    return value;
  };
  const resolve = (c: NotifyTargetConfig): NotifyTarget => {
    const url = read(c.url, c.kind === "slack" ? "the Slack incoming-webhook URL" : "the webhook URL");
    if (!allowedUrl(url))
      throw new ConfigError(
        server.file,
        c.url.line,
        c.url.column,
        c.url.key,
        `the variable ${c.url.variable} does not hold an https:// URL (plain http:// is accepted only to 127.0.0.1 / localhost)`,
      );
    return {
      kind: c.kind,
      url,
      ...(c.secret ? { secret: read(c.secret, "the HMAC secret the webhook is signed with") } : {}),
      label: `${c.kind} (${c.url.variable})`,
    };
  };
  return {
    global: server.notify.map(resolve),
    byRepository: new Map(server.repositories.map((r) => [r.name, r.notify.map(resolve)])),
  };
}

function allowedUrl(text: string): boolean {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return false;
  }
  if (u.protocol === "https:") return true;
  return u.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
}

/** The generic webhook's JSON body: the event with a timestamp (docs/serve.md, "Notifications"). */
export function webhookPayload(e: NotifyEvent, at: Date): Record<string, unknown> {
  return { ...e, at: at.toISOString() };
}

/** Slack mrkdwn's three control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Changes listed in one Slack message; the rest is counted (the webhook payload has them all). */
const SLACK_MAX_CHANGES = 20;
/** An error longer than this is cut in Slack (it stays whole in the webhook payload and the API). */
const SLACK_MAX_ERROR = 500;

/** The Slack message: `{text}` in mrkdwn, every piece from files, tags and errors escaped. */
export function slackPayload(e: NotifyEvent): { text: string } {
  const repo = `*${slackEscape(e.repository)}*`;
  const branch = slackEscape(e.branch);
  if (e.event === "pushed") {
    const lines = e.changes
      .slice(0, SLACK_MAX_CHANGES)
      .map((c) => `• ${slackEscape(`${c.file}:${c.line} ${c.image} ${c.from} → ${c.to}`)}`);
    if (e.changes.length > SLACK_MAX_CHANGES) lines.push(`… and ${e.changes.length - SLACK_MAX_CHANGES} more`);
    const n = e.changes.length;
    return {
      text: [
        `${repo}: pushed \`${e.commit.slice(0, 12)}\` to ${branch} (${n} image tag${n === 1 ? "" : "s"})`,
        ...lines,
      ].join("\n"),
    };
  }
  if (e.event === "failing") {
    const error = e.error.length > SLACK_MAX_ERROR ? `${e.error.slice(0, SLACK_MAX_ERROR)}…` : e.error;
    return { text: `:x: ${repo} (${branch}) is failing: ${slackEscape(error)}` };
  }
  return {
    text: `:white_check_mark: ${repo} (${branch}) recovered after ${e.failedRuns} failed run${e.failedRuns === 1 ? "" : "s"}`,
  };
}

/** `sha256=<hex>`: HMAC-SHA256 of the raw body, the scheme of GitHub's `X-Hub-Signature-256`. */
export function signatureOf(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** How deliveries are made; the defaults suit production, tests shorten them. */
export interface NotifierOptions {
  readonly targets: NotifyTargets;
  /** Every message goes through here; the front end masks secrets. */
  readonly log: (message: string) => void;
  /** Told the outcome of each delivery (after its retries): the metric. */
  readonly onResult?: (kind: NotifyTarget["kind"], result: "sent" | "failed") => void;
  /** Per attempt (default 10 s). */
  readonly timeoutMs?: number;
  /** Attempts per delivery, the first included (default 3). */
  readonly maxAttempts?: number;
  /** Wait before the second attempt, doubled for each next one (default 1 s). */
  readonly retryDelayMs?: number;
  readonly userAgent?: string;
}

/** Statuses worth another attempt: the receiver's trouble, not a refusal of this request. */
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

/** Sends notifications in the background; see the module comment. */
export class Notifier {
  private readonly inFlight = new Set<Promise<void>>();
  /** Fired by `close()`: cuts the attempts and waits still under way. */
  private readonly closing = new AbortController();

  constructor(private readonly o: NotifierOptions) {}

  /** Queues `e` to every target of its repository and returns at once. */
  send(e: NotifyEvent): void {
    if (this.closing.signal.aborted) return;
    const at = new Date();
    for (const t of this.targetsOf(e.repository)) {
      const p = this.deliver(t, e, at).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  /** Waits up to `waitMs` for deliveries under way, then abandons the rest (logged). */
  async close(waitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const all = Promise.all([...this.inFlight]).then(() => true);
    const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), waitMs)));
    const done = await Promise.race([all, late]);
    clearTimeout(timer);
    this.closing.abort();
    if (!done) {
      this.o.log(`laminar: stopping with ${this.inFlight.size} notification(s) undelivered`);
      await Promise.all([...this.inFlight]);
    }
  }

  private targetsOf(repository: string): NotifyTarget[] {
    const own = this.o.targets.byRepository.get(repository) ?? [];
    // The same URL named at the top and in the repository gets one message, not two.
    const seen = new Set<string>();
    return [...this.o.targets.global, ...own].filter((t) => !seen.has(t.url) && seen.add(t.url));
  }

  private async deliver(t: NotifyTarget, e: NotifyEvent, at: Date): Promise<void> {
    const body = JSON.stringify(t.kind === "slack" ? slackPayload(e) : webhookPayload(e, at));
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": this.o.userAgent ?? "laminar",
    };
    if (t.kind === "webhook") {
      // One id for every attempt of a delivery: a receiver that got it twice can tell.
      headers["x-laminar-event"] = e.event;
      headers["x-laminar-delivery"] = randomUUID();
      if (t.secret) headers["x-laminar-signature-256"] = signatureOf(body, t.secret);
    }
    const timeoutMs = this.o.timeoutMs ?? 10_000;
    const maxAttempts = this.o.maxAttempts ?? 3;
    const what = `notification "${e.event}" of ${e.repository} to ${t.label}`;
    let why = "";
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let retry: boolean;
      try {
        const res = await fetch(t.url, {
          method: "POST",
          headers,
          body,
          // A redirect of a POST to a webhook is a setup mistake, and following it would send the
          // payload (and the signature) somewhere nobody configured.
          redirect: "manual",
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.closing.signal]),
        });
        await res.body?.cancel().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) {
          this.o.onResult?.(t.kind, "sent");
          return;
        }
        why = `answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
        retry = RETRY_STATUSES.has(res.status);
      } catch (err) {
        why = this.closing.signal.aborted ? "abandoned: serve is stopping" : describeNetworkError(err, timeoutMs);
        retry = !this.closing.signal.aborted;
      }
      if (!retry || attempt === maxAttempts) break;
      const delay = (this.o.retryDelayMs ?? 1000) * 2 ** (attempt - 1);
      this.o.log(`laminar: ${what}: ${why}; attempt ${attempt + 1} of ${maxAttempts} in ${delay} ms`);
      if (!(await this.wait(delay))) {
        why = "abandoned: serve is stopping";
        break;
      }
    }
    this.o.onResult?.(t.kind, "failed");
    this.o.log(`laminar: ${what} failed: ${why}`);
  }

  /** Sleeps `ms`; false when `close()` cut the wait. */
  private wait(ms: number): Promise<boolean> {
    const signal = this.closing.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve(true);
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
