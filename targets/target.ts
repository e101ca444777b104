import { SluiceError } from '../core/sluice-error.ts';
import type { ClientSettings } from '../core/client-config.ts';
import type { TargetInfo } from '../analysis/run-result.ts';

/**
 * Where a run's resources live and how to reach them. Each target has its own folder:
 * `embedded/` (sluice's emulators in a child process), `localstack/` (LocalStack behind
 * sluice's quota edge) and `aws/` (a real account).
 */
export interface Target {
  readonly info: TargetInfo;
  readonly clientSettings: ClientSettings;
  /** Rejects when the target dies during the run (emulator crashed), so the run stops with a reason. */
  readonly died: Promise<never>;
  stop(): Promise<void>;
}

/** A failure of the target itself, with what the user can do about it. */
export class TargetError extends SluiceError<'SLUICE_TARGET_START' | 'SLUICE_TARGET_DIED' | 'SLUICE_TARGET_UNREACHABLE' | 'SLUICE_PORT_TAKEN'> {}
