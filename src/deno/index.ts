import { namedCoordinator, type SharedBreaker } from '../breaker/shared.js';
import { emptyState, readState, sync, type ScopeState, type SyncAnswer, type SyncMessage } from '../breaker/sync.js';
import { syncTime } from '../breaker/sync-time.js';
import { isThrottleState, tallyThrottle, type ThrottleMessage } from '../coordinator/throttle.js';
import { answerMs } from '../coordinator/fleet.js';
import { fleetKey } from '../coordinator/keys.js';
import type { KeyValueStore, StoreFactory } from '../stores/types.js';
import { monotonicNow, wallNow } from '../utils/clock.js';

type KvKey = readonly (string | number)[];

/** What steadfetch uses of a `Deno.Kv` (from `Deno.openKv()`), without depending on Deno's types. */
export interface DenoKvLike {
	get(key: KvKey): Promise<{ key: KvKey; value: unknown; versionstamp: string | null }>;
	set(key: KvKey, value: unknown): Promise<unknown>;
	delete(key: KvKey): Promise<void>;
	list(selector: { prefix: KvKey }): AsyncIterable<{ key: KvKey }>;
	atomic(): {
		check(...checks: Array<{ key: KvKey; versionstamp: string | null }>): ReturnType<DenoKvLike['atomic']>;
		set(key: KvKey, value: unknown): ReturnType<DenoKvLike['atomic']>;
		commit(): Promise<{ ok: boolean }>;
	};
}

/** Atomic updates tried before a sync gives up (each conflict means another process just wrote). */
const maxAttempts = 16;
/** What a commit leaves of the isolate's `answerMs` for the way back: none starts later than this before the isolate gives the sync up. */
const marginMs = 200;

const checkKv = (kv: unknown, what: string): void => {
	if (typeof (kv as DenoKvLike | undefined)?.atomic !== 'function') {
		throw new RangeError(`\`${what}(kv)\` needs a Deno.Kv (from Deno.openKv())`);
	}
};

/**
 * The breaker's sync over a scope's stored state: the state to store, the answer, and whether the value was not
 * one of ours (read as none), at the process's own clock (`wallNow()`: the KV has none; a coordinator has no client's),
 * or at the latest time the state holds while that is less than the message's `maxOpenMs` ahead of it (`syncTime`): a
 * process whose clock runs behind the one that wrote it takes it as the fleet's.
 */
const breakerSync = (scope: string, value: unknown, message: SyncMessage): [ScopeState, SyncAnswer, boolean] => {
	const now = syncTime((at) => readState(scope, value, at), message, wallNow());
	const read = readState(scope, value, now);
	const state = read ?? emptyState(scope, now);
	return [state, sync(state, message, now), !read];
};

/**
 * The coordinator of `breaker({ shared })` over Deno KV: every process and isolate that opens the same
 * KV (a file with `Deno.openKv(path)`, or Deno Deploy's) shares one breaker per scope with the clients
 * of the same `name` (clients of other names keep their own): keys `['steadfetch', 'breaker' |
 * 'throttle', <a SHA-256 of the client's name and the scope>]`, no name or URL in them. Each sync is an
 * atomic read-check-write of the scope's state (strongly consistent), retried on a conflict; the
 * fleet's open period is jittered once, by the `jitter` the process whose sync opened it sent. Each
 * sync is made on the process's clock (the KV has none), or at the latest time the scope's state holds (its
 * open period's start, its record's date, its probe's grant) while that is less than the breaker's `maxOpenMs` ahead of
 * it: a process whose clock runs behind neither moves the fleet's open period, nor opens it dated before its last close,
 * nor counts a probe granted ahead as failed. The
 * same value serves `adaptiveThrottle({ shared })`: its counts per scope under keys of their own, tallied on each
 * process's clock (the KV has none) into the latest bucket the KV holds while that is less than a window ahead (a
 * process whose clock runs ahead does not split the fleet's window). A
 * value under a scope's key that is not the coordinator's own (another program's, a garbled write) is
 * read as none, written over and reported on the syncing client (`storage:error`, operation `decode`), as
 * the Redis coordinator does.
 *
 * @example
 * const kv = await Deno.openKv();
 * const api = createClient({ breaker: breaker({ shared: coordinator(kv) }) });
 */
