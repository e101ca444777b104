import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { artilleryCommand, pinnedArtilleryBin } from '../../run/cloud-load.ts';

describe('the Artillery CLI --load-from and the tests run (run/cloud-load.ts)', () => {
  const saved = process.env.ARTILLERY_BIN;
  afterEach(() => {
    if (saved === undefined) delete process.env.ARTILLERY_BIN;
    else process.env.ARTILLERY_BIN = saved;
  });

  it('ARTILLERY_BIN first, as it is, finding the engine in the project’s node_modules', () => {
    process.env.ARTILLERY_BIN = '/opt/artillery/bin/run';
    const command = artilleryCommand();
    expect(command.bin).toBe('/opt/artillery/bin/run');
    expect(existsSync(`${command.env.NODE_PATH!.split(':')[0]}/artillery-engine-sluice`)).toBe(true);
  });

  it('then the pinned CLI in tools/artillery-cli, finding the engine in the project’s node_modules; else artillery on PATH', () => {
    delete process.env.ARTILLERY_BIN;
    const command = artilleryCommand();
    if (existsSync(pinnedArtilleryBin)) {
      expect(command.bin).toBe(pinnedArtilleryBin);
      expect(existsSync(`${command.env.NODE_PATH!.split(':')[0]}/artillery-engine-sluice`)).toBe(true);
    } else {
      console.info('the pinned Artillery CLI is not installed (npm ci --prefix tools/artillery-cli --ignore-scripts): checking the PATH fallback');
      expect(command.bin).toBe('artillery');
    }
  });
});
