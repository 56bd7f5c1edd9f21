import { storageError, storeFor } from '../shared/deadline.js';
import type { PolicyContext } from '../core/policy.js';
import type { OutboxParts } from '../core/client-types.js';
import { autoStore } from '../stores/auto.js';
import { identityDigest } from '../shared/digest.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import { Drainer } from './drainer.js';
import { createCallSide } from './enqueue.js';
import type { ResolvedOutboxOptions } from './options.js';
import { QueueStore } from './queue-store.js';
import { isRecord, toEntry, withState, type OutboxRecord, type RecordState } from './record.js';
import type { Outbox, OutboxEntry } from './types.js';

/**
 * The offline outbox feature. Eligible mutations that cannot be delivered now (offline, network
 * error, timeout, 408, 429, 5xx after retries, open circuit) are stored in `<name>/outbox` and
 * replayed through the client (fresh default headers and `beforeRequest` hooks, the same
 * Idempotency-Key) when a trigger says delivery may be possible: client start, `online`, the page
 * becoming visible, a successful response from the scope, `breaker:closed`, the timer of the
 * earliest due entry, `flush()`, a Background Sync event (`outboxSyncHandler`).
 */
export function createOutbox(context: PolicyContext, options: ResolvedOutboxOptions): OutboxParts {
	const store = storeFor(context, 'outbox', autoStore);
	const queue = new QueueStore(store, (operation, error, key) => storageError(context, 'outbox', operation, error, key), `steadfetch:${context.name}/outbox`);
	const drainer = new Drainer(context, options, queue, store);
	const cleanups: Array<() => void> = [];
	let startPending = false;

	const touch = (): void => {
		if (startPending) {
			startPending = false;
			void drainer.trigger();
		}
	};

	const { appliesTo, wrap, layer } = createCallSide({ context, options, queue, drainer, touch });

	const read = async (state: RecordState): Promise<Array<{ key: string; record: OutboxRecord }>> => {
		const found: Array<{ key: string; record: OutboxRecord }> = [];
		for (const key of await queue.keys()) {
			if (key.state === state) {
				const record = await queue.get(key.key).catch(() => undefined);
				if (isRecord(record)) {
					found.push({ key: key.key, record });
				}
			}
		}

		return found;
	};

	const outbox: Outbox = {
		async size() {
			return (await queue.keys()).filter((key) => key.state === 'p').length;
		},
		async list(): Promise<OutboxEntry[]> {
			return (await read('p')).map(({ record }) => toEntry(record));
		},
		async deadLetters(): Promise<OutboxEntry[]> {
			return (await read('d')).map(({ record }) => toEntry(record));
		},
		async flush() {
			return drainer.trigger({ force: true, unpause: true });
		},
		async retry(id) {
			const found = (await read('d')).find(({ record }) => record.id === id);
			if (!found) {
				throw new SteadfetchError(`No dead letter with id ${id}`, 'OUTBOX_NOT_FOUND', false);
			}

			const { key, record } = found;
			const now = context.clock.now();
			delete record.deadReason;
			Object.assign(record, { attempts: 0, nextAttemptAt: now, retainFrom: now });
			await queue.set(withState(key, 'p'), record);
			await queue.delete(key);
			void drainer.trigger({ unpause: record.scope });
		},
		async discard(id) {
			await Promise.all((await queue.keys()).filter((key) => key.id === id).map(async (key) => queue.delete(key.key)));
		},
	};

	const listen = (target: EventTarget | undefined, type: string, listener: () => void): void => {
		if (typeof target?.addEventListener === 'function') {
			const remove = target.removeEventListener.bind(target);
			target.addEventListener(type, listener);
			cleanups.push(() => remove(type, listener));
		}
	};

	return {
		members: { outbox },
		substituted: (response) => response.headers.has('steadfetch-outbox-entry') ? 'queued' : undefined,
		layer,
		wrap,
		appliesTo,
		start() {
			listen(globalThis as unknown as EventTarget, 'online', () => void drainer.trigger({ force: true, unpause: true }));
			const document_ = (globalThis as { document?: Document }).document;
			listen(document_, 'visibilitychange', () => {
				if (document_?.visibilityState === 'visible') {
					void drainer.trigger({ unpause: true });
				}
			});
			cleanups.push(context.on('breaker:closed', ({ scope }) => void drainer.trigger({ force: scope, unpause: scope })));
			// A new token (here or in another tab) ends the 401/403 pause.
			cleanups.push(context.on('auth:refresh', ({ ok }) => ok && void drainer.trigger({ unpause: true })));
			try {
				// Not at once: nothing touches storage while createClient runs.
				const timer = setTimeout(touch, 0);
				cleanups.push(() => clearTimeout(timer));
				startPending = true;
			} catch {
				// workerd's global scope allows no timers: the first eligible call starts the drain.
				startPending = true;
			}
		},
		close() {
			startPending = false;
			drainer.close();
			queue.close();
			for (const cleanup of cleanups.splice(0)) {
				cleanup();
			}
		},
		async clear(options) {
			const who = options?.identity;
			if (who === undefined) {
				await drainer.exclusively(async () => queue.clear());
				return;
			}

			const digest = await identityDigest(context.name, who);
			await drainer.exclusively(async () => queue.clear((record) => isRecord(record) && record.identity === digest));
		},
	};
}
