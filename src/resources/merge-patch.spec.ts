import { applyMergePatch, type JsonValue } from './merge-patch.js';

describe(applyMergePatch.name, () => {
  const sut = applyMergePatch;

  // RFC 7396, Appendix A: every example, verbatim.
  const appendix: [JsonValue, JsonValue, JsonValue][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];

  it.each(appendix)('should turn %j patched with %j into %j (RFC 7396 appendix A)', (target, patch, expected) => {
    expect(sut(target, patch)).toEqual(expected);
  });

  it('should apply the example of RFC 7396 section 3', () => {
    const target = {
      title: 'Goodbye!',
      author: { givenName: 'John', familyName: 'Doe' },
      tags: ['example', 'sample'],
      content: 'This will be unchanged',
    };
    const patch = { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] };
    expect(sut(target, patch)).toEqual({
      title: 'Hello!',
      author: { givenName: 'John' },
      tags: ['example'],
      content: 'This will be unchanged',
      phoneNumber: '+01-123-456-7890',
    });
  });

  it('should treat a missing target like an absent member', () => {
    expect(sut(undefined, { a: { b: null, c: 1 } })).toEqual({ a: { c: 1 } });
    expect(sut(undefined, 3)).toBe(3);
  });

  it('should leave the target unchanged for an empty patch, as a new object', () => {
    const target = { a: { b: 1 } };
    const result = sut(target, {});
    expect(result).toEqual(target);
    expect(result).not.toBe(target);
  });

  it('should not mutate the target or the patch', () => {
    const target = { a: { b: 1, c: 2 }, d: [1, 2] };
    const patch = { a: { b: null, e: { f: null } }, d: [3] };
    const before = structuredClone({ target, patch });
    sut(target, patch);
    expect({ target, patch }).toEqual(before);
  });

  it('should merge several levels deep and drop nulls inside newly added objects', () => {
    expect(sut({ a: { b: { c: 1, d: 2 } } }, { a: { b: { c: null, x: { y: null, z: false } } } })).toEqual({
      a: { b: { d: 2, x: { z: false } } },
    });
  });

  it('should replace a nested scalar with an object and an object with a scalar', () => {
    expect(sut({ a: 1, b: { c: 1 } }, { a: { x: 1 }, b: 0 })).toEqual({ a: { x: 1 }, b: 0 });
  });

  it('should keep falsy values other than null', () => {
    expect(sut({ a: 1 }, { a: 0, b: '', c: false })).toEqual({ a: 0, b: '', c: false });
  });

  it('should treat __proto__ and Object.prototype names as plain members', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"x": 1}, "toString": 1}') as JsonValue;
    const result = sut({}, patch) as Record<string, unknown>;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(result))).toEqual(
      JSON.parse('{"__proto__":{"polluted":true},"constructor":{"x":1},"toString":1}'),
    );
    expect(Object.keys(result)).toEqual(['__proto__', 'constructor', 'toString']);
  });

  it('should remove an own __proto__ member with null, and ignore null for names only inherited', () => {
    const target = JSON.parse('{"__proto__": 1, "a": 2}') as JsonValue;
    const result = sut(target, JSON.parse('{"__proto__": null, "constructor": null}') as JsonValue);
    expect(Object.keys(result as object)).toEqual(['a']);
  });
});
