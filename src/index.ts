// Entry of the GitHub Action bundle (dist/index.js): only starts the run.
import { run } from "./action/main.js";

void run();
