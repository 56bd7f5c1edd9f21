/**
 * The delay before the next replay of an entry that failed `attempts` times: full jitter,
 * `random() × min(maxBackoffMs, baseBackoffMs × 2^(attempts − 1))`. Pure: `random` is injected.
 */
export const backoffDelay = (attempts: number, baseBackoffMs: number, maxBackoffMs: number, random: () => number): number =>
	Math.floor(random() * Math.min(maxBackoffMs, baseBackoffMs * 2 ** Math.max(0, attempts - 1)));
