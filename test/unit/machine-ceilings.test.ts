import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { beyondCeilingNotice, ceilingsFile, readMachineCeilings, recordMachineCeiling, requestedPeakEventsPerSecond, thisMachine } from '../../load/machine-ceilings.ts';

const folders: string[] = [];
function scratchFile(): string {
  const folder = mkdtempSync(join(tmpdir(), 'sluice-ceilings-'));
  folders.push(folder);
  return join(folder, 'nested', 'ceilings.json');
}
afterEach(() => folders.splice(0).forEach((folder) => rmSync(folder, { recursive: true, force: true })));

describe('machine ceilings', () => {
  it('lives under SLUICE_CACHE_DIR, else XDG_CACHE_HOME/sluice, else ~/.cache/sluice', () => {
    expect(ceilingsFile({ SLUICE_CACHE_DIR: '/x' })).toBe('/x/ceilings.json');
    expect(ceilingsFile({ XDG_CACHE_HOME: '/c' })).toBe('/c/sluice/ceilings.json');
    expect(ceilingsFile({})).toMatch(/\.cache\/sluice\/ceilings\.json$/);
  });

  it('records each source beside the others and reads them back on the same machine', () => {
    const file = scratchFile();
    expect(readMachineCeilings(file)).toBeUndefined();
    recordMachineCeiling('sqs', { heldEventsPerSecond: 900, rawEventsPerSecond: 1000, measuredAt: '2026-12-02T12:00:00Z' }, file);
    recordMachineCeiling('kinesis', { heldEventsPerSecond: 4000, measuredAt: '2026-12-02T12:00:00Z' }, file);
    const ceilings = readMachineCeilings(file)!;
    expect(ceilings.machine).toEqual(thisMachine());
    expect(Object.keys(ceilings.sources).sort()).toEqual(['kinesis', 'sqs']);
    expect(ceilings.sources.sqs!.heldEventsPerSecond).toBe(900);
  });

  it('ignores figures measured on another kind of machine, and a file that is not ceilings', () => {
    const file = scratchFile();
    recordMachineCeiling('sqs', { heldEventsPerSecond: 900, measuredAt: '2026-12-02T12:00:00Z' }, file);
    const written = JSON.parse(readFileSync(file, 'utf8'));
    written.machine.cpuCount += 64;
    writeFileSync(file, JSON.stringify(written));
    expect(readMachineCeilings(file)).toBeUndefined();
    writeFileSync(file, 'not json');
    expect(readMachineCeilings(file)).toBeUndefined();
  });

  it('says up front when a pattern asks for more than this machine held for its source', () => {
    const peak = requestedPeakEventsPerSecond([{ duration: 10_000, arrivalRate: 100, rampTo: 600 }], 2);
    expect(peak).toBe(1200);
    const ceiling = { heldEventsPerSecond: 900, measuredAt: '2026-12-02T12:00:00Z' };
    expect(beyondCeilingNotice('orders', 'sqs', peak, ceiling)).toBe(
      "orders asks for up to 1200 events/s, above the 900/s this machine held for sqs (measured 2026-12-02): figures beyond it are the harness's limit here, not the system's",
    );
    expect(beyondCeilingNotice('orders', 'sqs', 800, ceiling)).toBeUndefined();
    expect(beyondCeilingNotice('orders', 'sqs', 5000, undefined)).toBeUndefined();
  });
});
