// ts-jest, with a cache key that holds only what its output depends on. ts-jest keys its cache on the whole Jest
// project configuration, so each of the five projects transpiled the same sources again on an empty cache (a clean
// clone, as CI runs): one services-mode spec took 12.4 CPU-seconds on an empty cache, 7.2 on a full one (2026-12-02).
// With isolatedModules (tsconfig.json), each file is transpiled alone: its output depends on its text and path, the
// compiler options, ts-jest's options, whether Jest loads it as ESM, and the two packages' versions.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const tsJest = require('ts-jest').default;

const root = join(__dirname, '..', '..');
const versions = ['ts-jest', 'typescript'].map((name) => require(`${name}/package.json`).version).join(' ');

module.exports = {
  createTransformer(options) {
    const inner = tsJest.createTransformer(options);
    const fixed = [JSON.stringify(options), readFileSync(join(root, 'tsconfig.json'), 'utf8'), versions].join('\0');
    const getCacheKey = (sourceText, sourcePath, { supportsStaticESM, instrument }) =>
      createHash('sha256')
        .update(
          [fixed, sourcePath, `esm:${Boolean(supportsStaticESM)}`, `instrument:${Boolean(instrument)}`, ''].join('\0'),
        )
        .update(sourceText)
        .digest('hex');
    return {
      process: (...args) => inner.process(...args),
      processAsync: (...args) => inner.processAsync(...args),
      getCacheKey,
      getCacheKeyAsync: async (...args) => getCacheKey(...args),
    };
  },
};
