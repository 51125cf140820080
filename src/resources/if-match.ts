// Parses If-Match for resources, whose entity tag is the version: `3`, `"3"`, `W/"3"`, lists of them, or `*`.
import { DomainException } from '../common/domain.exception.js';

/** `undefined`: no condition. `'any'`: `*`. Otherwise the versions any of which must be current. */
export type IfMatch = undefined | 'any' | number[];

const TAG = /^(?:W\/)?"(\d{1,15})"$|^(\d{1,15})$/;

export function parseIfMatch(header: string | string[] | undefined): IfMatch {
  if (header === undefined) return undefined;
  const text = (Array.isArray(header) ? header.join(',') : header).trim();
  if (text === '*') return 'any';
  const versions: number[] = [];
  for (const part of text.split(',')) {
    const match = TAG.exec(part.trim());
    if (!match) {
      throw DomainException.validation('If-Match: must be a version such as 3 or "3"', [
        { field: 'If-Match', errors: ['If-Match must be a version: 3, "3", W/"3", a comma-separated list, or *'] },
      ]);
    }
    versions.push(Number(match[1] ?? match[2]));
  }
  return versions;
}

export function ifMatchAccepts(condition: IfMatch, currentVersion: number): boolean {
  if (condition === undefined || condition === 'any') return true;
  return condition.includes(currentVersion);
}
