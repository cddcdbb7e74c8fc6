/**
 * The `laminar serve` engine: every repository of the server file on its own schedule, through the
 * same pipeline and race-safe push as the Action, with ONE registry client for all of them.
 *
 * - Each repository runs every `pollFreq` seconds (±10 % jitter, so many repositories do not hit
 *   the registries and git servers in step); never two runs of one repository at once (a request
 *   during a run queues exactly one more); at most `maxParallel` runs at a time.
 * - A failing repository (clone, auth, rules, command, push) is reported in its status and retried
 *   with exponential backoff; the others go on.
 * - Cycle window: the shared client answers every repository from one tag list per image
 *   repository until the window ends (half the shortest `pollFreq`), or until an API sync or a
 *   registry webhook asks for fresh tags. With 10 clusters' repositories referencing one image,
 *   the registry is asked once, not 10 times.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { realpath, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { loadConfig } from "../config/load.js";
import type { ServerConfig, ServerRepository } from "../config/server.js";
import type { LaminarConfig } from "../config/types.js";
import { CLI_AUTHOR, resolveCommitSettings } from "../delivery/commit-settings.js";
import { pushMode } from "../delivery/push.js";
import type { PushModeResult } from "../delivery/types.js";
import { createGitCommandManager } from "../git/git-command-manager.js";
import { updatePass } from "../pipeline.js";
import type { Plan } from "../plan/types.js";
import { createTagSource, type TagSourceHandle } from "../registry/from-config.js";
import { addCounts, emptyCounts } from "../registry/http.js";
import type { RequestCounts } from "../registry/types.js";
import { syncCheckoutInPlace } from "./checkout-in-place.js";
import { STOP_GRACE_MS } from "./stop-grace.js";
import { AppIdentities } from "./github-app.js";
import { clonePath, syncWorkingClone } from "./working-clone.js";
import { readRepositoryConfig } from "./repository-config.js";
import { nextRunDelayMs } from "./schedule.js";
import { explainSshFailure } from "./ssh-access.js";
import { ServeMetrics } from "./metrics.js";
import { Notifier, type NotifierOptions, type NotifyEvent } from "./notify.js";
import type { ReferenceStatus, RepositoryStatus, RunRecord, RunTrigger } from "./types.js";

/** What the engine needs; the front end builds it from flags and the environment. */
export interface ServeEngineOptions {
  readonly server: ServerConfig;
  readonly stateDir: string;
  /** Environment of the registry client (credential variables) and of the commands. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs at a time across repositories (default: the server file's `global.maxParallel`, else 4). */
  readonly maxParallel?: number;
  /** Milliseconds a webhook waits for more pushes before it starts the runs (default 2000). */
  readonly debounceMs?: number;
  /** Every message goes through here; the front end masks secrets. */
  readonly log: (message: string) => void;
  /** Masks secrets in what the status API keeps (error texts, URLs). */
  readonly mask: (text: string) => string;
  /**
   * Milliseconds `stop()` lets the runs in progress finish before it abandons them (default
   * {@link STOP_GRACE_MS}, src/serve/stop-grace.ts, shared by serve and watch),
   * and then waits for them to restore their work trees (default 2000): serve exits within 10 s.
   */
  readonly stopGraceMs?: number;
  readonly abandonWaitMs?: number;
  /** Where notifications go (src/serve/notify.ts), already read from the environment; none by default. */
  readonly notify?: Omit<NotifierOptions, "log" | "onResult">;
  /** The registry cache file (default `<stateDir>/registry-cache.json`). */
  readonly cachePath?: string;
  /**
   * `laminar watch`: the (one) repository is this existing checkout, used in place. See
   * {@link CheckoutInPlace}.
   */
  readonly checkout?: CheckoutInPlace;
  /** How a failed run is worded in the log (default: the error's message); e.g. with a command's output. */
  readonly describeError?: (e: unknown) => string;
  /** Called after every run of a repository (the front end's result lines). */
  readonly onRun?: (name: string, run: RunRecord) => void;
  /**
   * Told every secret obtained while serving (a GitHub App's private key and each installation token
   * minted), before it is used: the front end adds it to the masker behind `log` and `mask`.
   */
  readonly onSecret?: (value: string, user?: string) => void;
  /** Sent to GitHub's API (`laminar/<version>`). */
  readonly userAgent?: string;
}

