import { namedCoordinator, type SharedBreaker, type SharedCoordinator } from '../breaker/shared.js';
import type { BreakerRecord } from '../breaker/circuit.js';
import { emptyState, maxFleetOpenMs, readState, sync, type ScopeState, type SyncMessage } from '../breaker/sync.js';
import { syncTime } from '../breaker/sync-time.js';
import { answerMs } from '../coordinator/fleet.js';
import { isThrottleState, tallyThrottle, type ThrottleMessage, type ThrottleState } from '../coordinator/throttle.js';
import { digests } from '../coordinator/keys.js';
import { check, optionsOf, isPositiveFinite } from '../utils/validate.js';
import { reads, writes } from './scripts.js';
import { monotonicNow, wallNow } from '../utils/clock.js';

/**
 * Runs a Lua script on Redis and resolves to its reply: `keys` and `args` are strings. With
 * `@upstash/redis`: `(s, k, a) => redis.eval(s, k, a)`; ioredis: `(s, k, a) => redis.eval(s,
 * k.length, ...k, ...a)`; node-redis: `(s, k, a) => client.eval(s, { keys: k, arguments: a })`.
 */
export type RedisEvaluate = (script: string, keys: string[], args: string[]) => Promise<unknown>;

/** Options of `coordinator(evaluate, options)` from `steadfetch/redis`. */
export interface RedisCoordinatorOptions {
	/**
	 * What every key steadfetch writes begins with (then a digest of the client's `name` and the
	 * scope): give each application sharing a Redis its own.
	 * @default 'steadfetch:'
	 */
	prefix?: string;
	/**
	 * How long a scope's key is kept after its last write, in ms (at least 1 000; a fraction is
	 * rounded up, and one beyond what Redis holds is as long as it holds): a fleet that meets many
	 * origins leaves nothing behind. At least your breaker's `maxOpenMs` and
	 * your throttle's `windowMs`: a key that expires is a closed scope and an empty window. The key
	 * of a scope isolated by hand (`client.breaker.isolate`) does not expire: it is open until reset.
	 * @default 86_400_000 (a day)
	 */
	ttlMs?: number;
}

/** What a write leaves of the isolate's `answerMs` (coordinator/fleet.ts) for the way back: a write that lands later than this after its read is refused by Redis. */
const marginMs = 200;
/** Writes tried before a sync gives up (each refusal means another process just wrote). */
const maxAttempts = 16;
/** Ten buckets of the throttle's window. */
const slots = 10;

/** What Redis holds of a key: its version (0 for none), its value (the numbers, undefined for none), whether it is not ours, and Redis's clock (epoch ms). */
interface Held {
	version: number;
	value: unknown;
	foreign: boolean;
	now: number;
}

/** An integer reply, whichever client decoded it (a number, or a string of digits). */
const integer = (value: unknown): number => {
	const number = typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value;
	if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
		throw new TypeError('Redis answered something that is not the coordinator script\'s reply');
	}

	return number;
};

/** A script's reply `[now, version, value]` (after a status, for a write), as any client decodes it. */
const heldOf = (reply: unknown, from: number): Held => {
	if (!Array.isArray(reply) || reply.length < from + 3) {
		throw new TypeError('Redis answered something that is not the coordinator script\'s reply');
	}

	const value: unknown = reply[from + 2];
	const version = integer(reply[from + 1]);
	let numbers: unknown;
	try {
		// A JSON string, or an array already parsed (`@upstash/redis`'s automatic deserialization).
		// One longer than any the coordinator writes (31 numbers: at most 776 characters; scripts.ts reads a longer one as none) is not parsed.
		numbers = typeof value === 'string' ? (value === '' ? undefined : value.length > 1024 ? value : JSON.parse(value)) : value;
	} catch {
		numbers = value; // Not ours (no JSON): read as none, and reported.
	}

	// Redis's clock, the fleet's: one before 1970 is no reply of the scripts (a bucket numbered below 0 is no slot of ten: the
	// report was dropped); one more than `maxFleetOpenMs` ahead of this process's (a replica's clock years ahead, a garbled
	// reply) is no clock of the fleet's either, as an isolate reads a record so dated: a probe granted then held the fleet's
	// slot, counted failed once Redis's clock was right again (granted ahead of it), its success not counted.
	const now = integer(reply[from]);
	if (now < 0 || now > wallNow() + maxFleetOpenMs) {
		throw new TypeError(`Redis answered a time before 1970, or more than ${maxFleetOpenMs} ms ahead of this process's clock`);
	}

	// -1: a key the script found not ours (scripts.ts), read as none.
	return { now, version: Math.max(0, version), value: numbers, foreign: version < 0 };
};

