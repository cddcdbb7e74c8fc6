/**
 * The rare words that decide whether a file needs its marker scan (`laminar:`) or its Flux scans
 * (`$imagepolicy`, `image.toolkit.fluxcd.io`). Pure: text in, three yes/no out.
 */

/** Which of the rare words a text holds. */
export interface RareWords {
  /** `laminar:`, which every marker holds (`# laminar: IMAGE`). */
  readonly marker: boolean;
  /** `$imagepolicy`, which every Flux setter holds. */
  readonly setter: boolean;
  /** `image.toolkit.fluxcd.io`, the API group of Flux's ImagePolicy and ImageRepository objects. */
  readonly fluxApi: boolean;
}

/**
 * No occurrence of one word can overlap another's, so one pass finds every word that occurs: one
 * pass of this regex over a file costs about half of three substring searches (issue #12).
 */
const WORDS = /laminar:|\$imagepolicy|image\.toolkit\.fluxcd\.io/g;

/** Which of the rare words `text` holds, in one pass (what `text.includes` of each would answer). */
export function rareWords(text: string): RareWords {
  let marker = false;
  let setter = false;
  let fluxApi = false;
  WORDS.lastIndex = 0;
  for (let m; !(marker && setter && fluxApi) && (m = WORDS.exec(text));) {
    const first = m[0].charCodeAt(0);
    if (first === 0x6c /* l */) marker = true;
    else if (first === 0x24 /* $ */) setter = true;
    else fluxApi = true;
  }
  return { marker, setter, fluxApi };
}
