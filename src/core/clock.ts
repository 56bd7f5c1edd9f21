import type { Clock } from './types.js';

/** The real clock: `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() };
