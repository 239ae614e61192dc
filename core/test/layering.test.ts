// Proves that the layering rule in eslint.config.js (DESIGN.md, Layout) rejects a forbidden
// import in each layer and accepts an allowed one, by linting source text as if it lived there.
import { describe, it, expect, ESLint } from './harness';

const eslint = new ESLint();

/** The layering messages ESLint gives for `import '<spec>';` in a file at `filePath`. */
async function layering(filePath: string, spec: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import '${spec}';\n`, { filePath });
  const messages = result?.messages ?? [];
  expect(messages.filter((m) => m.fatal)).toEqual([]); // linted for real, not a parse failure
  return messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const cases: { file: string; allowed: string[]; forbidden: string[] }[] = [
  {
    file: 'core/src/model/example.ts',
    allowed: ['yjs', 'lib0/encoding', 'y-protocols/sync', './page', '../ids'],
    forbidden: [
      'node:fs',
      'fs',
      'electron',
      'ws',
      '../../../renderer/src/data/api',
      '../../../sync-server/src/x',
    ],
  },
  {
    file: 'renderer/src/data/example.ts',
    allowed: ['yjs', 'y-indexeddb', '../../../core/src/index'],
    forbidden: [
      'node:path',
      'electron',
      '../../../sync-server/src/x',
      '../../../electron/src/main',
      '../ui/backend',
    ],
  },
  {
    file: 'sync-server/src/example.ts',
    allowed: ['node:http', 'ws', '../../core/src/index'],
    forbidden: ['electron', '../../renderer/src/data/api', '../../electron/src/main'],
  },
  {
    file: 'electron/src/example.ts',
    allowed: ['electron', 'node:path', '../../core/src/index'],
    forbidden: ['../../renderer/src/data/api', '../../sync-server/src/x'],
  },
];

describe('layering lint rule', () => {
  for (const { file, allowed, forbidden } of cases) {
    const layer = file.split('/')[0];
    it(`${layer}/ rejects ${forbidden.join(', ')} and accepts ${allowed.join(', ')}`, async () => {
      for (const spec of forbidden) {
        const messages = await layering(file, spec);
        expect(messages, `${file}: import '${spec}' must be refused`).not.toEqual([]);
      }
      for (const spec of allowed) {
        expect(await layering(file, spec), `${file}: import '${spec}' must pass`).toEqual([]);
      }
    });
  }
});
