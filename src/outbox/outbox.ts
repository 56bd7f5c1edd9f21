import type { OutboxParts } from './types.js';
import type { WaitUntil } from '../core/options.js';
import type { PolicyContext } from '../core/policy.js';
import type { Worlds } from '../core/world.js';
import { closedBy, refuseClosed } from '../core/closing.js';
import { knownIdentity } from '../core/context.js';
import { classify } from '../errors/classify.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { listenBack } from '../utils/listen.js';
import { withoutFragment } from '../utils/sensitive.js';
import { check } from '../utils/validate.js';
import { Drain } from './drain.js';
import { appliesTo, layer, wrapper } from './enqueue.js';
import type { ResolvedOutboxOptions } from './options.js';
import { PendingWrites } from './pending-writes.js';
import { Queue } from './queue.js';
import { diesWithRequest } from './request-bound.js';
import type { Outbox } from './types.js';

/**
 * The offline outbox. Eligible mutations that cannot be delivered now (offline, network error,
 * timeout, 408, 429, 5xx after retries, open circuit) are stored in `<name>/outbox` and replayed
 * through the client (fresh default headers and `beforeRequest` hooks, the same Idempotency-Key)
 * when a trigger says delivery may be possible: client start, `online`, the page becoming visible, a
 * good answer from the scope, `breaker:closed`, `auth:refresh`, the timer of the earliest due entry,
 * `flush()`, a Background Sync event (`outboxSyncHandler`). Those that say a scope came back
 * (`online`, the page visible again, the client's start in a page, a good answer, `breaker:closed`)
 * drain after a random 0–`resumeJitterMs` (`Drain.resume`); `online`, the page visible and the start
 * in a page make every entry due whatever its backoff (API.md "Queued writes notice the API is back").
 */
