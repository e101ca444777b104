#!/usr/bin/env node
'use strict';
/**
 * A stand-in for `artillery run-fargate|run-lambda` in tests: `--count` workers, each the real
 * artillery-engine-sluice (its own random id block), send the script's arrivals to a local
 * endpoint (`sluice serve`, given as FAKE_ARTILLERY_ENDPOINT) and the merged counters are
 * written to `--output` as Artillery's report JSON keeps them. FAKE_ARTILLERY_ARGS_FILE
 * receives the arguments and the pid; FAKE_ARTILLERY_HANG keeps it running until it is stopped.
 */
const { EventEmitter } = require('node:events');
const { readFileSync, writeFileSync } = require('node:fs');
const { parse } = require('yaml');
const SluiceEngine = require('artillery-engine-sluice');

async function main() {
  const args = process.argv.slice(2);
  const option = (name) => args[args.indexOf(name) + 1];
  if (process.env.FAKE_ARTILLERY_ARGS_FILE) writeFileSync(process.env.FAKE_ARTILLERY_ARGS_FILE, JSON.stringify({ args, pid: process.pid }));
  if (process.env.FAKE_ARTILLERY_HANG) {
    setInterval(() => undefined, 1000);
    return;
  }
  const script = parse(readFileSync(args[args.length - 1], 'utf8'));
  script.config.engines.sluice.endpoint = process.env.FAKE_ARTILLERY_ENDPOINT;
  const count = Number(option('--count'));
  const arrivals = script.config.phases.reduce((total, phase) => total + (phase.arrivalRate ?? 0) * (phase.duration ?? 0), 0);
  const counters = {};
  const events = new EventEmitter();
  events.on('counter', (name, value) => (counters[name] = (counters[name] ?? 0) + value));
  await Promise.all(
    Array.from({ length: count }, async (_, worker) => {
      const engine = new SluiceEngine(script, events, {});
      const virtualUser = engine.createScenario(script.scenarios[0], events);
      const share = Math.floor(arrivals / count) + (worker < arrivals % count ? 1 : 0);
      await Promise.all(Array.from({ length: share }, () => new Promise((resolve) => virtualUser({}, resolve))));
      engine.cleanup();
    }),
  );
  writeFileSync(option('--output'), JSON.stringify({ aggregate: { counters } }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