const isNumbers = (value: unknown, length: number): value is number[] => Array.isArray(value) && value.length === length && value.every((item) => typeof item === 'number' && Number.isFinite(item));

/**
 * A scope's breaker state from the numbers Redis holds (bounded by `readState`), or none (missing, expired, or not ours: a flag
 * that is neither 0 nor 1 too). An open record's failures in a row (what every isolate's snapshot
 * shows, as a Durable Object's whole record gives them) are the state's count: it is the one it opened with. A closed
 * state has no opens: that number is the status of the probe that closed it (`BreakerRecord.status`; 0: none), which a
 * process of an earlier build reads as a closed state's opens, ignored (`readRecord`), as every build reads ten numbers.
 */
const breakerOf = (scope: string, value: unknown, now: number): ScopeState | undefined => {
	// Ten numbers; nine from a process before the probe's own timeout was kept (`probeMs`).
	const [open, openedAt, reopensAt, opens, at, isolated, unanswered, consecutive, probeAt, probeMs] = isNumbers(value, 10) || isNumbers(value, 9) ? value : [];
	// Each flag 0 or 1: another number (a garbled write's `2`, `0.5`) is not a state of ours (read as none, and reported).
	return [open, isolated, unanswered].every((flag) => flag === 0 || flag === 1)
		? readState(scope, { v: 1, record: { v: 2, scope, state: open === 1 ? 'open' : 'closed', openedAt, reopensAt, opens, at, failures: consecutive, ...(open === 0 && { status: opens }), ...(isolated === 1 && { isolated: true }), ...(unanswered === 1 && { unanswered: true }) }, consecutive, probeAt, probeMs }, now)
		: undefined;
};

/** The numbers stored for a breaker state: no scope, no URL (a closed state's status where an open one's opens go: `breakerOf`). */
const breakerNumbers = ({ record, consecutive, probeAt, probeMs }: ScopeState): number[] => {
	const { state, openedAt, reopensAt, opens, at, isolated, unanswered, status }: BreakerRecord = record;
	return [state === 'open' ? 1 : 0, openedAt, reopensAt, state === 'open' ? opens : status ?? 0, at, isolated ? 1 : 0, unanswered ? 1 : 0, consecutive, probeAt, probeMs ?? 0];
};

/** The throttle's stored counts in the shape `tallyThrottle` reads (it checks them), or nothing. */
const throttleOf = (scope: string, value: unknown): ThrottleState | undefined => isNumbers(value, 1 + 3 * slots)
	? { v: 1, scope, windowMs: value[0]!, at: value.slice(1, 1 + slots), requests: value.slice(1 + slots, 1 + 2 * slots), accepts: value.slice(1 + 2 * slots) }
	: undefined;

const throttleNumbers = ({ windowMs, at, requests, accepts }: ThrottleState): number[] => [windowMs, ...at, ...requests, ...accepts];

/**
 * The coordinator of `breaker({ shared })` and `adaptiveThrottle({ shared })` over any Redis, for
 * fleets without Durable Objects (Vercel and Netlify edge functions, Node servers): `evaluate`
 * runs a Lua script with the app's own client, so no Redis client is a dependency. It decides as the
 * Durable Object does (`sync` and `tallyThrottle` of src/coordinator, run in the process) over what
 * Redis holds, and writes back only if nobody wrote since it read (a compare-and-set in a script,
 * retried on a conflict), so two processes never both take a probe. Redis's own clock is the fleet's (a breaker's
 * sync is made at the latest time the scope's state holds while that is less than the breaker's `maxOpenMs` ahead of it:
 * a failover to a replica whose clock runs behind neither moves the fleet's open period nor counts a probe granted
 * before it as failed); the fleet's open period is jittered once, by the `jitter` the process whose sync opened it sent.
 * A write that would land after the process gave up on its sync is refused by Redis, so a sync
 * given up never changes the fleet's state. Keys are `prefix` and a SHA-256 of the client's `name`
 * and the scope (processes share a scope's state only when their clients have the same `name`);
 * values are numbers only (the state's, and random digits naming its last 8 writes: a write the Redis client
 * delivers twice counts once); each key expires `ttlMs` after its last write (an isolated scope's: never,
 * until reset). A value under a key that is not its own (another program's, a garbled write) is read as
 * none, written over and reported (`storage:error`, operation `decode`). A Redis
 * that fails, refuses the script, does not answer, or answers a clock more than an hour ahead of the process's (nothing
 * it decided then is written) is an unreachable coordinator: each process
 * degrades to its own breaker (`storage:error`). A bad `evaluate`, `prefix` or `ttlMs` throws a `RangeError`
 * naming it; `options` that are not an object (a number, a string, an array) a `TypeError`, as every factory's.
 *
 * @example
 * const redis = Redis.fromEnv(); // `Redis` of @upstash/redis (any client: see `RedisEvaluate`)
 * const shared = coordinator((s, k, a) => redis.eval(s, k, a));
 * const api = createClient({ breaker: breaker({ shared }), adaptiveThrottle: adaptiveThrottle({ shared }) });
 */