/**
 * An existing checkout the engine runs in place instead of a clone of its own (`laminar watch`):
 * never cloned, reset over local work or cleaned (src/serve/checkout-in-place.ts). Unlike serve's
 * `remoteConfig`, its config file is the user's own: rules, registries, commit settings and
 * commands all come from it, read again on every run.
 */
export interface CheckoutInPlace {
  readonly dir: string;
  /** Relative to `dir`; default `.laminar.yaml`. */
  readonly configPath?: string;
  /** Commit and push to the checked-out branch on its remote; otherwise only the files are rewritten. */
  readonly push: boolean;
  /** `--remote`: the git remote; default the branch's upstream, `origin`, or the only one (src/git/remote.ts). */
  readonly remote?: string;
  /** Called with every config read, before it is used (to mask the secrets it names). */
  readonly onConfig?: (config: LaminarConfig) => void;
}

/** How long `stop()` lets notifications still under way finish (they never hold a run). */
const NOTIFY_CLOSE_WAIT_MS = 500;

/** Runs kept per repository for the page at `/` (a bounded ring: serve runs for months). */
export const RECENT_RUNS = 10;
/** Variables that authorise calls to this server: a configured command has no business with them. */
const SERVER_SECRETS = ["LAMINAR_API_TOKEN", "LAMINAR_WEBHOOK_SECRET"];

interface RepoState {
  readonly repo: ServerRepository;
  cloned: boolean;
  /** Its first run ended (cloned or failed) or was skipped while paused: readiness no longer waits for it. */
  attempted: boolean;
  running: boolean;
  /** A run was asked for while one was running: run again right after. */
  again: RunTrigger | undefined;
  waiting: RunTrigger | undefined;
  failures: number;
  timer: NodeJS.Timeout | undefined;
  nextRunAt: number | undefined;
  lastRun: RunRecord | undefined;
  /** The last RECENT_RUNS runs, newest first. */
  recentRuns: RunRecord[];
  references: ReferenceStatus[];
  warnings: string[];
  /** Scheduled or webhook runs skipped while paused; a resume runs the repository if any. */
  skipped: number;
  missed: boolean;
}

/** See the module comment. */
export class ServeEngine {
  private readonly repos = new Map<string, RepoState>();
  private readonly queue: RepoState[] = [];
  private readonly active = new Set<Promise<void>>();
  private tags: TagSourceHandle;
  /** The registries `tags` was made for (a checkout in place may change them between runs). */
  private tagsKey: string;
  /** Requests of clients replaced since: the request metric is a counter. */
  private retiredCounts = emptyCounts();
  private readonly windowMs: number;
  private windowStartedAt = 0;
  private stopping = false;
  /** Fired when `stop()` gives up waiting: kills running commands, forbids pushes not yet started. */
  private readonly abandon = new AbortController();
  private stateDir: string;
  private hookTimer: NodeJS.Timeout | undefined;
  private readonly hookPending = new Set<RepoState>();
  /** When updates were paused; undefined while they run. A pause lasts until resumed. */
  private pausedSince: number | undefined;
  /** Prometheus series of every run. */
  readonly metrics = new ServeMetrics(() => this.registryCounts());
  private readonly notifier: Notifier | undefined;
  /** The GitHub App token sources of repositories with `githubApp`, kept across passes. */
  private readonly apps: AppIdentities;