export function createOutbox(context: PolicyContext, options: ResolvedOutboxOptions): OutboxParts {
	const queue = new Queue(context, options);
	const drain = new Drain(queue);
	const cleanups: Array<() => void> = [];
	// Read your own writes: the pending writes per identity and URL, in memory (the stale cache's `pending-writes`).
	let pending: PendingWrites | undefined;
	// Queued without its fragment (enqueue.ts), as fetch sends it: a read of `/todos/1#a` counts the writes to `/todos/1`.
	// The identity's digest computed first when no call of it asked for it yet (one signed in after a reload).
	context.hooks.pendingWrites = async (url, who) => pending ? pending.count(await queue.digest(who), withoutFragment(url)) : 0;

	/**
	 * A clear the store refused (it rejects, with `error`): what it left pending (each removal the store refused) is counted
	 * again (read your own writes), here and in the other tabs, as a reload counts it: a dependent (`ref()`) whose parents
	 * were delivered under the URL it goes to.
	 */
	const recount = async (error: unknown): Promise<never> => {
		const dependents: string[] = [];
		await queue.forEach(false, ({ id, identity, url, method, refs }) => {
			pending?.queued(id, identity, url, method);
			refs && dependents.push(id);
		});
		await queue.recount(dependents, () => true);
		throw error;
	};

	/** An entry's id as `retry` and `discard` take it: an entry itself (from `list()`) would match none and do nothing. */
	const idOf = (id: unknown, member: string): string => {
		if (typeof id !== 'string') {
			throw new InvalidRequestError(`\`outbox.${member}(id)\` takes an entry's id (a string); got ${typeof id}`);
		}

		return id;
	};

	/**
	 * `client.outbox`, or the one of `client.withContext(ctx)`: its replays hand their background work
	 * (the stale cache's invalidation, persistence) to `waitUntil`. Once its client closed (`closed`), what
	 * would send, revive or remove an entry rejects `CLIENT_CLOSED` before any I/O; the listings still answer.
	 */
	const make = (waitUntil?: WaitUntil, closed = () => queue.closed): Outbox => ({
		size: async () => queue.size(),
		list: async () => queue.entries(false),
		deadLetters: async () => queue.entries(true),
		async flush() {
			refuseClosed(closed);
			return await drain.trigger(true, waitUntil) ?? { sent: 0, failed: 0, dead: 0, remaining: await queue.count() };
		},
		async retry(id) {
			refuseClosed(closed);
			const world = context.world(context.identity());
			const revived = await queue.revive(idOf(id, 'retry'));
			// Pending again: counted (read your own writes), here and in the other tabs; a dependent (`ref()`) whose parents
			// were delivered under the URL it goes to (its placeholders replaced), as at a delivery: its scope may be offline.
			for (const record of revived) {
				pending?.queued(record.id, record.identity, record.url, record.method);
			}

			await queue.recount(revived.flatMap(({ id, refs }) => refs ? [id] : []), (id, identity) => world.current('outbox', id) && world.current('outbox', identity));

			// In Workers, where work no waitUntil keeps alive dies with the request, only with one (withContext):
			// else the next call or flush() replays it.
			diesWithRequest(waitUntil) || drain.soon(revived[0]!.scope, waitUntil);
		},
		// As `client.clear()` does for the outbox (the part's `clear` below), its options checked as that one's are.
		async clear(options) {
			refuseClosed(closed);
			// Options that cannot be read (a Proxy whose traps throw) remove nothing, as `client.clear()`'s: refused, never the trap's error.
			let identity: unknown;
			let taken = options === undefined;
			try {
				identity = options?.identity;
				taken ||= typeof identity === 'string' && identity.length > 0 && Object.keys(Object(options)).join() === 'identity';
			} catch {}

			if (!taken) {
				throw new InvalidRequestError('`outbox.clear()` takes nothing or `{ identity }` with a non-empty string: nothing removed');
			}

			await queue.clear(identity as string | undefined, (who) => pending?.cleared(who)).catch(recount);
		},
		// No longer pending once removed, or its delete kept (a store that did not answer in time): not while the store
		// refused it (the call rejects), pending here as at a reload.
		async discard(id) {
			refuseClosed(closed);
			return queue.discard(idOf(id, 'discard')).finally(() => queue.pending.find(id) || pending?.gone(id));
		},
		ref(entryId, pointer) {
			// Whose it is: while the client's identity() fails, nobody known — refused (`InvalidRequestError`), as a call is. Read
			// as the client reads it (`context.identity()`): what it sees counts for every world (alice's work in flight, src/core/context.ts).
			const placeholder = queue.refs.make(entryId, pointer, () => context.identity() ?? knownIdentity(context.options.identity));
			void queue.ask(entryId, pointer); // Recorded with the stored entry: its value is kept whoever delivers it.
			return placeholder;
		},
		async stats() {
			// One listing for both (an entry buried meanwhile is counted once), each record read once; a pending one
			// that cannot be read counts too, as `size()` counts it (a pass makes it a dead letter), and so do those the
			// store did not answer a read of in time (their bytes unknown).
			const stats = { entries: 0, dead: 0, bytes: 0 };
			const counted = ({ dead }: { dead: boolean }) => stats[dead ? 'dead' : 'entries']++;
			await queue.forEach(undefined, ({ deadReason, body }) => {
				stats[deadReason ? 'dead' : 'entries']++;
				stats.bytes += body?.byteLength ?? 0;
			}, counted, counted);
			return stats;
		},
	});

	return {
		levels: {
			'outbox:queued': 'info', 'outbox:sent': 'info', 'outbox:superseded': 'info', 'outbox:discarded': 'info',
			'outbox:retry': 'warn', 'outbox:conflict': 'warn', 'outbox:dead': 'error',
		},
		members: { outbox: make() },
		// Those of a request's client end as it closes (its `close()`), or as the client does; never the client's.
		membersFor: (waitUntil, onClose) => ({ outbox: make(waitUntil, closedBy(onClose, () => queue.closed)) }),
		// `outbox: false` per call: never queued, but a placeholder of outbox.ref() in it is still refused before any I/O.
		ownSwitch: true,
		// `true` queues a method outside `methods`; anything but a boolean (`'yes'`, `0`) is refused, never read as either.
		checkCall: (value) => check(value === true, 'outbox', value, 'true or false (per call), or left out'),
		// A write kept queued: its 202 (`queuedResponse: 'accepted'`), or its `OutboxQueuedError` (`QUEUED`).
		substituted: (outcome) => (outcome instanceof Response ? outcome.headers.has('steadfetch-outbox-entry') : classify(outcome).code === 'QUEUED') ? 'queued' : undefined,
		// A scope with entries pending (as this client last listed them) keeps its `stats()` counters.
		holds: (scope) => queue.pending.of(scope).length > 0,
		layer: layer(queue, drain),
		wrap: wrapper(queue, drain),
		appliesTo: appliesTo(queue),
		start() {
			const document_ = (globalThis as { document?: Document }).document;
			// One count for the clients of the name and store in this realm (`extend()`: one outbox), made by the first to
			// start, closed with the last; a malformed note is told to every one of them still there (`Worlds.tell`: held weakly; their
			// `Worlds`, made as the first was, read without importing world.ts's code, as part-store.ts does).
			const { stores } = context;
			const counted = (stores.get('#pending') ?? stores.set('#pending', new PendingWrites(context.name, () => (stores.get('#world') as Worlds).tell('storage:error', { part: 'outbox', operation: 'channel', error: new TypeError('Ignored a malformed outbox note from another tab') }))).get('#pending')) as PendingWrites;
			counted.users++;
			counted.most = Math.max(counted.most, options.maxEntries); // Every write it may hold pending counted (API.md "Read your own writes").
			(stores.get('#world') as Worlds | undefined)?.keep(options.maxEntries); // Its removals kept one by one while work is in flight (core/world.ts; a client's context always has them).
			pending = counted;
			const gone = ({ entryId }: { entryId: string }): void => counted.gone(entryId);
			// Queued with the identity of its record (not whoever is signed in when it is stored).
			queue.queued = ({ id, identity, url, method }) => counted.queued(id, identity, url, method);
			// `online`, or the page visible again: every scope came back, every entry due (after `resumeJitterMs` at random), whatever its backoff.
			const back = (): void => void drain.resume(true);
			cleanups.push(
				() => {
					if (!--counted.users) {
						stores.delete('#pending');
						counted.close();
					}
				},
				// Gone once sent, dead, discarded or superseded. Not on `outbox:conflict`: a conflict ends as a
				// dead letter, a discard (each told) or a rebased write, still pending.
				...(['outbox:sent', 'outbox:dead', 'outbox:discarded', 'outbox:superseded'] as const).map((type) => context.on(type, gone)),
				...listenBack(back, back),
				// A breaker's probe got through: its scope came back, after `resumeJitterMs` at random.
				context.on('breaker:closed', ({ scope }) => diesWithRequest() || void drain.resume(scope)),
				// A new token (here or in another tab) ends every scope's 401/403 pause, and drains without making
				// entries due before their time. In Workers an event's listener has no waitUntil to keep a drain
				// alive: the next call of the scope that is answered well drains it, in its own request (the layer's trigger).
				context.on('auth:refresh', ({ ok }) => {
					if (ok) {
						queue.paused.clear();
						diesWithRequest() || void drain.trigger();
					}
				}),
			);
			if (!diesWithRequest()) {
				// Not at once: nothing touches storage while createClient runs. In workerd (no timer outside
				// a request) the first eligible call starts the drain instead.
				// In a page (a reload) every entry queued up to now is due, after the `resumeJitterMs` wait: at the start of the first
				// client of the name and store here, not of one `extend()` made of it later (the page did not load again).
				document_ === undefined || counted.users > 1 || drain.loaded(context.clock.now());
				const timer = setTimeout(() => {
					drain.start();
					// Entries queued before this client started (a reload) are counted too (here and in the other tabs),
					// read once in the background, one record at a time (none kept: its body, a file, may be large, and
					// the queue long); then one removed before it was counted (its removal heard first) is gone from the
					// pending keys made current now (listed again only if the store's span changed), and leaves the count again.
					// Not what a clear that began meanwhile removes (`world`): it told the count first, and its removal may wait for
					// another tab's pass (the drain's lock), so an entry counted after it would stay counted.
					void (async () => {
						const world = context.world(context.identity());
						const current = (id?: string, identity?: string): boolean => world.current('outbox', id) && world.current('outbox', identity);
						const ids: string[] = [];
						// A dependent (`ref()`) whose parent was delivered goes to a URL known now: counted under it (as a pass would).
						const dependents: string[] = [];
						await queue.forEach(false, ({ id, identity, url, method, refs }) => {
							if (current(id, identity)) {
								counted.queued(id, identity, url, method);
								ids.push(id);
								refs && dependents.push(id);
							}
						});

						await queue.refresh();
						for (const id of ids) {
							queue.pending.find(id) || counted.gone(id);
						}

						await queue.recount(dependents, current);
					})();
				}, 0);
				cleanups.push(() => clearTimeout(timer));
			}
		},
		close() {
			queue.close();
			drain.close();
			for (const cleanup of cleanups.splice(0)) {
				cleanup();
			}
		},
		// No longer counted pending: all, or that identity's writes (here and in the other tabs).
		clear: async (which) => queue.clear(which?.identity, (identity) => pending?.cleared(identity)).catch(recount),
	};
}