export const coordinator = (evaluate: RedisEvaluate, options?: RedisCoordinatorOptions): SharedBreaker => {
	const { prefix = 'steadfetch:', ttlMs = 86_400_000 } = optionsOf(options, 'coordinator');
	check(typeof evaluate === 'function', 'coordinator.evaluate', evaluate, 'a function that runs a Lua script on Redis');
	check(typeof prefix === 'string' && prefix.length <= 256, 'coordinator.prefix', prefix, 'a string of at most 256 characters');
	check(isPositiveFinite(ttlMs) && ttlMs >= 1000, 'coordinator.ttlMs', ttlMs, 'a finite number of ms, at least 1 000');
	// PEXPIRE takes a whole number that fits in Redis's integers (`String(1e21)` is '1e+21'): any value given still writes.
	const ttl = String(Math.ceil(Math.min(ttlMs, Number.MAX_SAFE_INTEGER)));
	const digestOf = digests();
	const keyOf = async (name: string, scope: string, kind: 'breaker' | 'throttle'): Promise<string> => `${prefix}${kind}:${await digestOf(JSON.stringify(['steadfetch redis', name, scope]))}`;

	const run = async (script: string, keys: string[], args: string[]): Promise<unknown> => evaluate(script, keys, args);
	// `told`: reports on the syncing client (`storage:error`) a value under a key that is not ours, which the sync writes over.
	const syncOf = (name: string, told?: (error: unknown, scope: string) => void): SharedCoordinator['sync'] => async (scope, message, subrequest) => {
		// Real elapsed time: the isolate waits `answerMs` by a real timer (Redis's own clock is the fleet's, see below). Not the
		// wall clock: one stepped back while the sync ran stretched its write's deadline past the time it was given up (10 s back: 11.8 s).
		const started = monotonicNow();
		const { throttle } = message as Partial<ThrottleMessage>;
		const key = await keyOf(name, scope, throttle ? 'throttle' : 'breaker');
		let held = heldOf(await run(reads, [key], []), 0);
		for (let attempt = 0; attempt < maxAttempts; attempt++) {
			const left = answerMs - marginMs - (monotonicNow() - started);
			if (left <= 0) {
				break;
			}

			let numbers: number[];
			let answer: unknown;
			let expiry = ttl;
			const { value, now } = held;
			let { foreign } = held;
			if (throttle) {
				const stored = throttleOf(scope, value);
				// Not counts of any window a report leaves (negative, over the bound, accepts over requests, a window out of [1 ms, a day]).
				foreign ||= value !== undefined && !isThrottleState(scope, stored);
				const [state, counts] = tallyThrottle(scope, stored, throttle, now);
				numbers = throttleNumbers(state);
				answer = counts;
			} else {
				// Redis's clock, or the latest time the state holds (`syncTime`): a failover to a replica whose clock runs behind
				// neither moves the fleet's open period nor counts a probe granted before it as failed. The write's deadline stays Redis's.
				const at = syncTime((when) => breakerOf(scope, value, when), message as SyncMessage, now);
				const read = breakerOf(scope, value, at);
				foreign ||= value !== undefined && !read;
				const state = read ?? emptyState(scope, at);
				answer = sync(state, message as SyncMessage, at);
				numbers = breakerNumbers(state);
				// An isolated scope is open until reset (as a Durable Object and Deno KV keep it): its key does not expire.
				expiry = state.record.isolated ? '0' : ttl;
			}

			if (foreign) {
				told?.(new TypeError('Not a state of steadfetch under its Redis key: written over'), scope);
			}

			// The write carries the version it read and the latest Redis time it may land at. Over
			// Upstash it is one more `fetch` than the sync the call's request context counted: none is
			// sent once the context has no subrequest left (the sync is given up, as when it is late).
			if (subrequest?.() === false) {
				break;
			}

			const reply = await run(writes, [key], [String(held.version), JSON.stringify(numbers), expiry, String(now + left), Math.random().toFixed(12).slice(2), String(now)]);
			const status = integer(Array.isArray(reply) ? reply[0] : reply);
			if (status === 1) {
				return answer as Awaited<ReturnType<SharedCoordinator['sync']>>;
			}

			if (status !== 0) {
				break; // Past its time: given up.
			}

			held = heldOf(reply, 1); // Another process wrote: again, over what it wrote.
		}

		throw new Error(`The ${throttle ? 'throttle counts' : 'breaker state'} of a scope could not be written to Redis in time`);
	};

	return namedCoordinator(syncOf);
};