  constructor(private readonly o: ServeEngineOptions) {
    this.stateDir = o.stateDir;
    this.apps = new AppIdentities({
      env: o.env,
      onSecret: o.onSecret ?? (() => undefined),
      log: o.log,
      ...(o.userAgent ? { userAgent: o.userAgent } : {}),
    });
    const first = o.server.repositories[0];
    if (!first) throw new Error("the server file has no repository");
    // One client for all: every repository shares the server file's registries and one cache.
    this.tags = this.tagSource(first.config);
    this.tagsKey = JSON.stringify(first.config.registries);
    if (o.notify)
      this.notifier = new Notifier({
        ...o.notify,
        log: o.log,
        onResult: (kind, result) => this.metrics.recordNotification(kind, result),
      });
    this.windowMs = (Math.min(...o.server.repositories.map((r) => r.pollFreq)) * 1000) / 2;
    for (const repo of o.server.repositories) {
      this.repos.set(repo.name, {
        repo,
        cloned: false,
        attempted: false,
        running: false,
        again: undefined,
        waiting: undefined,
        failures: 0,
        timer: undefined,
        nextRunAt: undefined,
        lastRun: undefined,
        recentRuns: [],
        references: [],
        warnings: [],
        skipped: 0,
        missed: false,
      });
    }
  }

  /** Creates the state dir and queues a first run of every repository. */
  async start(): Promise<void> {
    await mkdir(this.stateDir, { recursive: true });
    // git reports the clone's real path; compare like with like (macOS /tmp, symlinked volumes).
    this.stateDir = await realpath(this.stateDir);
    this.pausedSince ??= this.readPause();
    if (this.pausedSince !== undefined) {
      this.metrics.paused = 1;
      this.o.log(`laminar: updates are paused since ${new Date(this.pausedSince).toISOString()} until resumed`);
    }
    for (const s of this.repos.values()) this.enqueue(s, "schedule");
  }

  /** True once `stop()` was called: no new work is taken. */
  isStopping(): boolean {
    return this.stopping;
  }

  /**
   * The repositories whose first run has not ended yet: `/readyz` is ready when there are none.
   * Ready does not mean "every repository cloned": one whose remote can never be cloned (a typo,
   * a revoked key) would keep the pod unready forever, and a restart does not fix it. Such a
   * repository is reported failing in `/api/v1/repos`, `/metrics` and notifications instead.
   */
  awaitingFirstRun(): string[] {
    return [...this.repos.values()].filter((s) => !s.attempted).map((s) => s.repo.name);
  }

  /** True once every repository had its first run, successful or not (the readiness probe). */
  ready(): boolean {
    return this.awaitingFirstRun().length === 0;
  }

  /** Registry requests so far, by kind. */
  registryCounts(): RequestCounts {
    return addCounts(this.retiredCounts, this.tags.counts());
  }

  /** Resolves once no run is queued or in progress (`laminar watch --once` after `start()`). */
  async idle(): Promise<void> {
    while (this.active.size || this.queue.length) await Promise.all([...this.active]);
  }

  /** The names of the repositories, in server-file order. */
  names(): string[] {
    return [...this.repos.keys()];
  }

