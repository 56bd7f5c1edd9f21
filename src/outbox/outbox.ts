import type { OutboxParts } from '../core/client-types.js';
import type { WaitUntil } from '../core/options.js';
import type { PolicyContext } from '../core/policy.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import { background, partStore, requestScoped } from '../shared/part-store.js';
import { autoStore } from '../stores/auto.js';
import { createDrain } from './drain.js';
import { createCallSide } from './enqueue.js';
import type { ResolvedOutboxOptions } from './options.js';
import { listKeys, pendingCount, type Queue } from './queue.js';
import { isRecord, toEntry } from './record.js';
import type { Outbox, OutboxEntry } from './types.js';

/**
 * The offline outbox. Eligible mutations that cannot be delivered now (offline, network error,
 * timeout, 408, 429, 5xx after retries, open circuit) are stored in `<name>/outbox` and replayed
 * through the client (fresh default headers and `beforeRequest` hooks, the same Idempotency-Key)
 * when a trigger says delivery may be possible: client start, `online`, the page becoming visible, a
 * good answer from the scope, `breaker:closed`, `auth:refresh`, the timer of the earliest due entry,
 * `flush()`, a Background Sync event (`outboxSyncHandler`).
 */
export function createOutbox(context: PolicyContext, options: ResolvedOutboxOptions): OutboxParts {
	const queue: Queue = {
		context, options, store: partStore(context, 'outbox', autoStore), keys: [], known: new Map(), paused: new Set(), inFlight: new Set(), epoch: 0,
	};
	const { store, paused } = queue;
	const drain = createDrain(queue);
	const cleanups: Array<() => void> = [];

	const read = async (dead: boolean): Promise<OutboxEntry[]> => {
		const entries: OutboxEntry[] = [];
		for (const key of await listKeys(queue)) {
			const record = key.dead === dead ? await store.get(key.key) : undefined;
			if (isRecord(record)) {
				entries.push(toEntry(record));
			}
		}

		return entries;
	};

	/**
	 * `client.outbox`, or the one of `client.withContext(ctx)`: its replays hand their background work
	 * (the stale cache's invalidation, persistence) to `waitUntil`.
	 */
	const make = (waitUntil?: WaitUntil): Outbox => ({
		size: async () => pendingCount(queue),
		list: async () => read(false),
		deadLetters: async () => read(true),
		flush: async () => await drain(true, waitUntil) ?? { sent: 0, failed: 0, dead: 0, remaining: await pendingCount(queue) },
		async retry(id) {
			const key = (await listKeys(queue)).find((each) => each.dead && each.id === id)?.key;
			const record = key && await store.get(key);
			if (!key || !isRecord(record)) {
				throw new SteadfetchError(`No dead letter with id ${id}`, 'OUTBOX_NOT_FOUND', false);
			}

			const now = context.clock.now();
			delete record.deadReason;
			Object.assign(record, { attempts: 0, nextAttemptAt: now, retainFrom: now });
			await store.set(`p${key.slice(1)}`, record);
			await store.delete(key);
			await listKeys(queue);
			// In Workers, where work no waitUntil holds dies with the request, only with one (withContext):
			// else the next call or flush() replays it.
			(!waitUntil && requestScoped()) || background(context, 'outbox', waitUntil, async () => drain(record.scope, waitUntil));
		},
		async discard(id) {
			for (const { key } of (await listKeys(queue)).filter((each) => each.id === id)) {
				await store.delete(key);
			}
		},
	});

	const listen = (target: EventTarget | undefined, type: string, listener: () => void): void => {
		if (typeof target?.addEventListener === 'function') {
			const remove = target.removeEventListener.bind(target); // Bound now: the target may lose it later (a test's fake window).
			target.addEventListener(type, listener);
			cleanups.push(() => remove(type, listener));
		}
	};

	/**
	 * End every scope's 401/403 pause and drain, without making entries due before their time. In
	 * Workers an event's listener has no waitUntil to hold a drain: the next call of the scope that
	 * is answered well drains it, in its own request (the layer's trigger).
	 */
	const resume = (): void => {
		paused.clear();
		requestScoped() || void drain();
	};

	const { appliesTo, wrap, layer } = createCallSide(queue, drain);
	return {
		members: { outbox: make() },
		membersFor: (waitUntil) => ({ outbox: make(waitUntil) }),
		substituted: (response) => response.headers.has('steadfetch-outbox-entry') ? 'queued' : undefined,
		// A scope with entries pending (as this client last listed them) keeps its `stats()` counters.
		holds: (scope) => queue.keys.some((key) => key.scope === scope),
		layer,
		wrap,
		appliesTo,
		start() {
			const document_ = (globalThis as { document?: Document }).document;
			listen(globalThis as unknown as EventTarget, 'online', () => void drain(true));
			listen(document_, 'visibilitychange', () => document_?.visibilityState === 'visible' && resume());
			cleanups.push(
				context.on('breaker:closed', ({ scope }) => requestScoped() || void drain(scope)),
				// A new token (here or in another tab) ends the 401/403 pause.
				context.on('auth:refresh', ({ ok }) => ok && resume()),
			);
			if (!requestScoped()) {
				// Not at once: nothing touches storage while createClient runs. In workerd (no timer outside
				// a request) the first eligible call starts the drain instead.
				const timer = setTimeout(() => queue.started || void drain(), 0);
				cleanups.push(() => clearTimeout(timer));
			}
		},
		close() {
			queue.closed = true;
			drain.close();
			for (const cleanup of cleanups.splice(0)) {
				cleanup();
			}
		},
		clear: async (which) => drain.clear(which?.identity),
	};
}
