// JSON Merge Patch (RFC 7396): a pure function that never mutates its inputs.
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Sets an own property, even for names such as `__proto__` that a plain assignment would treat specially:
 * member names in JSON are data, never prototypes.
 */
function define(target: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Applies `patch` to `target` as RFC 7396 section 2 describes: an object patch merges member by member
 * (`null` removes a member, objects merge recursively, anything else replaces); any other patch replaces
 * the target whole. Answers a new value; objects of the result are fresh, other values may be shared with
 * the inputs.
 */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return patch;
  const result: JsonObject = {};
  if (isJsonObject(target)) {
    for (const key of Object.keys(target)) define(result, key, target[key]);
  }
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) {
      if (Object.hasOwn(result, key)) delete result[key];
      continue;
    }
    const current = Object.hasOwn(result, key) ? result[key] : undefined;
    define(result, key, applyMergePatch(current, value));
  }
  return result;
}
