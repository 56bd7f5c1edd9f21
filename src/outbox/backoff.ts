/**
 * The delay before the next replay of an entry that failed `attempts` times: full jitter,
 * `random() × min(maxBackoffMs, baseBackoffMs × 2^(attempts − 1))`. Pure: `random` is injected.
 */
export const backoffDelay = (attempts: number, baseBackoffMs: number, maxBackoffMs: number, random: () => number): number =>
	Math.floor(random() * Math.min(maxBackoffMs, baseBackoffMs * 2 ** Math.max(0, attempts - 1)));

/**
 * A `Retry-After` header in ms from `now`: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 * `undefined` when absent or malformed.
 */
export const retryAfterMs = (value: string | null, now: number): number | undefined => {
	if (value === null || value.trim() === '') {
		return undefined;
	}

	if (/^\s*\d+\s*$/.test(value)) {
		return Number(value) * 1000;
	}

	const date = Date.parse(value);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
};
