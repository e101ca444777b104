import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsumerReaderModule } from '../stack-piece.ts';

/**
 * The synthetic consumer's Lambda code for one source: the generic handler
 * (./handler.ts) and the source's reader (drivers/<source>/consumer-reader.ts), bundled by
 * esbuild into one CommonJS file for the template's inline `ZipFile`, which CloudFormation
 * writes to index.js (hence the handler `index.handler`).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html
 *
 * Inline code may be up to 4 MB, but it lives in the template body, which CloudFormation
 * takes inline up to 51,200 bytes (targets/aws/stack.ts): so the bundle is minified, and
 * the AWS SDK stays out of it (every Node.js Lambda runtime ships SDK v3).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html
 */

const handlerFile = fileURLToPath(new URL('./handler.ts', import.meta.url));
/** esbuild is loaded on the first bundle, so importing the template module stays cheap. */
const require = createRequire(import.meta.url);
/** One bundle per reader for the life of the process: every stack of a source ships the same code. */
const bundles = new Map<string, string>();

/**
 * The bundled consumer for `reader`, as the text of index.js.
 *
 * @example
 * syntheticConsumerBundle(sqsAwsStack.consumerReader) // "use strict";var …exports.handler…
 */
export function syntheticConsumerBundle(reader: ConsumerReaderModule): string {
  const cacheKey = JSON.stringify([reader.entryFile, reader.readerExport, reader.responderExport ?? null]);
  const cached = bundles.get(cacheKey);
  if (cached !== undefined) return cached;
  const esbuild = require('esbuild') as typeof import('esbuild');
  const imports = [`${reader.readerExport} as read`, ...(reader.responderExport ? [`${reader.responderExport} as respond`] : [])];
  const entry = [
    `import { createSyntheticConsumer } from ${JSON.stringify(handlerFile)};`,
    `import { ${imports.join(', ')} } from ${JSON.stringify(reader.entryFile)};`,
    `export const handler = createSyntheticConsumer(read${reader.responderExport ? ', respond' : ''});`,
  ].join('\n');
  const result = esbuild.buildSync({
    stdin: { contents: entry, resolveDir: dirname(handlerFile), sourcefile: 'index.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['@aws-sdk/*'],
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  bundles.set(cacheKey, code);
  return code;
}
