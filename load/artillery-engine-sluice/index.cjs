'use strict';
// Artillery loads an engine as the package `artillery-engine-<name>`, constructed with
// `new Engine(script, ee, helpers)`. sluice's engines are TypeScript classes, one per event
// source (drivers/<source>/), registered in-process by load/artillery-load.ts for the run
// at hand; this adapter returns the registered engine so Artillery drives it directly.
const registryKey = Symbol.for('sluice.artillery-engines');

function SluiceEngine(script, ee, helpers) {
  const registry = globalThis[registryKey];
  const engineId = script && script.config && script.config.engines && script.config.engines.sluice && script.config.engines.sluice.engineId;
  const factory = registry && registry.get(engineId);
  if (typeof factory !== 'function') {
    throw new Error('artillery-engine-sluice runs inside `sluice run`: no sluice engine is registered for "' + engineId + '"');
  }
  return factory(script, ee, helpers);
}

module.exports = SluiceEngine;
