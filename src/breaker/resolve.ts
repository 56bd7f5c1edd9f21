import { check, isPositiveFinite, isPositiveInteger } from '../core/validate.js';
import type { BreakerOptions } from './options.js';

/** Breaker options resolved and checked: what the state machine reads. */
export interface Policy {
	readonly consecutiveFailures: number;
	readonly failureRatio: number;
	readonly windowMs: number;
	readonly minimumThroughput: number;
	readonly openMs: number;
	readonly maxOpenMs: number;
	readonly halfOpenProbes: number;
	/** A probe that has not settled after this long counts as failed. */
	readonly probeTimeoutMs: number;
}

const integers = ['consecutiveFailures', 'minimumThroughput', 'halfOpenProbes'] as const;
const durations = ['windowMs', 'openMs', 'maxOpenMs'] as const;

/**
 * Fill in the defaults and reject bad values with a `RangeError` naming the option and the value.
 * `attemptTimeoutMs` is ky's per-attempt `timeout` (10 s by default); with `false` or `0` a probe
 * that never settles is given up after `maxOpenMs`.
 */
export const resolvePolicy = (options: BreakerOptions, attemptTimeoutMs: number | false = 10_000): Policy => {
	const policy = {
		consecutiveFailures: 5,
		failureRatio: 0.5,
		windowMs: 30_000,
		minimumThroughput: 10,
		openMs: 5_000,
		maxOpenMs: 300_000,
		halfOpenProbes: 1,
		probeTimeoutMs: 0,
	};
	for (const key of [...integers, ...durations, 'failureRatio'] as const) {
		policy[key] = options[key] ?? policy[key];
	}

	for (const key of integers) {
		check(isPositiveInteger(policy[key]), 'breaker.' + key, policy[key], 'a positive integer');
	}

	for (const key of durations) {
		check(isPositiveFinite(policy[key]), 'breaker.' + key, policy[key], 'a positive finite number of ms');
	}

	const { failureRatio: ratio, openMs, maxOpenMs } = policy;
	check(typeof ratio === 'number' && ratio > 0 && ratio <= 1, 'breaker.failureRatio', ratio, 'a number in (0, 1]');
	check(maxOpenMs >= openMs, 'breaker.maxOpenMs', maxOpenMs, `at least breaker.openMs (${openMs})`);
	for (const key of ['scope', 'isFailure'] as const) {
		check(options[key] === undefined || typeof options[key] === 'function', 'breaker.' + key, options[key], 'a function');
	}

	const { probe, shared, sharedCacheMs = 1000, sharedTimeoutMs = 100 } = options;
	check(shared === undefined || typeof (shared as { link?: unknown }).link === 'function', 'breaker.shared', shared, 'a breaker coordinator (coordinator() from steadfetch/cloudflare or steadfetch/deno, or sharedCoordinator(sync))');
	check(isPositiveFinite(sharedCacheMs) && sharedCacheMs <= 1000, 'breaker.sharedCacheMs', sharedCacheMs, 'a number of ms in (0, 1000]');
	check(isPositiveFinite(sharedTimeoutMs), 'breaker.sharedTimeoutMs', sharedTimeoutMs, 'a positive finite number of ms');
	check(probe === undefined || typeof probe === 'function' || (typeof probe === 'string' && probe.length > 0), 'breaker.probe', probe, 'a URL (relative to the scope) or a function of the scope returning a Request');
	policy.probeTimeoutMs = attemptTimeoutMs || maxOpenMs;
	return policy;
};
