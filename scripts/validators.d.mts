/** Where the generated `.laminar.yaml` validator lives. */
export declare const VALIDATOR_FILE: URL;
/** Where the generated wire-shape validators live. */
export declare const WIRE_FILE: URL;
/** The config validator's text, as scripts/validators.mjs would write it now. */
export declare function validatorSource(): string;
/** The wire validators' text, as scripts/validators.mjs would write it now. */
export declare function wireSource(): string;
