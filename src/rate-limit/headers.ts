import { parseRetryAfter } from '../core/runtime.js';

/** What a response says of the scope's budget: requests left, and when the window resets (ms from now). */
export interface ServerBudget {
	remaining: number;
	resetMs: number;
}

const number = (text: string | undefined): number | undefined => {
	if (text === undefined || !/^\d+(?:\.\d+)?$/.test(text.trim())) {
		return undefined;
	}

	const value = Number(text);
	return Number.isFinite(value) ? value : undefined;
};

/** `limit=10, remaining=0, reset=2` (the draft's first form) or `"default";r=0;t=2` (structured fields). */
const parseRateLimit = (value: string): ServerBudget | undefined => {
	let remaining: number | undefined;
	let reset: number | undefined;
	for (const part of value.split(/[;,]/)) {
		const [rawName, rawValue] = part.split('=');
		const name = rawName?.trim().toLowerCase();
		if (name === 'remaining' || name === 'r') {
			remaining = number(rawValue);
		} else if (name === 'reset' || name === 't') {
			reset = number(rawValue);
		}
	}

	return remaining === undefined || reset === undefined ? undefined : { remaining, resetMs: reset * 1000 };
};

/**
 * The server's view of the budget, read defensively from `RateLimit` (either form of the IETF
 * draft), else `X-RateLimit-Remaining` + `X-RateLimit-Reset` (seconds from now, or epoch seconds
 * when past 10⁹), and on 429/503 `Retry-After` (nothing left until then). Anything malformed is
 * ignored; the caller bounds the reset.
 */
export const serverBudget = (response: Response, now: number): ServerBudget | undefined => {
	const { headers, status } = response;
	if ((status === 429 || status === 503) && headers.has('retry-after')) {
		const waitMs = parseRetryAfter(headers.get('retry-after'), now);
		if (waitMs !== undefined) {
			return { remaining: 0, resetMs: waitMs };
		}
	}

	const rateLimit = headers.get('ratelimit');
	const parsed = rateLimit === null ? undefined : parseRateLimit(rateLimit);
	if (parsed) {
		return parsed;
	}

	const remaining = number(headers.get('x-ratelimit-remaining') ?? undefined);
	const reset = number(headers.get('x-ratelimit-reset') ?? undefined);
	if (remaining === undefined || reset === undefined) {
		return undefined;
	}

	return { remaining, resetMs: reset > 1e9 ? Math.max(0, reset * 1000 - now) : reset * 1000 };
};
