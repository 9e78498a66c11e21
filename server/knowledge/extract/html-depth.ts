/** Void elements and elements whose end tag may be left out: they do not count towards nesting. */
const notNesting = new Set(
  'area base br col embed hr img input link meta source track wbr p li dt dd tr td th option optgroup tbody thead tfoot colgroup caption rb rt rp html head body'.split(' '),
);

/**
 * Estimates how deeply an HTML page nests, from its tags alone (comments, scripts and styles
 * skipped), without building a DOM — parsers and Readability slow down badly on deep trees.
 */
export function nestingDepth(html: string): number {
  const tags = /<!--[\s\S]*?(?:-->|$)|<(script|style)\b[\s\S]*?(?:<\/\1\s*>|$)|<(\/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*?(\/?)>/g;
  let depth = 0;
  let max = 0;
  for (let m = tags.exec(html); m; m = tags.exec(html)) {
    const name = m[3]?.toLowerCase();
    if (!name || notNesting.has(name) || m[4]) continue;
    if (m[2]) depth = Math.max(0, depth - 1);
    else if (++depth > max) max = depth;
  }
  return max;
}
