// ESLint flat config. Besides the usual TypeScript and Svelte rules it enforces the
// layering of DESIGN.md: each folder may import only what its environment has.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** A relative import that climbs into another top-level folder. */
const into = (folder) => ({
  group: [`**/${folder}`, `**/${folder}/**`],
  message: `This layer may not import from ${folder}/ (see DESIGN.md, Layout).`,
});

/** core/: environment-neutral. Only yjs, lib0, y-protocols and its own files. */
const coreRule = {
  paths: [
    ...nodeBuiltins.map((name) => ({ name, message: 'core/ is environment-neutral: no Node.' })),
    { name: 'electron', message: 'core/ is environment-neutral: no Electron.' },
  ],
  patterns: [
    {
      regex: '^(?!(yjs|lib0|y-protocols)(/|$)|\\.{1,2}/)',
      message: 'core/ may import only yjs, lib0, y-protocols and core/ itself.',
    },
    into('renderer'),
    into('sync-server'),
    into('electron'),
    into('e2e'),
    into('bench'),
  ],
};

/** renderer/: browser only. */
const rendererRule = {
  paths: [
    ...nodeBuiltins.map((name) => ({ name, message: 'renderer/ runs in a browser: no Node.' })),
    {
      name: 'electron',
      message: 'renderer/ reaches Electron only through window.ferry (preload).',
    },
  ],
  patterns: [into('sync-server'), into('electron'), into('e2e'), into('bench')],
};

/** renderer/src/data/: the data layer sits below the UI; components use it, never the reverse. */
const dataRule = {
  ...rendererRule,
  patterns: [
    ...rendererRule.patterns,
    {
      group: ['**/ui', '**/ui/**'],
      message:
        'renderer/src/data is below the UI: it may not import renderer/src/ui (a contract both use lives in data/).',
    },
  ],
};

/** sync-server/: Node only (DOM is kept out by its tsconfig lib). */
const relayRule = {
  paths: [{ name: 'electron', message: 'The relay does not run in Electron.' }],
  patterns: [into('renderer'), into('electron'), into('e2e'), into('bench')],
};

/** electron/: main and preload; they share types with core, never renderer internals. */
const electronRule = {
  patterns: [into('renderer'), into('sync-server'), into('e2e'), into('bench')],
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      // The compiled relay (scripts/build-relay.mjs).
      'sync-server/dist/',
      'release/',
      'data/',
      'test-results/',
      'playwright-report/',
      'e2e/.artifacts/',
      'bench/.results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.es2022 } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
  },
  { files: ['core/**'], rules: { 'no-restricted-imports': ['error', coreRule] } },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': ['error', rendererRule] },
  },
  { files: ['renderer/src/data/**'], rules: { 'no-restricted-imports': ['error', dataRule] } },
  {
    files: ['sync-server/**'],
    languageOptions: { globals: { ...globals.node } },
    rules: { 'no-restricted-imports': ['error', relayRule] },
  },
  {
    files: ['electron/**'],
    languageOptions: { globals: { ...globals.node } },
    rules: { 'no-restricted-imports': ['error', electronRule] },
  },
  {
    // Tests of core/ and renderer/ run under Node with Vitest: they may use Node and test tools,
    // but still not reach into another layer's internals.
    files: ['core/test/**', 'renderer/test/**'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [into('electron'), into('e2e'), into('bench')] },
      ],
    },
  },
  {
    files: ['e2e/**', 'bench/**', 'scripts/**', 'build/**', '*.config.*', 'eslint.config.js'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);
