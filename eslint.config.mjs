// ESLint flat config: typescript-eslint's recommended rules (no type information needed).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'fetch',
    'AbortController',
    'AbortSignal',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'structuredClone',
    'performance',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  {
    ignores: [
      'dist/**',
      'packages/*/dist/**', 'packages/client/src/generated/**',
      'web/dist/**',
      'node_modules/**',
      'coverage/**',
      'bench/results/**',
      'data/**',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: nodeGlobals },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'after-used', argsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-console': 'error',
      // Modules import what they use; only the infrastructure every module stands on is global.
      'no-restricted-syntax': [
        'error',
        {
          selector: "Decorator[expression.callee.name='Global']",
          message: '@Global is for config, database, redis, metrics and the realtime core: import the module instead.',
        },
      ],
    },
  },
  {
    files: [
      'src/config/config.module.ts',
      'src/database/database.module.ts',
      'src/redis/redis.module.ts',
      'src/metrics/metrics.module.ts',
      'src/realtime/realtime.module.ts',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The web app: the rules of hooks, and no console left in screens.
    files: ['web/src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules, 'no-console': 'error' },
  },
  {
    // Specs read loosely typed JSON answers; `any` there keeps assertions readable.
    files: ['test/**/*.ts', '**/*.spec.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
