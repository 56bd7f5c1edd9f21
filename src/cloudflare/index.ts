import { namedCoordinator, type SharedBreaker } from '../breaker/shared.js';
import { emptyState, readState, sync, type ScopeState, type SyncAnswer, type SyncMessage } from '../breaker/sync.js';
import { syncTime } from '../breaker/sync-time.js';
import { tallyThrottle, type ThrottleAnswer, type ThrottleMessage } from '../coordinator/throttle.js';
import { answerMs } from '../coordinator/fleet.js';
import { fleetKey } from '../coordinator/keys.js';
import type { WaitUntil } from '../core/options.js';
import { monotonicNow, wallNow } from '../utils/clock.js';
import { readCapped } from '../utils/read-capped.js';

/** What `BreakerCoordinator` uses of a Durable Object's state (no dependency on the Workers types). */
export interface DurableObjectStateLike {
	readonly storage: {
		get(key: string): Promise<unknown>;
		put(key: string, value: unknown): Promise<void>;
	};
}

/** What `coordinator()` uses of a Durable Object namespace binding. */
export interface DurableObjectNamespaceLike {
	idFromName(name: string): unknown;
	get(id: never): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/**
 * Messages bigger than this are refused: a sync is a few hundred bytes, with its scope of at most 8 192 characters
 * (the bound of every scope, as the breaker's records), each at most 6 bytes in JSON (a lone surrogate: `\udxxx`).
 */
const maxMessageBytes = 65_536;

/**
 * What a sync's write leaves of the isolate's `answerMs` for the way back, in ms: a sync the object would write later
 * than `answerMs − marginMs` after it came in (a cold read of its storage, a slow body) is refused, nothing written.
 */
const marginMs = 200;

/** A sync the isolate has given up by now (`marginMs`): not applied, a failure it no longer waits for. */
const late = (): Response => new Response('The sync came too late to be applied', { status: 503 });

/**
 * The Durable Object that owns one scope's shared breaker for the clients of one `name` (one object per
 * name and scope, named by a SHA-256 of both: neither is in its name).
 * Export it from your Worker and bind it (`durable_objects` in wrangler config, class name
 * `BreakerCoordinator`); give `coordinator(env.<BINDING>)` to `breaker({ shared })`. Its state is
 * kept in memory and persisted in the object's storage, so an evicted object starts where it was.
 * It decides the fleet's open period, jittered once by the `jitter` the isolate whose sync opened it
 * sent (a message without one, from an older isolate: the nominal period), on its own clock, or at the latest time the
 * scope's state holds while that is less than the breaker's `maxOpenMs` ahead of it (an object started again on a host
 * whose clock runs behind neither moves the fleet's open period nor counts a probe granted before as failed).
 * The same object keeps the scope's `adaptiveThrottle({ shared })` counts, under a key of their own. A sync it would
 * write later than 1.8 s after it came in (a cold read of its storage; an isolate gives a sync up at 2 s) is refused
 * (503) and changes nothing: no probe granted that no isolate takes or gives back, no report the isolate counted alone
 * counted by the fleet too.
 */
export class BreakerCoordinator {
	readonly #storage: DurableObjectStateLike['storage'];
	#state: ScopeState | undefined;
	#throttle: unknown;

	constructor(state: DurableObjectStateLike, _env?: unknown) {
		this.#storage = state.storage;
	}

	async fetch(request: Request): Promise<Response> {
		// Real elapsed time since the sync came in: the isolate gives it up `answerMs` after it sent it (coordinator/fleet.ts).
		const by = monotonicNow() + answerMs - marginMs;
		// Read no further than maxMessageBytes (in bytes; a body that never ends too): over it, refused.
		const bytes = await readCapped(request, maxMessageBytes).catch(() => undefined);
		let input: { scope?: unknown; message?: unknown };
		try {
			input = bytes ? JSON.parse(new TextDecoder().decode(bytes)) as typeof input : {};
		} catch {
			input = {};
		}

		if (typeof input.scope !== 'string' || input.scope.length > 8192 || typeof input.message !== 'object' || input.message === null) {
			return new Response('Not a breaker sync', { status: 400 });
		}

		// The input gate holds other requests while storage answers: one reader, one state.
		const { throttle } = input.message as Partial<ThrottleMessage>;
		if (throttle !== undefined) {
			this.#throttle ??= await this.#storage.get('throttle');
			// The Durable Object's own clock, the one every isolate's sync is decided by (it has no client).
			// Tallied on a copy, kept once stored: a write that fails leaves the object as its storage is.
			const [state, answer] = tallyThrottle(input.scope, structuredClone(this.#throttle), throttle, wallNow());
			if (monotonicNow() > by) {
				return late();
			}

			await this.#storage.put('throttle', state);
			this.#throttle = state;
			return Response.json(answer);
		}

		// The object's clock, or the latest time the state holds (`syncTime`): an object started again on a host whose clock
		// runs behind neither moves the fleet's open period nor counts a probe granted before as failed.
		const { scope } = input;
		const held = this.#state ?? await this.#storage.get('state');
		const now = syncTime((at) => readState(scope, held, at), input.message as SyncMessage, wallNow());
		this.#state ??= readState(input.scope, held, now) ?? emptyState(input.scope, now);
		// Changed on a copy, kept once stored: a sync whose write fails counts no failure and grants no probe.
		const state = this.#state.record.scope === input.scope ? structuredClone(this.#state) : emptyState(input.scope, now);
		const answer: SyncAnswer = sync(state, input.message as SyncMessage, now);
		if (monotonicNow() > by) {
			return late();
		}

		await this.#storage.put('state', state);
		this.#state = state;
		return Response.json(answer);
	}
}

/**
 * `coordinator(namespace)` of `steadfetch/cloudflare`, whose syncs no call holds go to `ambient`:
 * the running request's `waitUntil` in the workerd build (entries/cloudflare.ts, over ambient.ts), none
 * where `cloudflare:workers` does not exist (entries/cloudflare-portable.ts: Deno, edge-light).
 */
export const coordinatorWith = (namespace: DurableObjectNamespaceLike, ambient?: WaitUntil): SharedBreaker => {
	if (typeof namespace?.idFromName !== 'function' || typeof namespace.get !== 'function') {
		throw new RangeError('`coordinator(namespace)` needs a Durable Object namespace binding (env.<BINDING>) of the BreakerCoordinator class');
	}

	// A sync nobody waits for (a failure's report) is handed to the call's `waitUntil`; for a call
	// without one, to `ambient` (in workerd the running request's, see ambient.ts). Elsewhere none: the sync simply runs.
	return namedCoordinator((name) => async (scope, message) => {
		const stub = namespace.get(namespace.idFromName(await fleetKey(name, scope)) as never);
		const response = await stub.fetch('https://steadfetch.coordinator/sync', { method: 'POST', body: JSON.stringify({ scope, message }) });
		if (!response.ok) {
			void response.body?.cancel().catch(() => undefined); // Not read: no connection held for it.
			throw new Error(`The breaker coordinator answered ${response.status}`);
		}

		// Read as the object reads a sync: at most maxMessageBytes, and within answerMs (the longest an isolate waits
		// for a sync): one that stalls or never ends is cancelled, not left reading behind the given-up sync.
		const bytes = await readCapped(response, maxMessageBytes, answerMs);
		if (!bytes) {
			throw new Error(`The breaker coordinator's answer is over ${maxMessageBytes} bytes, or did not end within ${answerMs} ms`);
		}

		return JSON.parse(new TextDecoder().decode(bytes)) as SyncAnswer | ThrottleAnswer;
	}, ambient);
};
