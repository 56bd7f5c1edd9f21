import { check, isNonNegativeFinite, isNonNegativeInteger, isPositiveFinite, isPositiveInteger } from '../core/validate.js';
import { sensitiveSet } from '../core/runtime.js';

/** Options of the offline outbox (`outbox`). */
export interface OutboxOptions {
	/**
	 * Methods whose calls are queued when they cannot be delivered.
	 * @default ['POST', 'PUT', 'PATCH', 'DELETE']
	 */
	methods?: string[];
	/**
	 * Most pending entries; a call beyond it is refused with `OutboxFullError` before any I/O.
	 * @default 1_000
	 */
	maxEntries?: number;
	/**
	 * Largest body of a queueable call, in bytes; a larger one is refused with `OutboxFullError`.
	 * @default 1_048_576 (1 MiB)
	 */
	maxBodyBytes?: number;
	/**
	 * How long an entry may wait for delivery, in ms; after that it becomes a dead letter (`expired`).
	 * @default 604_800_000 (7 days)
	 */
	retentionMs?: number;
	/**
	 * Attempts of one entry (the original call, when it was sent, counts as the first) before it
	 * becomes a dead letter (`max-attempts`). A 401/403 answer does not count toward it.
	 * @default 20
	 */
	maxAttempts?: number;
	/**
	 * Cap of the jittered exponential backoff between replays of one entry, in ms.
	 * @default 300_000 (5 min)
	 */
	maxBackoffMs?: number;
	/**
	 * First backoff step between replays, in ms (doubled per attempt, full jitter).
	 * @default 1_000
	 */
	baseBackoffMs?: number;
	/**
	 * `'error'`: a queued call rejects with `OutboxQueuedError`. `'accepted'`: it resolves with a
	 * `202 Accepted` response whose `Steadfetch-Outbox-Entry` header and JSON body carry the entry id.
	 * @default 'error'
	 */
	queuedResponse?: 'error' | 'accepted';
	/**
	 * More headers never to store, by name, any case (Authorization, Cookie and Proxy-Authorization
	 * never are). Anything but header names throws a `RangeError` at `createClient`.
	 * @default []
	 */
	sensitiveHeaders?: string[];
}

/** Outbox options with every default filled in. */
export interface ResolvedOutboxOptions {
	methods: ReadonlySet<string>;
	maxEntries: number;
	maxBodyBytes: number;
	retentionMs: number;
	maxAttempts: number;
	maxBackoffMs: number;
	baseBackoffMs: number;
	queuedResponse: 'error' | 'accepted';
	/** Lower-case names of the headers never stored. */
	sensitiveHeaders: ReadonlySet<string>;
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Fill in the defaults and reject bad values with a `RangeError` naming the option and the value. */
export const resolveOutboxOptions = (options: OutboxOptions): ResolvedOutboxOptions => {
	const {
		methods = ['POST', 'PUT', 'PATCH', 'DELETE'], maxEntries = 1000, maxBodyBytes = 1_048_576, retentionMs = 604_800_000,
		maxAttempts = 20, maxBackoffMs = 300_000, baseBackoffMs = 1000, queuedResponse = 'error', sensitiveHeaders = [],
	} = options;
	check(isStringArray(methods), 'outbox.methods', methods, 'an array of method names');
	check(isPositiveInteger(maxEntries), 'outbox.maxEntries', maxEntries, 'a positive integer');
	check(isNonNegativeInteger(maxBodyBytes), 'outbox.maxBodyBytes', maxBodyBytes, 'a non-negative integer');
	check(isPositiveFinite(retentionMs), 'outbox.retentionMs', retentionMs, 'a positive finite number of ms');
	check(isPositiveInteger(maxAttempts), 'outbox.maxAttempts', maxAttempts, 'a positive integer');
	check(isNonNegativeFinite(maxBackoffMs), 'outbox.maxBackoffMs', maxBackoffMs, 'a non-negative finite number of ms');
	check(isNonNegativeFinite(baseBackoffMs), 'outbox.baseBackoffMs', baseBackoffMs, 'a non-negative finite number of ms');
	check(queuedResponse === 'error' || queuedResponse === 'accepted', 'outbox.queuedResponse', queuedResponse, "'error' or 'accepted'");
	const sensitive = sensitiveSet('outbox.sensitiveHeaders', sensitiveHeaders);
	return {
		methods: new Set(methods.map((method) => method.toUpperCase())),
		maxEntries,
		maxBodyBytes,
		retentionMs,
		maxAttempts,
		maxBackoffMs,
		baseBackoffMs,
		queuedResponse,
		sensitiveHeaders: sensitive,
	};
};