export const coordinator = (kv: DenoKvLike): SharedBreaker => {
	checkKv(kv, 'coordinator');
	return namedCoordinator((name, told) => async (scope, message) => {
		// The isolate gives the sync up after `answerMs` (coordinator/fleet.ts) by a real timer: a sync given up changes nothing
		// later. Real elapsed time, not the wall clock: one stepped back while the sync ran let it commit after it was given up.
		const by = monotonicNow() + answerMs - marginMs;
		const { throttle } = message as Partial<ThrottleMessage>;
		const key = ['steadfetch', throttle ? 'throttle' : 'breaker', await fleetKey(name, scope)];
		let failure: unknown;
		let reported = false;
		for (let attempt = 0; attempt < maxAttempts; attempt++) {
			try {
				const entry = await kv.get(key);
				const [state, answer, garbled] = throttle ? [...tallyThrottle(scope, entry.value, throttle, wallNow()), !isThrottleState(scope, entry.value)] : breakerSync(scope, entry.value, message as SyncMessage);
				if (monotonicNow() > by) {
					break;
				}

				// A value there (a versionstamp) that is not ours: told once per sync, written over below.
				if (garbled && entry.versionstamp !== null && !reported) {
					reported = true;
					told?.(new TypeError('Not a state of steadfetch under its Deno KV key: written over'), scope);
				}

				if ((await kv.atomic().check(entry).set(key, state).commit()).ok) {
					return answer;
				}
			} catch (error) {
				// A KV file shared by processes answers "database is locked" while another one writes.
				failure = error;
				await new Promise((resolve) => setTimeout(resolve, 2 + attempt * 2));
			}
		}

		throw new Error(`The ${throttle ? 'throttle counts' : 'breaker state'} of ${scope} could not be updated in time`, { cause: failure });
	});
};

/**
 * A `KeyValueStore` factory over Deno KV (keys `['steadfetch', <namespace>, <key>]`): persisted state
 * shared by every process on the same KV. Values are structured-cloned by KV; one over 64 KiB is
 * refused (the write rejects, and the stale cache or outbox degrades as for any failing store). `keys()`
 * lists string keys only (another program's entry under the namespace is not ours); `clear()` removes every
 * entry under it.
 */
export const denoKvStore = (kv: DenoKvLike): StoreFactory => {
	checkKv(kv, 'denoKvStore');
	return (namespace): KeyValueStore => {
		const prefix = ['steadfetch', namespace];
		/** The KV's keys under the namespace: ours (`[...prefix, key]`, `key` a string), or with `all`, any program's too. */
		const listed = async (all?: boolean): Promise<KvKey[]> => {
			const found: KvKey[] = [];
			for await (const { key } of kv.list({ prefix })) {
				if (all || (key.length === 3 && typeof key[2] === 'string')) {
					found.push(key);
				}
			}

			return found;
		};

		return {
			async get<T>(key: string) {
				// A stored `null` is `null`: only an entry with no versionstamp is missing.
				const entry = await kv.get([...prefix, key]);
				return (entry.versionstamp === null ? undefined : entry.value) as T | undefined;
			},
			async set(key, value) {
				await kv.set([...prefix, key], value);
			},
			async delete(key) {
				await kv.delete([...prefix, key]);
			},
			async keys() {
				return (await listed()).map((key) => key[2] as string);
			},
			// Every entry under the namespace, as IndexedDB's `clear` empties its whole object store.
			async clear() {
				await Promise.all((await listed(true)).map(async (key) => kv.delete(key)));
			},
		};
	};
};
