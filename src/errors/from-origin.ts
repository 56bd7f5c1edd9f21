import { originCodes } from './classify.js';

/**
 * Whether an answer that says something of its quota or asks for a pause is its origin's word (its headers what the
 * server says now), for the parts that read them (the rate limiter, hedge's pause): not a steadfetch service worker's
 * stand-in, neither its answer for a refusal of its own client's (`Steadfetch-Error` naming another code than a failure
 * of the origin's, as `originFailed` reads it: a `503` with `CIRCUIT_OPEN` and the `Retry-After` of its breaker) nor its
 * stale copy or fallback (`Cache-Status: steadfetch; …`: the headers stored with it). Its own module, read only after
 * the answer said something (no header more on a plain answer): importing `originFailed` here moved that module out of
 * the core's chunk, the core 68 B larger (`originCodes` comes from classify.ts, in every build's core).
 */
export const fromOrigin = ({ headers }: Response): boolean => {
	const code = headers.get('steadfetch-error');
	return !/^steadfetch;/.test(headers.get('cache-status') ?? '') && (!code || originCodes.test(code));
};
