import { SluiceError } from '../core/sluice-error.ts';

export const predictErrorCodes = ['SLUICE_PREDICT_MODULE_HANDLER', 'SLUICE_PREDICT_TOO_LARGE'] as const;

/** A scenario `sluice predict` cannot simulate as asked (what and why, and what to do). */
export class PredictError extends SluiceError<(typeof predictErrorCodes)[number]> {}
