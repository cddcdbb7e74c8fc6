/** Laminar's version, reported by the CLI and sent in registry User-Agent headers. */
export const VERSION = "0.1.0";
