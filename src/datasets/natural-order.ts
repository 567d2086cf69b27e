/** The one file-name order of the project (frames, sequences, dataset samples). */

const isDigit = (c: number) => c >= 48 && c <= 57;

/** End of the run of digits, or of non-digits, that starts at `i`. */
function runEnd(s: string, i: number): number {
  const digits = isDigit(s.charCodeAt(i));
  let j = i + 1;
  while (j < s.length && isDigit(s.charCodeAt(j)) === digits) j++;
  return j;
}

/** Code-unit order of `a[i..ie)` and `b[j..je)`: negative, 0 or positive. */
function compareRange(a: string, i: number, ie: number, b: string, j: number, je: number): number {
  for (; i < ie && j < je; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return ie - i === je - j ? 0 : ie - i < je - j ? -1 : 1;
}

/** Number of digit and non-digit runs in `s` from `i`. */
function runsFrom(s: string, i: number): number {
  let n = 0;
  for (; i < s.length; i = runEnd(s, i)) n++;
  return n;
}

/**
 * Natural order: runs of digits compare as numbers (`img2` < `img10`), everything else by
 * UTF-16 code unit; on a tie (e.g. `01` vs `1`) the plain string order decides. Independent of
 * locale, so every machine lists a dataset in the same order. Allocates nothing (sorting a folder
 * of many thousand frames makes no garbage).
 */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ie = runEnd(a, i);
    const je = runEnd(b, j);
    if (compareRange(a, i, ie, b, j, je) !== 0) {
      if (!isDigit(a.charCodeAt(i)) || !isDigit(b.charCodeAt(j))) return compareRange(a, i, ie, b, j, je);
      // Both numbers: without leading zeros (one digit kept), the longer is larger, else the digits decide.
      while (i < ie - 1 && a.charCodeAt(i) === 48) i++;
      while (j < je - 1 && b.charCodeAt(j) === 48) j++;
      if (ie - i !== je - j) return ie - i - (je - j);
      const c = compareRange(a, i, ie, b, j, je);
      if (c !== 0) return c;
    }
    i = ie;
    j = je;
  }
  const rest = runsFrom(a, i) - runsFrom(b, j);
  if (rest !== 0) return rest;
  return a < b ? -1 : a > b ? 1 : 0;
}
