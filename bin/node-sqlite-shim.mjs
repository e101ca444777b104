// fauxqs (the embedded SQS emulator) imports node:sqlite for optional on-disk persistence,
// which Node 20 lacks. sluice keeps queues in memory, so the import is answered with a
// stand-in that explains itself if persistence is ever asked for.
const shimSource =
  'export class DatabaseSync { constructor() { throw new Error("fauxqs persistence needs Node >= 22.5; sluice runs it in memory") } }';

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'node:sqlite') {
    return { url: `data:text/javascript,${encodeURIComponent(shimSource)}`, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
