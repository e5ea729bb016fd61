/** The learning-rate schedule: linear warm-up from 0, then linear decay to `floor` times the peak. */

export interface LrSchedule {
  /** Peak learning rate. */
  lr: number;
  /** Steps of linear warm-up (the rate at step s < warmup is lr (s + 1) / warmup). */
  warmupSteps: number;
  totalSteps: number;
  /** Fraction of lr reached at the last step (default 0). */
  floor?: number;
}

/** The learning rate of step `step` (0-based). */
export function learningRateAt(s: LrSchedule, step: number): number {
  const floor = s.floor ?? 0;
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  const decaySteps = s.totalSteps - s.warmupSteps;
  if (decaySteps <= 0) return s.lr;
  const progress = Math.min(1, (step - s.warmupSteps) / decaySteps);
  return s.lr * (1 - (1 - floor) * progress);
}
