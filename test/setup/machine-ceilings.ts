import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Tests assert on a run's warnings: the ceilings this machine's bench recorded (~/.cache/sluice)
// must not add "beyond this machine's ceiling" notes to them. The folder named here does not
// exist, so every test file starts with no ceilings (CLI processes inherit the variable).
process.env.SLUICE_CACHE_DIR = join(tmpdir(), `sluice-test-no-ceilings-${process.pid}`);
