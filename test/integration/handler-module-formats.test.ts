import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerEnvironment } from '../../runtime/worker-environment.ts';

/**
 * Every way a Lambda project writes its handler module loads in an execution environment.
 * The folders are made in the system's temp folder: a folder inside this repository would
 * inherit the repository's own package.json ("type": "module").
 */
const folders = { 'no package.json': undefined, '"type": "commonjs"': 'commonjs', '"type": "module"': 'module' } as const;
type FolderName = keyof typeof folders;
type Syntax = 'esm' | 'commonjs';

const sources: Record<Syntax, string> = {
  esm: [
    'export const handler = async (event) => ({ syntax: "esm", style: "async", event });',
    'export function callbackHandler(event, context, callback) { setTimeout(() => callback(null, { syntax: "esm", style: "callback", event }), 1); }',
  ].join('\n'),
  commonjs: [
    'exports.handler = async (event) => ({ syntax: "commonjs", style: "async", event });',
    'module.exports.callbackHandler = function (event, context, callback) { setTimeout(() => callback(null, { syntax: "commonjs", style: "callback", event }), 1); };',
  ].join('\n'),
};

/**
 * Which syntax each extension may hold in each folder, as Node and TypeScript decide it:
 * .mjs is always ESM and .cjs always CommonJS; a .js in a "type": "module" folder is ESM;
 * ESM syntax in any other .js loads too (Node 22 and later detect it, as the Lambda runtimes
 * do); TypeScript files compile from either syntax.
 */
function loads(extension: string, folder: FolderName, syntax: Syntax): boolean {
  if (extension === 'mjs') return syntax === 'esm';
  if (extension === 'cjs') return syntax === 'commonjs';
  if (extension === 'js') return folders[folder] !== 'module' || syntax === 'esm';
  return true;
}

const extensions = ['ts', 'mts', 'cts', 'js', 'mjs', 'cjs'];
const cases = Object.keys(folders).flatMap((folder) =>
  extensions.flatMap((extension) => (['esm', 'commonjs'] as const).map((syntax) => ({ folder: folder as FolderName, extension, syntax, loads: loads(extension, folder as FolderName, syntax) }))),
);

let root: string;
const pathOf = (c: (typeof cases)[number]) => join(root, c.folder.replace(/\W+/g, '-'), `${c.syntax}-handler.${c.extension}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sluice-handler-formats-'));
  for (const [name, type] of Object.entries(folders)) {
    const folder = join(root, name.replace(/\W+/g, '-'));
    await mkdir(folder);
    if (type) await writeFile(join(folder, 'package.json'), JSON.stringify({ type }));
  }
  // Each file is its own text, as in a real project (and so no compile cache can answer for another).
  await Promise.all(cases.map((c) => writeFile(pathOf(c), `// ${c.syntax} syntax, .${c.extension}, folder with ${c.folder}\n${sources[c.syntax]}\n`)));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function inBatches<T>(items: T[], size: number, each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

describe('handler module formats', () => {
  it('loads .ts/.mts/.cts/.js/.mjs/.cjs in ESM or CommonJS syntax, with no package.json, "type": "commonjs" and "type": "module", and invokes async and callback handlers', async () => {
    const loading = cases.filter((c) => c.loads);
    expect(loading).toHaveLength(29);
    const answers: string[] = [];
    // One environment a file (a cold start costs about a second here); the handler style alternates with folder and syntax, so every extension and syntax is invoked both ways.
    const folderNames = Object.keys(folders);
    await inBatches(loading, 2, async (c) => {
      for (const exportName of [(folderNames.indexOf(c.folder) + (c.syntax === 'esm' ? 0 : 1)) % 2 === 0 ? 'handler' : 'callbackHandler']) {
        const environment = await WorkerEnvironment.start({ modulePath: pathOf(c), exportName, functionName: 'formats', memoryMb: 256 });
        try {
          const result = await environment.invoke({ id: `${c.folder} ${c.extension}` }, { requestId: 'r', deadlineEpochMs: Date.now() + 3000, synchronous: true });
          expect(result, `${c.syntax} .${c.extension} in a folder with ${c.folder}, ${exportName}`).toMatchObject({
            ok: true,
            value: { syntax: c.syntax, style: exportName === 'handler' ? 'async' : 'callback', event: { id: `${c.folder} ${c.extension}` } },
          });
          answers.push(`${c.folder} ${c.syntax} .${c.extension} ${exportName}`);
        } finally {
          await environment.terminate();
        }
      }
    });
    expect(answers).toHaveLength(29);
  }, 240_000);
});
