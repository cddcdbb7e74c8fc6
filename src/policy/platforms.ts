/**
 * A rule's `platforms` requirement (issue #15): which of the required platforms an image lacks.
 * Pure: the registry layer supplies what the image offers.
 */

/** `os/arch[/variant]`, as in a config and in `docker --platform`. */
export const PLATFORM_PATTERN = /^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/;

/**
 * The required platforms the offered list does not cover. A required platform without a variant
 * accepts any variant (`linux/arm` takes `linux/arm/v7`); `linux/arm64/v8` accepts `linux/arm64`
 * too, since v8 is arm64's only variant and registries often leave it out.
 *
 * @param required - the rule's `platforms`.
 * @param offered - an index's platforms, or the single platform of an image.
 */
export function missingPlatforms(required: readonly string[], offered: readonly string[]): string[] {
  const have = offered.map(split);
  return required.filter((r) => {
    const want = split(r);
    return !have.some(
      (h) =>
        h.os === want.os &&
        h.arch === want.arch &&
        (!want.variant || (h.variant ?? (h.arch === "arm64" ? "v8" : undefined)) === want.variant),
    );
  });
}

function split(p: string): { os: string; arch: string; variant?: string } {
  const [os = "", arch = "", variant] = p.split("/");
  return variant ? { os, arch, variant } : { os, arch };
}