  status(): RepositoryStatus[] {
    return [...this.repos.values()].map((s) => ({
      name: s.repo.name,
      // A URL may carry credentials (`https://user:token@host/…`) the masker was never told about.
      url: this.o.mask(s.repo.url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1***@")),
      branch: s.repo.branch,
      pollFreq: s.repo.pollFreq,
      cloned: s.cloned,
      running: s.running,
      consecutiveFailures: s.failures,
      ...(s.nextRunAt !== undefined ? { nextRunAt: new Date(s.nextRunAt).toISOString() } : {}),
      ...(s.lastRun ? { lastRun: s.lastRun } : {}),
      recentRuns: [...s.recentRuns],
      references: s.references,
      warnings: s.warnings,
      paused: this.pausedSince !== undefined,
      ...(this.pausedSince !== undefined ? { pausedSince: new Date(this.pausedSince).toISOString() } : {}),
      skippedWhilePaused: s.skipped,
    }));
  }

  /**
   * Pauses updates: scheduled and webhook runs are skipped (and counted) until `resume()`; an
   * explicit API sync still runs. There is no expiry: a pause lasts until someone resumes.
   * Returns when the pause began (the earlier one, when already paused).
   */
  pause(by: string): Date {
    if (this.pausedSince === undefined) {
      this.pausedSince = Date.now();
      this.metrics.paused = 1;
      this.writePause();
      this.o.log(
        `laminar: updates paused by ${by} until resumed (a [laminar resume] comment, or POST /api/v1/resume with the API token)`,
      );
    }
    return new Date(this.pausedSince);
  }

  /** Ends a pause and runs every repository that skipped a run meanwhile; the names it queued. */
  resume(by: string): string[] {
    if (this.pausedSince === undefined) return [];
    this.pausedSince = undefined;
    this.metrics.paused = 0;
    this.writePause();
    this.o.log(`laminar: updates resumed by ${by}`);
    const missed = [...this.repos.values()].filter((s) => s.missed);
    if (missed.length) this.newWindow();
    for (const s of missed) {
      s.missed = false;
      this.enqueue(s, "resume");
    }
    return missed.map((s) => s.repo.name);
  }

  /**
   * The secrets the webhook endpoints check: `LAMINAR_WEBHOOK_SECRET` (GitHub's HMAC) from the
   * engine's environment and `global.gitHubToken` of the server file (the original's path token).
   */
  hookSecrets(): { webhookSecret?: string; gitHubToken?: string } {
    const webhookSecret = this.o.env.LAMINAR_WEBHOOK_SECRET || undefined;
    const gitHubToken = this.o.server.gitHubToken || undefined;
    return { ...(webhookSecret ? { webhookSecret } : {}), ...(gitHubToken ? { gitHubToken } : {}) };
  }

  /** When the current pause began, or undefined. */
  pausedAt(): Date | undefined {
    return this.pausedSince === undefined ? undefined : new Date(this.pausedSince);
  }

  /** Queues a run of every repository now, with fresh tag lists. */
  syncAll(trigger: RunTrigger = "api"): void {
    this.newWindow();
    for (const s of this.repos.values()) this.enqueue(s, trigger);
  }

  /** Queues a run of one repository now, with fresh tag lists; false when there is no such repository. */
  sync(name: string, trigger: RunTrigger = "api"): boolean {
    const s = this.repos.get(name);
    if (!s) return false;
    this.newWindow();
    this.enqueue(s, trigger);
    return true;
  }

  /**
   * A registry says `host/repository` got a new push: after the debounce delay, run every repository
   * whose last scan referenced it (a push of many layers and tags ends in one run). `host` is
   * optional: the registry may not know the name clients use for it. Returns the names queued.
   */
  imagePushed(repository: string, host: string | undefined): string[] {
    const hit: string[] = [];
    for (const s of this.repos.values()) {
      if (s.references.some((r) => referenceMatches(r.repository, repository, host))) {
        this.hookPending.add(s);
        hit.push(s.repo.name);
      }
    }
    if (hit.length && !this.hookTimer && !this.stopping) {
      this.hookTimer = setTimeout(() => {
        this.hookTimer = undefined;
        this.newWindow();
        for (const s of this.hookPending) this.enqueue(s, "webhook");
        this.hookPending.clear();
      }, this.o.debounceMs ?? 2000);
    }
    return hit;
  }

  /**
   * Stops taking work (timers, queue, webhooks), lets the runs in progress finish for a grace
   * period, then abandons them: a running command is killed and its run restores the work tree
   * (src/apply/apply.ts), a push not yet started never starts, and a push under way is atomic on
   * the remote — nothing is half-pushed. Then it saves the registry cache. Bounded: returns within
   * `stopGraceMs + abandonWaitMs`, even if a run is stuck (it is left behind; the process exits).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.hookTimer);
    for (const s of this.repos.values()) clearTimeout(s.timer);
    this.queue.length = 0;
    if (!(await this.settleWithin(this.o.stopGraceMs ?? STOP_GRACE_MS))) {
      const running = [...this.repos.values()].filter((s) => s.running).map((s) => s.repo.name);
      this.o.log(`laminar serve: abandoning the runs still in progress (${running.join(", ")}); nothing half-pushed`);
      this.abandon.abort();
      if (!(await this.settleWithin(this.o.abandonWaitMs ?? 2000)))
        this.o.log("laminar serve: a run did not end after it was abandoned; stopping without it");
    }
    await Promise.all([
      // After abandoned runs the 10 s bound has no room left: what is under way is cut at once.
      this.notifier?.close(this.abandon.signal.aborted ? 0 : NOTIFY_CLOSE_WAIT_MS),
      this.tags.save().catch((e: unknown) => this.o.log(`laminar: could not save the registry cache: ${String(e)}`)),
    ]);
  }

  /** Waits for the runs in progress; false when some still run after `ms`. */
  private async settleWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const settled = (async (): Promise<true> => {
      while (this.active.size) await Promise.all([...this.active]);
      return true;
    })();
    try {
      return await Promise.race([settled, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The pause is kept in the state dir so that a restart (a new pod, an upgrade) does not quietly
   * end it: it lasts until resumed. Written synchronously so a pause and a resume in quick
   * succession cannot land on disk in the wrong order.
   */
  private writePause(): void {
    const file = join(this.stateDir, "paused.json");
    try {
      if (this.pausedSince === undefined) rmSync(file, { force: true });
      else writeFileSync(file, `${JSON.stringify({ since: new Date(this.pausedSince).toISOString() })}\n`);
    } catch (e) {
      this.o.log(`laminar: could not record the pause in ${file}: ${String(e)}`);
    }
  }

  private readPause(): number | undefined {
    try {
      const since = Date.parse(
        (JSON.parse(readFileSync(join(this.stateDir, "paused.json"), "utf8")) as { since: string }).since,
      );
      return Number.isNaN(since) ? Date.now() : since;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      // A damaged file still says "paused": staying paused is the safe reading.
      this.o.log(`laminar: ${join(this.stateDir, "paused.json")} is damaged; updates stay paused: ${String(e)}`);
      return Date.now();
    }
  }

  /** Starts a new cycle window: the next tag-list question goes to the registry again. */
  private newWindow(): void {
    this.tags.newRun();
    this.windowStartedAt = Date.now();
  }

  private enqueue(s: RepoState, trigger: RunTrigger): void {
    if (this.stopping) return;
    if (s.running) {
      s.again ??= trigger;
      return;
    }
    clearTimeout(s.timer);
    s.timer = undefined;
    s.nextRunAt = undefined;
    if (s.waiting) return;
    s.waiting = trigger;
    this.queue.push(s);
    this.pump();
  }

  private pump(): void {
    while (
      !this.stopping &&
      this.active.size < (this.o.maxParallel ?? this.o.server.maxParallel ?? 4) &&
      this.queue.length
    ) {
      const s = this.queue.shift() as RepoState;
      const trigger = s.waiting ?? "schedule";
      s.waiting = undefined;
      if (this.pausedSince !== undefined && (trigger === "schedule" || trigger === "webhook")) {
        s.skipped++;
        s.missed = true;
        s.attempted = true;
        this.o.log(`${s.repo.name}: ${trigger} run skipped: updates are paused`);
        this.afterRun(s);
        continue;
      }
      s.running = true;
      const p = this.run(s, trigger).finally(() => {
        this.active.delete(p);
        s.running = false;
        this.afterRun(s);
        this.pump();
      });
      this.active.add(p);
    }
  }

  private afterRun(s: RepoState): void {
    if (this.stopping) return;
    if (s.again) {
      const t = s.again;
      s.again = undefined;
      this.enqueue(s, t);
      return;
    }
    const delay = nextRunDelayMs(s.repo.pollFreq, s.failures);
    s.nextRunAt = Date.now() + delay;
    s.timer = setTimeout(() => this.enqueue(s, "schedule"), delay);
    // Timers must not keep a stopping process alive; the HTTP server is what keeps it running.
    s.timer.unref();
  }

  private async run(s: RepoState, trigger: RunTrigger): Promise<void> {
    const started = Date.now();
    if (started - this.windowStartedAt >= this.windowMs) this.newWindow();
    const { repo } = s;
    const warnings: string[] = [];
    const failedBefore = s.failures;
    // A run abandoned by a stopping server did not fail for a reason anyone must act on: no notice.
    const notify = (e: NotifyEvent): void => {
      if (!this.abandon.signal.aborted) this.notifier?.send(e);
    };
    const warn = (m: string): void => {
      warnings.push(this.o.mask(m));
      this.o.log(m);
    };
    let record: Omit<RunRecord, "finishedAt" | "durationMs">;
    try {
      const r = this.o.checkout ? await this.runInPlace(s, this.o.checkout) : await this.runInClone(s, warn);
      const plan = r.pass.plan;
      s.references = references(plan);
      for (const f of plan.failures) warn(`${repo.name}: ${f.message}`);
      record = {
        startedAt: new Date(started).toISOString(),
        result: plan.failures.length ? "registry-error" : "success",
        trigger,
        changes: plan.changes.map((c) => ({ file: c.file, line: c.line, image: c.image, from: c.from, to: c.to })),
        ...(r.commitSha ? { commit: r.commitSha } : {}),
      };
      if (r.commitSha) {
        this.o.log(
          `${repo.name}: pushed ${r.commitSha.slice(0, 12)} to ${repo.branch}: ${plan.changes.length} change(s)`,
        );
        notify({
          event: "pushed",
          repository: repo.name,
          branch: repo.branch,
          commit: r.commitSha,
          changes: record.changes,
        });
      }
      s.failures = 0;
      // Transitions only: a repository failing run after run is one notice, not one per run.
      if (failedBefore)
        notify({ event: "recovered", repository: repo.name, branch: repo.branch, failedRuns: failedBefore });
    } catch (e) {
      s.failures++;
      // A revoked installation or a rotated key: the next pass looks the App up again.
      this.apps.forget(repo.name);
      const message = this.o.mask(explainSshFailure(repo, e instanceof Error ? e.message : String(e)));
      // The log may say more than the status (a failed command's output, through describeError).
      const described = this.o.describeError ? this.o.mask(explainSshFailure(repo, this.o.describeError(e))) : message;
      this.o.log(`${repo.name}: run failed (${s.failures} in a row): ${described}`);
      record = { startedAt: new Date(started).toISOString(), result: "error", trigger, changes: [], error: message };
      if (!failedBefore) notify({ event: "failing", repository: repo.name, branch: repo.branch, error: message });
    }
    s.attempted = true;
    const durationMs = Date.now() - started;
    s.lastRun = { ...record, finishedAt: new Date().toISOString(), durationMs };
    s.recentRuns = [s.lastRun, ...s.recentRuns].slice(0, RECENT_RUNS);
    s.warnings = warnings;
    this.metrics.recordRun(repo.name, s.lastRun, s.failures);
    await this.tags
      .save()
      .catch((e: unknown) => this.o.log(`laminar: could not save the registry cache: ${String(e)}`));
    this.o.onRun?.(repo.name, s.lastRun);
  }

  /** The environment of configured commands: without the variables that authorise calls to this server. */
  private commandEnv(): NodeJS.ProcessEnv {
    const env = { ...this.o.env };
    for (const name of SERVER_SECRETS) delete env[name];
    return env;
  }

  /** serve: the repository's working clone in the state dir, synced to the remote, then the race-safe push. */
  private async runInClone(s: RepoState, warn: (m: string) => void): Promise<PushModeResult> {
    const { repo } = s;
    const dir = clonePath(this.stateDir, repo.name);
    const githubApp = repo.githubApp;
    const app = githubApp ? await this.apps.forRepository({ ...repo, githubApp }) : undefined;
    const git = await syncWorkingClone({
      repo,
      stateDir: this.stateDir,
      env: this.o.env,
      log: this.o.log,
      ...(app ? { credentials: app.credentials } : {}),
    });
    s.cloned = true;
    return pushMode({
      git,
      dir,
      readConfig: () => readRepositoryConfig(repo, dir, warn),
      tags: this.tags.source,
      runCommands: true,
      env: this.commandEnv(),
      signal: this.abandon.signal,
      branch: repo.branch,
      // The App's bot is the author unless the server file names one (`global.gitUser`).
      commit: resolveCommitSettings({}, repo.config.commit, app?.source.identity ?? CLI_AUTHOR),
      maxAttempts: 3,
      protectedHint: "let Laminar push to it, or point the repository at an unprotected branch",
      log: (m) => this.o.log(`${repo.name}: ${m}`),
    });
  }

  /**
   * watch: the user's checkout in place, with its own config (registries included: a changed
   * `registries` section gets a new client, whose secrets the front end masks from then on).
   */
  private async runInPlace(s: RepoState, c: CheckoutInPlace): Promise<PushModeResult> {
    s.cloned = true;
    const config = await loadConfig(c.dir, c.configPath);
    c.onConfig?.(config);
    const registriesKey = JSON.stringify(config.registries);
    if (registriesKey !== this.tagsKey) {
      await this.tags.save().catch(() => undefined);
      this.retiredCounts = addCounts(this.retiredCounts, this.tags.counts());
      this.tags = this.tagSource(config);
      this.tagsKey = registriesKey;
    }
    const pass = {
      dir: c.dir,
      ...(c.configPath ? { configPath: c.configPath } : {}),
      tags: this.tags.source,
      runCommands: true,
      env: this.commandEnv(),
      signal: this.abandon.signal,
    };
    if (!c.push) return { pass: await updatePass({ ...pass, dryRun: false }), attempts: 1 };
    const git = await createGitCommandManager(c.dir, c.remote ? { remote: { name: c.remote, from: "--remote" } } : {});
    const branch = await syncCheckoutInPlace(git);
    return pushMode({
      ...pass,
      git,
      branch,
      commit: resolveCommitSettings({}, config.commit, CLI_AUTHOR),
      protectedHint: "open a pull request instead (`laminar apply --pull-request`)",
      log: (m) => this.o.log(`${s.repo.name}: ${m}`),
    });
  }

  private tagSource(config: LaminarConfig): TagSourceHandle {
    return createTagSource(config, {
      dir: this.o.checkout?.dir ?? this.o.stateDir,
      env: this.o.env,
      cachePath: this.o.cachePath ?? join(this.o.stateDir, "registry-cache.json"),
    });
  }
}

/** `registry/repository` of a reference against a pushed repository (and the host the registry named). */
function referenceMatches(reference: string, repository: string, host: string | undefined): boolean {
  if (host) return reference === `${host}/${repository}`;
  return reference === repository || reference.endsWith(`/${repository}`);
}

function references(plan: Plan): ReferenceStatus[] {
  return [
    ...plan.changes.map((c) => ({
      file: c.file,
      line: c.line,
      image: c.image,
      repository: c.repository,
      tag: c.from,
      candidate: c.to,
      reason: "changed",
      ...(c.previousBuildTime ? { buildTime: c.previousBuildTime } : {}),
      ...(c.buildTime ? { candidateBuildTime: c.buildTime } : {}),
    })),
    ...plan.unchanged.map((u) => ({
      file: u.file,
      line: u.line,
      image: u.image,
      repository: u.repository,
      tag: u.tag,
      reason: u.reason,
      detail: u.detail,
      ...(u.buildTime ? { buildTime: u.buildTime } : {}),
    })),
  ].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}
