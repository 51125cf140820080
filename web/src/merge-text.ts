// A three-way merge of a document's text, line by line (node-diff3): what the user changed since the version they
// started from, and what someone else saved meanwhile. The merged text when the two changed different lines;
// undefined when they changed the same ones (the user then chooses).
import { diff3Merge } from 'node-diff3';

export function mergeText(base: string, mine: string, theirs: string): string | undefined {
  const lines: string[] = [];
  for (const region of diff3Merge(mine.split('\n'), base.split('\n'), theirs.split('\n'))) {
    if (region.conflict) return undefined;
    lines.push(...(region.ok ?? []));
  }
  return lines.join('\n');
}
