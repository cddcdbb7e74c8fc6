/** Where the generated `.laminar.yaml` validator lives. */
export declare const VALIDATOR_FILE: URL;
/** The generated module's text, as scripts/validators.mjs would write it now. */
export declare function validatorSource(): string;
