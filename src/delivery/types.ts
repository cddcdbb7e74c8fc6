import type { GitCommandManager } from "../git/git-command-manager.js";
import type { PlanChange } from "../plan/types.js";
import type { ImageChange } from "../git/commit-message.js";
import type { UpdateOptions, UpdatePass } from "../pipeline.js";
import type { CommitSettings } from "./commit-settings.js";

/**
 * What every delivery mode needs: one pipeline pass (never a dry run: delivering means writing),
 * the git manager of the checkout, and who commits with which message. Front ends build this from
 * their own settings; the modes never see the Action's inputs or the CLI's flags.
 */
export interface DeliveryOptions extends Omit<UpdateOptions, "dryRun"> {
  readonly git: GitCommandManager;
  readonly commit: CommitSettings;
  readonly log?: (message: string) => void;
}

/** Outcome of a push (plain or signed). */
export interface PushModeResult {
  readonly pass: UpdatePass;
  /** Undefined when nothing changed. */
  readonly commitSha?: string;
  readonly attempts: number;
}

/** The fields of a plan change the commit message and pull-request templates use. */
export function toImageChange(c: PlanChange): ImageChange {
  return { file: c.file, line: c.line, image: c.image, from: c.from, to: c.to };
}
