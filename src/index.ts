// Entry of the GitHub Action bundle (dist/index.js): only starts the run.
import { run } from "./action/main.js";
import { tuneV8 } from "./v8-flags.js";

// The same V8 settings as the CLI (memory of a cold run, #12).
tuneV8();

void run();
