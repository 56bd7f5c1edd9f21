import type { PolicyCall, RunOptions } from '../core/policy.js';
import type { Call } from '../core/call.js';
import { isOffline } from '../utils/online.js';
import { withoutFragment } from '../utils/sensitive.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { classify, classifyStatus } from '../errors/classify.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { OutboxFullError } from '../errors/OutboxFullError.js';
import { OutboxQueuedError } from '../errors/OutboxQueuedError.js';
import { isSteadfetchError, SteadfetchError } from '../errors/SteadfetchError.js';
import { background, storageMs } from '../core/part-store.js';
import type { Drain } from './drain.js';
import { follow, settleHeld } from './early.js';
import { headersOf, isSensitive, storedHeaders } from './headers.js';
import { defer, isDeferred } from './defer.js';
import { messageOf, scheduleOf } from './outcome.js';
import { noLeaseMs, Queue, type Budget } from './queue.js';
import { bounded, headersFit, initNames, makeKey, maxListed, overwritten, type OutboxRecord } from './record.js';
import { at, isValues, linkKey, parentsOf, substitute, valuesKey, type Ref, type Values } from './refs.js';
import { overQuota } from './quota.js';
import { reads } from './options.js';
import { bytesOf, jsonText, snapshotBody, tooLarge, type BodySnapshot } from './snapshot.js';
import { diesWithRequest } from './request-bound.js';
import { registerSync } from './register-sync.js';
import { secretUrl, targetOf } from './target.js';
import { within } from '../utils/within.js';
import { readCapped } from '../utils/read-capped.js';
import { isPrintableId, unmarked } from '../utils/validate.js';
import { heldRequest, randomUuid } from '../utils/runtime.js';
import { callerKeyed } from '../utils/caller-keyed.js';

/**
 * The call side of the outbox: `wrap` snapshots and checks an eligible call before any I/O, fixes its
 * Idempotency-Key, and stores it when it cannot be delivered; `layer` holds an eligible attempt that
 * must not go out (offline: `OFFLINE`; entries of its scope this client would replay now waiting:
 * `BEHIND`, FIFO), refuses a replay's attempt the queue no longer admits, and makes a good answer of
 * a scope with pending entries a drain trigger — also for entries this client never saw (queued by
 * an isolate that is gone: the store is listed on a good answer at most every 10 s). Both ask the
 * queue, which owns the state.
 */

/**
 * The sequence number of an entry's key, after its call's start: one counter for every client this
 * module serves, so writes that clients of one name make within the same millisecond keep the order
 * they were called in.
 */
let sequence = 0;

/** The body bytes of this realm's writes being stored (from their quota check until stored or refused): counted as used by the checks meanwhile. */
let storing = 0;

/**
 * Whether a body is a stream: one fetch reads once as it sends it — a `ReadableStream`, or where fetch
 * takes them an async iterable (Node's and Deno's: a Node stream, `fs.createReadStream`) or an iterator
 * (Deno's: a generator of bytes). Read for the outbox, its first attempt would send what was left: nothing.
 */
const streamed = (body: unknown): boolean => body instanceof ReadableStream || Symbol.asyncIterator in Object(body) || typeof Object(body).next === 'function';

/**
 * Whether the outbox can store a call: an eligible one (not a replay, nor a read whatever its `outbox` option; its
 * method, or its `outbox` option, says the outbox takes it) whose URL `href` and header `values` (when known) carry no sensitive query parameter and whose
 * body is no stream (`streamed`: never read into memory for the outbox, sent as with `outbox: false`).
 */
const queueable = ({ context, options }: Queue, call: PolicyCall, href: string, values?: Iterable<string>): boolean =>
	!call.replay && !reads.test(call.method) && (call.options.outbox === true || (call.options.outbox !== false && options.methods.has(call.method))) && !streamed(call.options.body) && !opaque.has(call) && !secretUrl(context, href, values);

/**
 * Calls whose ky `init` hooks gave a body the outbox cannot read as ky builds the request (a Blob, a
 * FormData, a stream): never stored (what a replay would send is unknown), sent as with `outbox: false`.
 */
const opaque = new WeakSet<PolicyCall>();

/**
 * An eligible call, unless its URL carries a sensitive query parameter (a presigned upload) or its
 * body is a stream (`streamed`): such a write is never stored, so it goes out as with `outbox: false` —
 * decided before any body is read.
 */
export const appliesTo = (queue: Queue) => (call: PolicyCall): boolean => {
	const href = targetOf(call, queue.context.options)?.href;
	return queueable(queue, call, href ?? '') || queue.refs.in(call, href, queue.context.options.headers, call.options.stringifyJson ?? queue.context.options.stringifyJson).size > 0 || requestBodyOf(queue, call);
};

/**
 * Whether the wrapper stores a call that fails (`queueable` as the call gives its URL, before any hook): only such a call's
 * attempt is held (`defer`), never one sent as with `outbox: false` whose hooks made it look queueable.
 */
const holdable = (queue: Queue, call: PolicyCall): boolean => {
	const href = targetOf(call, queue.context.options)?.href;
	return href !== undefined && queueable(queue, call, href);
};

/** Whether a call's body is its `Request` input's, which only the wrapper can read for this client's placeholders (once it made one). */
const requestBodyOf = (queue: Queue, call: PolicyCall): boolean =>
	queue.refs.making && call.input instanceof Request && call.input.body !== null && call.options.body == null && call.options.json === undefined;

/** Refuses this client's placeholders in the bytes of a `Request` input's body (`requestBodyOf`): they could never be replaced (only a call's own body and `json` are read for them). */
const refuseRequestBodyRefs = (queue: Queue, bytes: ArrayBuffer | null | undefined): void => {
	if (bytes && queue.refs.inBytes(bytes).size > 0) {
		throw new InvalidRequestError('A placeholder of outbox.ref() in a Request\'s body: never replaced');
	}
};

/**
 * A call holding placeholders of this client's `outbox.ref()`, before any I/O: each must be of the
 * call's identity and name an entry pending (the call is queued behind it) or delivered with its
 * values kept (the drain replays the call at once, the values in place); else, or when the outbox
 * cannot queue the call, an `InvalidRequestError`. For an entry this client does not know as pending,
 * the queue is refreshed first (`Queue.refresh`: a listing only when the store's span disagrees).
 */
const dependencies = async (queue: Queue, call: PolicyCall, href: string): Promise<void> => {
	const budget = queue.budgets.get(call);
	const found = queue.refs.in(call, href, queue.context.options.headers, call.options.stringifyJson ?? queue.context.options.stringifyJson);
	if (found.size === 0) {
		return;
	}

	// As many as a stored record may name (`isRecord`), as a write may wait for.
	if (found.size > maxListed) {
		throw new InvalidRequestError(`A call may hold at most ${maxListed} placeholders of outbox.ref()`);
	}

	if (queue.refs.inFiles(call.options.body).size > 0) {
		throw new InvalidRequestError('A placeholder of outbox.ref() in a FormData file part: never replaced');
	}

	const refs: Record<string, Ref> = {};
	const dependsOn = new Set<string>();
	const now = queue.context.clock.now();
	const identity = await queue.digest(call.identity); // Whose values it may use, and keeps (`clear({ identity })` removes them).
	// Each entry's kept values read once (`undefined` unread: the store did not answer), and written once (`changed`), whatever the number of its placeholders.
	const read = new Map<string, { kept: unknown } | undefined>();
	const changed = new Map<string, Values>();
	for (const [placeholder, ref] of found) {
		if (ref.who !== call.identity) {
			throw new InvalidRequestError('A placeholder of outbox.ref() made under another identity');
		}

		refs[placeholder] = { entry: ref.entry, pointer: ref.pointer };
		// Not known as pending here: the store's span says whether another client changed what is pending (no listing per write).
		if (!queue.pending.find(ref.entry)) {
			await queue.refresh(budget);
		}

		if (queue.pending.find(ref.entry)) {
			dependsOn.add(ref.entry);
			continue;
		}

		const early = queue.refs.early.get(ref.entry);
		if (!read.has(ref.entry)) {
			read.set(ref.entry, await queue.read(valuesKey(ref.entry), true, budget).then((kept) => ({ kept }), () => undefined));
		}

		const got = read.get(ref.entry);
		const kept = changed.get(ref.entry) ?? got?.kept;
		// Not once the outbox was cleared since it was delivered, by any client of the name (its call's world).
		const value = early && early.until > now && early.world.current('outbox', ref.entry) ? at(early.answer, ref.pointer) : undefined;
		if (!got && !value) {
			// The store did not answer (its values may well be kept): a storage failure never fails the call. Queued behind
			// the entry as behind a pending one; the pass reads its values once the store answers (Pass#resolve).
			dependsOn.add(ref.entry);
			continue;
		}

		// Values of another identity's answer are none: never sent in this identity's request.
		const held = isValues(kept) && kept.identity === identity && Object.hasOwn(kept.values, ref.pointer);
		if (value && !held) {
			// Delivered early, its answer still in memory: the value is kept for the dependent's replay (written below, once).
			const values = changed.get(ref.entry) ?? (isValues(kept) ? { ...kept, values: { ...kept.values } } : { v: 1 as const, values: {}, at: now, identity });
			values.values[ref.pointer] = value.value;
			changed.set(ref.entry, values);
		} else if (!held) {
			throw await unusable(queue, ref.entry, [ref.pointer], isValues(kept) && kept.identity === identity, budget);
		}
	}

	for (const [entry, values] of changed) {
		await queue.store.set(valuesKey(entry), values, budget);
	}

	if (dependsOn.size > maxListed) {
		throw new InvalidRequestError(`A write may wait for at most ${maxListed} outbox entries`);
	}

	const headers = dependsOn.size > 0 ? [queue.context.options.headers, call.options.headers, call.input instanceof Request && call.input.headers].flatMap((given) => {
		try {
			return given ? [...headersOf(given)] : [];
		} catch {
			return []; // Headers fetch refuses: the call's own check names them.
		}
	}) : [];
	if (dependsOn.size > 0 && !queueable(queue, call, href, headers.map(([, value]) => value))) {
		throw new InvalidRequestError(unqueueable);
	}

	// One in a header the outbox never stores (a credential, `sensitiveHeaders`: API.md "Sensitive data") could only be
	// replayed without it: a call it cannot store, as one with a body it cannot store.
	const secret = headers.find(([name, value]) => isSensitive(queue, name) && [...found].some(([placeholder, ref]) => dependsOn.has(ref.entry) && value.includes(placeholder)));
	if (secret) {
		throw new InvalidRequestError(`A placeholder of a pending outbox entry in the ${secret[0]} header, which the outbox never stores: its write could only be replayed without it`);
	}

	queue.dependents.set(call, { dependsOn: [...dependsOn], refs });
};

/**
 * The error of a call holding a placeholder of `entry` that names no entry pending, nor one whose values at `pointers`
 * are kept, saying what became of it (API.md: unknown — never queued, discarded, cleared, its value no longer kept — or
 * a dead letter): `delivered` when values of its answer are kept, not those; a dead letter when the store lists it as
 * one. Only on that failure: the store listed once (a listing that fails tells nothing).
 */
const unusable = async (queue: Queue, entry: string, pointers: string[], delivered: boolean, budget?: Budget): Promise<InvalidRequestError> => {
	const dead = await queue.list(false, budget).then((keys) => keys.some((each) => each.dead && each.id === entry), () => false);
	const value = `its value at ${pointers.join(', ')}`;
	return new InvalidRequestError(`outbox.ref(): entry ${entry} ${dead ? 'is a dead letter' : delivered ? `was delivered; ${value} is not kept` : `is unknown (never queued, discarded or cleared) or ${value} is no longer kept`}`);
};

const unqueueable = 'A call holding a placeholder of a pending outbox entry must be one the outbox can queue';

/** A body of bytes the app gave (a `Blob`, `File`, `ArrayBuffer` or typed array): replayed byte-identical, never read for placeholders. */
const isBytes = (body: unknown): boolean => body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body);

/**
 * The record of a call that failed with `error` (or that the layer held), as it is stored; with
 * `until`, of a call queued at its deadline whose attempt goes on: leased until then, no failure yet.
 */
const recordOf = async (queue: Queue, call: PolicyCall, request: Request, snapshot: BodySnapshot, error: unknown, idempotencyKey: string, until?: number): Promise<OutboxRecord> => {
	const { context, options } = queue;
	const now = context.clock.now();
	const { method, url } = request;
	const given = call.options as Record<string, unknown>;
	const init = Object.fromEntries(initNames.flatMap((name) => typeof given[name] === 'string' ? [[name, given[name] as string]] : []));
	const identity = await queue.digest(call.identity);
	const dependent = queue.dependents.get(call);
	// The client's own headers the call removed: a name only, never a value (a sensitive one included).
	const without = [...headersOf(context.options.headers).keys()].filter((name) => !request.headers.has(name));
	// Its request id, which its replays continue (their attempt:* events, log records, spans), whatever the origin: the header
	// `trace()` or `otel()` names (`header`) is stored only where it was sent, and never the id of a header the outbox never stores.
	const header = (context.options.trace as { header?: string } | undefined)?.header;
	const requestId = header && !isSensitive(queue, header.toLowerCase()) ? context.hooks.requestIdOf?.(call) : undefined;
	const record: OutboxRecord = {
		v: 1, id: randomUuid(), method, url: withoutFragment(url), ...storedHeaders(queue, request.headers, snapshot.type), idempotencyKey, createdAt: now,
		attempts: isSteadfetchError(error) ? 0 : 1, nextAttemptAt: now, scope: context.scopeOf(url), version: options.version,
		...identity !== undefined && { identity }, ...snapshot.body && { body: snapshot.body }, bodyBytes: snapshot.body?.byteLength ?? 0, ...until !== undefined && { inFlightUntil: until },
		...dependent && { dependsOn: dependent.dependsOn, refs: dependent.refs, ...isBytes(given['body']) && { bytes: true }, ...given['json'] !== undefined && { json: true } }, ...without.length > 0 && { without },
		...Object.keys(init).length > 0 && { init }, ...given['auth'] === false && { auth: false }, ...requestId && { requestId },
		// The key is the caller's (its option, its call's or Request's header: the ones it is taken from), not the outbox's.
		...callerKeyed(call, undefined) && { keyed: true },
	};
	if (dependent && !dependent.dependsOn.length) {
		// Its entries all delivered, its attempt went out with their kept values in place: stored as it was sent (its
		// URL counted pending, coalesced and made conditional as such; its `bodyBytes` the body's as sent).
		const values = new Map<string, Record<string, unknown>>();
		for (const entry of parentsOf(dependent.refs)) {
			const kept = await queue.read(valuesKey(entry), false, queue.budgets.get(call)).catch(() => undefined);
			if (isValues(kept) && kept.identity === identity) {
				values.set(entry, kept.values);
			}
		}

		const parts = substitute({ url: record.url, headers: record.headers, idempotencyKey, json: record.json, ...record.body && !record.bytes && { body: record.body } }, dependent.refs, values);
		const preconditions = substitute({ url: '', headers: record.preconditions ?? {} }, dependent.refs, values);
		if (typeof parts !== 'string' && typeof preconditions !== 'string') {
			Object.assign(record, parts, record.preconditions && { preconditions: preconditions.headers }, { bodyBytes: (parts.body ?? record.body)?.byteLength ?? 0 });
			// Its values in place: its replay reads no kept value (a tab of an older build may prune them past 24 h). Still
			// recorded with them below (`keep`): a `ref()` of them made meanwhile still resolves.
			delete record.refs;
		}
	}

	if (until === undefined && !isDeferred(context, call, error)) {
		const response = (error as { response?: Response }).response;
		const status = response?.status;
		const { at, pinned } = scheduleOf(response, error, record, options, now, context.random);
		Object.assign(record, { lastError: { code: bounded(classify(error).code), message: messageOf(error, context), ...status && { status } }, nextAttemptAt: at, pinned });
	}

	return record;
};

/**
 * With `conditional`, a PUT, PATCH or DELETE without a precondition (its own, or the oldest of the
 * writes it supersedes) takes the stale cache's validator of its URL, for its call's identity.
 */
const capture = async ({ context, options }: Queue, call: PolicyCall, record: OutboxRecord): Promise<void> => {
	if (!record.preconditions && options.conditional && overwritten.test(record.method)) {
		// The stale cache's copy of this URL for this identity and these credentials (the call's Request: a read of them would be
		// answered with that copy, never another `Authorization`'s), if it has one (its documented hook).
		const validator = await Promise.resolve().then(async () => context.hooks.validatorOf?.(record.url, call.identity, call.request ?? new Request(record.url, { headers: call.options.headers as HeadersInit }))).catch(() => undefined);
		const etag = validator?.etag;
		const precondition = etag && !etag.startsWith('W/') ? { 'if-match': etag } : validator?.lastModified ? { 'if-unmodified-since': validator.lastModified } : undefined;
		if (precondition) {
			record.preconditions = precondition;
		}
	}
};

/**
 * Store a call that cannot be delivered now: `OutboxQueuedError`, or the 202 of `queuedResponse:
 * 'accepted'`, in its scope's order at `made` (its call's start and sequence: the order of the calls,
 * not of their failures). `run` (with `until`): the call reached its deadline and its attempt goes on — the
 * entry is claimed here before it is stored, leased until `until`, and followed (`follow`).
 */
const enqueue = async (queue: Queue, drain: Drain, call: PolicyCall, request: Request, snapshot: BodySnapshot, error: unknown, idempotencyKey: string, made: [number, number], run?: Promise<Response>, until?: number): Promise<Response> => {
	// Its body's bytes count as used for the quota checks of the writes made meanwhile, until it is stored or refused.
	const bytes = snapshot.body?.byteLength ?? 0;
	const before = storing;
	storing += bytes;
	// Its call's world is asked of its entry and of those it depends on until it is stored, or its attempt followed to its
	// end (`follow`): the removals of other entries noted meanwhile, however many, never count as its own (`Queue.hold`, let go once).
	const letGo = queue.hold(call.world);
	let followed = false;
	try {
		const { context, options } = queue;
		const budget = queue.budgets.get(call);
		// Not stored, `OutboxFullError` (`reason`), before any byte is written (a coalescing write supersedes nothing): what was queued stays.
		const refuse = async (reason: 'quota' | 'entries' | 'size', message = reason === 'quota' ? 'Storing it would leave less than 10 % of the storage quota free: not stored' : 'The outbox is full (outbox.maxEntries): not stored'): Promise<Response> => {
			const full = (cause: unknown): OutboxFullError => new OutboxFullError(message, { reason, cause });
			if (run) {
				// Its attempt goes on: the caller waits for it as for a write that cannot be stored.
				return run.catch((failure: unknown) => {
					throw storable(context, call, failure) ? full(failure) : failure;
				});
			}

			throw full(error);
		};
		if (await budget!(overQuota(bytes, storageMs(context), before))) {
			return refuse('quota');
		}

		const record = await recordOf(queue, call, request, snapshot, error, idempotencyKey, until);
		if (!headersFit(record)) {
			return refuse('size', 'Its headers are over 256 fields or 1,048,576 characters, more than the outbox stores: not stored');
		}

		// The write an entry pending already is (a page's outbox replaying through its service worker an entry of their one
		// store: `Queue.holding`): told queued as that entry, never stored twice. Its attempt, if it goes on (its deadline), is
		// that entry's: claimed here (this client's drain skips it meanwhile) and followed to its end (`settleHeld`), its
		// delivery the entry's. Only a key the caller gave (a page's replay carries its entry's) can be an entry's: one the
		// outbox made is new. Held behind that very entry (FIFO), the write went nowhere: its scope is drained now (or once the
		// attempt that goes on ended), as the page's trigger (a flush, `online`, a reload) would drain it, which a service worker has none of.
		const found = record.keyed && call.world.current('outbox') ? await queue.holding(record, budget).catch(() => undefined) : undefined;
		// Asked of its call's world once found (held since the call started: `Queue.hold`): an entry discarded, or an outbox cleared,
		// while it was looked for is none to be told "queued" as. The write is then what it is without it (below: stored as an
		// entry of its own; after a clear, not stored).
		const held = found && call.world.current('outbox', found.id) ? found : undefined;
		if (held !== undefined) {
			const drainScope = (): void => {
				context.reachability(record.scope) === 'offline' || drain.soon(record.scope, call.waitUntil);
			};
			if (run && queue.claim(held.id)) {
				const kept = context.world(call.identity);
				followed = true;
				background(context, 'outbox', call.waitUntil, async () => settleHeld(queue, call, held.record, held.key, run, kept).finally(() => {
					letGo();
					drainScope();
				}));
			} else {
				void run?.catch(() => undefined); // Claimed already: a replay of this client is in flight, whose outcome settles it.
				drainScope();
			}

			return queuedAs(options.queuedResponse, held.id, error);
		}

		const { id, createdAt, nextAttemptAt } = record;
		// Where its call was made, after the newest pending entry of its scope not called after it here (FIFO by
		// call: an older call of this realm that failed later goes first); another tab's, even of the same
		// millisecond, counts as called before (its own sequence).
		const [time, order] = made;
		const pending = queue.pending.of(record.scope);
		let newest = pending.length - 1;
		while (newest >= 0 && (queue.order.get(pending[newest]!.id) ?? -1) > order) {
			newest--; // From the newest back, past only this realm's later calls: no cost per entry queued.
		}

		const [, at = 0, seq = -1] = pending[newest]?.key.split('|') ?? [];
		const key = time > +at ? makeKey('p', time, order, id, record.scope) : makeKey('p', +at, Math.max(order, +seq + 1), id, record.scope);
		if (run) {
			queue.claim(id); // Before anyone can list it: no pass of this client replays it while its attempt is in flight.
		}

		// Cleared (all, or its identity's) or another identity since the call started: never stored (src/core/world.ts);
		// or `maxEntries` pending when it was to be stored, or the store refused it for its quota: refused.
		let over = false;
		let quota = false;
		// The pointers it asks for, recorded with each entry it depends on before it is stored (no pass meets it
		// before they are): whichever tab delivers one keeps their values.
		const asks = new Map<string, string[]>();
		for (const { entry, pointer } of Object.values(record.refs ?? {})) {
			(asks.get(entry) ?? asks.set(entry, []).get(entry)!).push(pointer);
		}

		// An entry it depends on discarded or cleared since its call started (src/core/world.ts): never stored behind it.
		const gone = (): string | undefined => record.dependsOn?.find((parent) => !call.world.current('outbox', parent));
		const notStored = async (): Promise<Response> => {
			queue.release(id);
			if (over || quota) {
				return quota ? refuse('quota', 'Storage quota exceeded: not stored') : refuse('entries');
			}

			if (run) {
				return run;
			}

			throw isDeferred(context, call, error) ? await unsent(queue, gone(), asks, budget) : error;
		};
		// What its own attempt's delivery is checked against when it keeps values (`follow`): the clears and removals
		// since now, not who is signed in then (an identity change holds the chain whole: its dependents wait for it).
		const kept = context.world(call.identity);
		if (!call.world.current('outbox')) {
			return notStored();
		}

		for (const parent of record.dependsOn ?? []) {
			const asked = asks.get(parent) ?? [];
			// Under the entry's lock (`Queue.mark`): its delivery (in any tab) reads the pointers and removes it under the same
			// lock. Not written back once discarded or cleared (src/core/world.ts): a removed entry is never revived.
			// Delivered since the call was checked (its values kept before it was removed): its replay reads the values
			// kept, if they hold what it asks. A store that did not answer (`undefined`, or the read of the values kept): queued
			// behind it all the same (a storage failure never fails the call; its delivery here keeps what `ref()` asked, the pass reads the values).
			const marked = await queue.mark(parent, call.world, asked, record.id, budget).catch(() => undefined);
			const kept = marked === false && await queue.read(valuesKey(parent), true, budget).catch(() => false as const);
			if (kept !== false && !(isValues(kept) && asked.every((pointer) => Object.hasOwn(kept.values, pointer)))) {
				// Delivered (or gone) before its pointers could be recorded: the values it asks for are not kept. Nothing is stored.
				queue.release(id);
				throw await unusable(queue, parent, asked, isValues(kept) && kept.identity === record.identity, budget);
			}
		}

		// An entry it refers to that was delivered keeps its values while this write is stored (`Queue.prune`): recorded
		// by a key of its own (`linkKey`), the values not written again per dependent.
		// (An entry still pending has none yet: its delivery keeps them, with the dependents recorded above.)
		const keep = async (entry: string): Promise<void> => {
			const kept = await queue.read(valuesKey(entry), false, budget);
			if (isValues(kept) && call.world.current('outbox')) {
				await queue.store.set(linkKey(entry, record.id), 1, budget);
			}
		};
		const done = new Set(record.dependsOn);
		for (const entry of parentsOf(queue.dependents.get(call)?.refs)) {
			done.add(entry);
			await keep(entry);
		}

		// A coalescing PUT or DELETE removes the writes it supersedes only once it is stored itself.
		// Stored only in the world its call started in, and while fewer than `maxEntries` are pending (written ones
		// included: writes made at once, each counted before any was stored), with no await between the checks and the write.
		const stored = await queue.supersede(record, key, async (replacing, from) => {
			await capture(queue, call, record);
			// The entries named by the placeholders of a precondition it inherits (`Queue.supersede`): it is recorded with them,
			// as above — with a pending one, or with the values kept of one delivered since the write it supersedes was queued.
			for (const entry of parentsOf(record.refs)) {
				if (!done.has(entry)) {
					done.add(entry);
					await queue.mark(entry, call.world, [], id, budget).catch(() => false) || await keep(entry).catch(() => undefined);
				}
			}

			over = queue.pending.size - replacing >= options.maxEntries; // Counted in place of the entries it supersedes (`coalesce`).
			if (!over && call.world.current('outbox') && !gone()) {
				queue.order.set(id, order);
				// Noted as pending at once: a write made then is held behind it. Refused for the quota while the caller waits
				// (`fresh`): not kept, never told "queued" (past the wait, or any other failure: kept in memory, `storage:error`).
				quota = await queue.store.set(key, record, budget, true, from).then(() => false, () => true);
				// A clear (all, or of its identity) that began while the store took it removed it: never told "queued".
				return !quota && kept.current('outbox', id);
			}

			return false;
		}, budget);
		if (!stored) {
			return notStored(); // Cleared or another identity while its pointers were recorded.
		}

		// Told and counted while it is pending: not once it left the queue as the store took it (a write of its URL made
		// meanwhile superseded it, told `outbox:superseded`), though its caller is told it was queued (it was stored).
		if (queue.pending.find(id)) {
			queue.queued?.(record); // Counted for the record's identity, whoever is signed in now.
			queue.emit('outbox:queued', record, { code: classify(error).code });
			if (record.dependsOn?.length) {
				queue.emit('outbox:waiting', record, { dependsOn: record.dependsOn });
			}
		}

		registerSync(context.name);
		if (run) {
			queue.followed(call, id, kept);
			background(context, 'outbox', call.waitUntil, async () => {
				followed = true;
				return follow(queue, drain, call, { ...record }, key, run, kept).finally(letGo);
			});
		} else if (nextAttemptAt > createdAt) {
			drain.arm(nextAttemptAt);
		} else if (context.reachability(record.scope) !== 'offline') {
			// Queued behind older entries of its scope: they may be due.
			drain.soon(undefined, call.waitUntil);
		}

		return queuedAs(options.queuedResponse, id, error);
	} finally {
		storing -= bytes;
		followed || letGo();
	}
};

/**
 * The error of a write the layer held before any I/O (`OFFLINE`, `BEHIND`: the outbox's own codes, never its caller's) that
 * was not stored: with `parent`, an entry its placeholders name removed meanwhile (`unusable`, as for a call made now);
 * else its own entry was (a clear, a discard, another identity): `ABORTED`, as a replay of a removed entry.
 */
const unsent = async (queue: Queue, parent: string | undefined, asks: Map<string, string[]>, budget?: Budget): Promise<SteadfetchError> =>
	parent === undefined ? Queue.refused() : unusable(queue, parent, asks.get(parent) ?? [], false, budget);

/** How a caller is told its write is queued as entry `id` (`queuedResponse`): the `202`, else `OutboxQueuedError` (rejected). */
const queuedAs = (queuedResponse: string, id: string, error: unknown): Response => {
	if (queuedResponse === 'accepted') {
		return Response.json({ queued: true, entryId: id }, { status: 202, statusText: 'Accepted', headers: { 'steadfetch-outbox-entry': id } });
	}

	throw new OutboxQueuedError(id, { cause: error });
};

/** Whether a call's failure is one the outbox stores it for: held by the layer, or transient and not the caller's abort. */
const storable = (context: Queue['context'], call: PolicyCall, error: unknown): boolean =>
	isDeferred(context, call, error) || (!call.signal?.aborted && classify(error).transient);

/**
 * The outer wrapper of an eligible call: a URL the outbox could never replay is refused; the body is
 * read before the first attempt (which then sends the bytes a replay will, with the entry's key);
 * a call that fails transiently, or that the layer held, is stored — unless it cannot be (a body over
 * `maxBodyBytes`, a full outbox: `OutboxFullError`, though it went out when it could). With
 * `networkTimeoutMs`, one still unanswered at its deadline (its attempt under way) is stored then,
 * while its attempt goes on (`follow`).
 */
export const wrapper = (queue: Queue, drain: Drain) => async (call: PolicyCall, next: (extra?: RunOptions) => Promise<Response>): Promise<Response> => {
	const { context, options } = queue;
	const start = context.clock.now();
	drain.start(call.waitUntil); // Where no timer could start it (workerd), the first eligible call does.
	const target = targetOf(call, context.options);
	if (!target) {
		return next(); // A URL that does not parse: ky refuses it before any I/O, with the core's error (as with `outbox: false`).
	}

	if (!/^https?:$/.test(target.protocol)) {
		throw new InvalidRequestError(`The outbox replays http and https only: not ${target.protocol}`);
	}

	// Its storage operations share one `storageTimeoutMs` (`Budget`): its placeholders', its count, the layer's reads, its record's write.
	const budget = queue.budget();
	queue.budgets.set(call, budget);
	await dependencies(queue, call, target.href);
	if (!queueable(queue, call, target.href)) {
		// Not the outbox's (a read, `outbox: false`): here only for its placeholders of delivered entries, put in place by the
		// layer. A `Request` input's body is not read for them: one there (read up to `maxBodyBytes`, once this client made one)
		// could never be replaced, refused as when it is queued.
		if (requestBodyOf(queue, call)) {
			refuseRequestBodyRefs(queue, await readCapped((call.input as Request).clone(), options.maxBodyBytes));
		}

		return next();
	}

	const made: [number, number] = [start, sequence++]; // Its place in its scope's order, should it be stored.
	let idempotencyKey: string;
	let typed: boolean;
	try {
		// The headers as ky sends them (`headersOf`: one given as `undefined` is none); the client's own never give the key.
		const request = call.input instanceof Request ? call.input.headers : undefined;
		idempotencyKey = call.idempotencyKey ?? headersOf(request, call.options.headers).get('idempotency-key') ?? randomUuid();
		typed = headersOf(request, context.options.headers, call.options.headers).has('content-type');
	} catch (error) {
		throw new InvalidRequestError(`Invalid header: ${(error as Error).message}`, { cause: error });
	}

	// A key given as a header (the call's, a page's through `fetchHandler`) is taken as the `idempotencyKey` option is: the
	// entry is stored and replayed under it (a record whose key is past the bound is one no reload could read).
	if (!isPrintableId(idempotencyKey)) {
		throw new InvalidRequestError('The Idempotency-Key header must be 1–255 printable ASCII characters, as the idempotencyKey option');
	}

	let full: OutboxFullError | undefined;
	const snapshot = await snapshotBody(call.input, call.options, options, call.options.stringifyJson ?? context.options.stringifyJson).catch((error: unknown) => {
		if (!(error instanceof OutboxFullError)) {
			throw error;
		}

		full = error; // Sent as it is if it can go out.
		return {} as BodySnapshot;
	});
	// A `Request` input's body, read only now (the snapshot's bytes).
	if (requestBodyOf(queue, call)) {
		refuseRequestBodyRefs(queue, snapshot.body);
	}

	if (typed && snapshot.exact?.headers && !(call.options.body instanceof FormData)) {
		delete snapshot.exact.headers; // A Blob's type goes only where fetch would put it: a Content-Type the call gives wins.
	}

	let hooks: unknown;
	if (call.options.hooks !== undefined || context.options.hooks !== undefined) {
		// ky's `init` hooks run after this snapshot and may set or change `json`: the JSON ky serializes is
		// what the first attempt sends, and what is stored (over `maxBodyBytes`: sent, never stored).
		// A body they give in its place (`body`, `json` removed): read here, after them (a last init hook), as
		// it goes out — text or bytes stored as such, one that cannot be read at once never stored (`opaque`).
		const given = snapshot.exact?.body ?? call.options.body;
		const own = call.options.hooks;
		const inner = unmarked(own) as { init?: unknown[] } | undefined;
		const last = (o: { json?: unknown; body?: unknown }): void => {
			const { body } = o;
			if (o.json !== undefined || (body === given && call.options.json === undefined)) {
				return; // JSON (as below), or the body the outbox read.
			}

			const text = typeof body === 'string' || body instanceof URLSearchParams;
			if (body != null && !text && !(body instanceof ArrayBuffer || ArrayBuffer.isView(body))) {
				opaque.add(call);
				return;
			}

			const bytes = body == null ? undefined : text ? new TextEncoder().encode(String(body)).buffer as ArrayBuffer : bytesOf(body as ArrayBuffer | ArrayBufferView);
			if (bytes && bytes.byteLength > (text ? options.maxBodyBytes : options.maxFileBytes)) {
				full ??= tooLarge(text, text ? options.maxBodyBytes : options.maxFileBytes);
			}

			if (bytes) {
				snapshot.body = bytes;
			} else {
				delete snapshot.body;
			}

			snapshot.type = undefined; // The request's Content-Type, as fetch set it for that body, is stored.
		};
		const merged = { ...inner, init: [...inner?.init ?? [], last] };
		hooks = inner === own ? merged : { ...own as object, value: merged };
		snapshot.exact = { ...snapshot.exact, stringifyJson(value: unknown) {
			const text = jsonText(value, call.options.stringifyJson ?? context.options.stringifyJson);
			const bytes = new TextEncoder().encode(text);
			if (bytes.byteLength > options.maxBodyBytes) {
				full ??= tooLarge(true, options.maxBodyBytes);
			}

			snapshot.body = bytes.buffer as ArrayBuffer;
			snapshot.type = 'application/json';
			return text;
		} };
	}

	// The store's pending entries (`Queue.refresh`: listed only when another tab or worker changed them):
	// an entry another context has just queued in this scope holds the call (FIFO), and counts.
	// A PUT or DELETE that may take the place of pending writes of its URL (`coalesce`) is counted as it is stored.
	if (await queue.count(budget) >= options.maxEntries && !queue.supersedes(call.method, withoutFragment(target.href))) {
		full ??= new OutboxFullError('The outbox is full (outbox.maxEntries): not stored', { reason: 'entries' });
	}

	const scope = context.scopeOf(target.href);
	if (full && (queue.dependents.get(call)?.dependsOn.length || context.reachability(scope) === 'offline' || await queue.behind(scope, budget))) {
		// It must wait (behind its scope's entries, or the entries its placeholders name: never sent with them as they are),
		// and cannot be stored: refused here with the bound it is past, before ky makes its request (a FormData's, left
		// unread by the layer's hold, would throw outside any promise in Node: see snapshot.ts).
		throw full;
	}

	// Offline, the layer holds the attempt without I/O (or sends the scope's one in 10 s, not retried):
	// ky need not copy the request for retries.
	const run = next({ ...snapshot.exact, headers: { 'idempotency-key': idempotencyKey, ...snapshot.exact?.headers }, ...context.reachability(scope) === 'offline' && { retry: { limit: 0 } }, ...hooks !== undefined && { hooks } as RunOptions });
	const ms = options.networkTimeoutMs;
	try {
		// With a deadline (and where the attempt can be followed past the call: a Worker needs its waitUntil), the
		// first of the run and the deadline (`undefined`: the deadline). The run's answer comes boxed: one
		// without a Response (`ky.stop` from a `beforeRetry` hook resolves `undefined`) is the caller's, never a deadline.
		const first = ms === false || full || diesWithRequest(call.waitUntil) ? [await run] : await within(run.then((response) => [response]), ms - (context.clock.now() - start));
		if (first || !call.request || opaque.has(call) || secretUrl(context, call.request.url, call.request.headers.values())) {
			return first ? first[0]! : await run;
		}
	} catch (error) {
		if (!storable(context, call, error) || !call.request || opaque.has(call) || secretUrl(context, call.request.url, call.request.headers.values())) {
			throw error;
		}

		if (full) {
			throw new OutboxFullError(full.message, { cause: error, reason: full.reason });
		}

		return enqueue(queue, drain, call, call.request, snapshot, error, idempotencyKey, made);
	}

	// No answer within the deadline: stored now, leased by this client until the call's own deadline
	// (60 000 ms ahead when it has none; with `deadlineHeader`, no later than its request's: `Call.deadline`), the caller told it is queued.
	const total = call.options.totalTimeout ?? context.options.totalTimeout ?? 20_000;
	const until = Math.min(typeof total === 'number' ? start + total : context.clock.now() + noLeaseMs, (call as Call).deadline ?? Infinity);
	const slow = new SteadfetchError(`No answer within ${ms} ms (outbox.networkTimeoutMs)`, 'TIMEOUT', true);
	return enqueue(queue, drain, call, call.request, snapshot, slow, idempotencyKey, made, run, until);
};

/** An attempt of the layer's (see `layer`). */
const attempt = async (queue: Queue, drain: Drain, next: FetchLike, given: Request, init: FetchInit | undefined): Promise<Response> => {
	let request = given;
	let release: (() => void) | undefined;
	const call = init?.steadfetch;
	if (!queue.admits(call)) {
		throw Queue.refused();
	}

	const { context } = queue;
	const scope = context.scopeOf(request.url);
	const dependent = call && queue.dependents.get(call);
	if (dependent?.dependsOn.length) {
		if (!queueable(queue, call!, request.url, request.headers.values())) {
			// As its hooks made it (a `beforeRequest` hook's sensitive query parameter, an `init` hook's body), one the outbox
			// cannot store: it cannot wait, as when the call gives them (`dependencies`).
			throw new InvalidRequestError(unqueueable);
		}

		return defer(context, call!, 'BEHIND'); // It waits for pending entries: stored, and replayed with their values once they are delivered.
	}

	if (dependent) {
		// Every entry it refers to was delivered: their kept values in place, it goes out as any call.
		const values = new Map<string, Record<string, unknown>>();
		for (const entry of parentsOf(dependent.refs)) {
			let kept: unknown;
			try {
				kept = await queue.read(valuesKey(entry), true, queue.budgets.get(call!));
			} catch {
				// The store did not answer: a write the outbox can queue is queued (the pass puts the values in place once
				// it answers: Pass#resolve), never refused for a storage failure.
				if (queueable(queue, call!, request.url, request.headers.values()) && holdable(queue, call!)) {
					return defer(context, call!, 'BEHIND');
				}
			}

			values.set(entry, isValues(kept) ? kept.values : {});
		}

		const body = request.body ? await request.arrayBuffer() : undefined;
		const parts = substitute({ url: request.url, headers: Object.fromEntries(request.headers), json: call!.options.json !== undefined, ...body && !isBytes(call!.options.body) && { body } }, dependent.refs, values);
		if (typeof parts === 'string') {
			throw new InvalidRequestError(`Not sent: ${parts}`);
		}

		// With the call's own fetch options (workerd has only `cache` of these; the others read undefined; it refuses any `integrity`).
		// Held by the call's signal until it settles (`heldRequest`): the caller's abort reaches a `fetch` that waits on nothing else.
		const { method, signal, redirect, credentials, mode, cache, referrerPolicy, keepalive, integrity } = request;
		[request, release] = heldRequest(parts.url, { method, headers: parts.headers, body: parts.body ?? body ?? null, signal, redirect, credentials, mode, cache, referrerPolicy, keepalive, ...integrity && { integrity } });
	}

	if (call && queueable(queue, call, request.url, request.headers.values())) {
		// Offline, one attempt per scope per 10 s still goes out to find out (`context.offline`): a write
		// behind pending entries of its scope leaves it to the head's replay (FIFO).
		const behind = call.attempts === 1 && await queue.behind(scope, queue.budgets.get(call));
		const offline = behind ? context.reachability(scope) === 'offline' : context.offline(scope);
		if ((offline || behind) && holdable(queue, call)) {
			release?.();
			return defer(context, call, offline ? 'OFFLINE' : 'BEHIND'); // Before any I/O; the breaker, below this layer, never sees the attempt.
		}
	}

	let response: Response;
	try {
		response = await next(request, init);
	} finally {
		release?.();
	}

	// A good answer to one of the app's calls (not a replay: a success, or an HTTP answer `classify()`
	// does not call transient) drains its scope, after `resumeJitterMs` at random (the scope came back);
	// a drain under way runs once more. Every 10 s at most, the store is listed first, in the
	// background: entries queued by an isolate that is gone, which this client never saw, are replayed
	// without a write or a flush() of their own. On purpose not a 401 or 403: a replay would be paused
	// by it (the token is refreshed first, `auth:refresh` resumes). Nor a service worker's `202` for a write its outbox
	// queued (`Steadfetch-Outbox-Entry`): the origin was not reached, and a replay through it would be queued there again.
	const { status } = response;
	if (!call?.replay && !classifyStatus(status)?.transient && status !== 401 && status !== 403 && !(status === 202 && response.headers.has('steadfetch-outbox-entry'))) {
		const waitUntil = call?.waitUntil;
		if (queue.look(call)) {
			background(context, 'outbox', waitUntil, async () => {
				await queue.list();
				return await queue.behind(scope) && drain.resume(scope, waitUntil);
			});
		} else if (await queue.behind(scope, queue.budget())) { // The records it reads: one deadline in all.
			background(context, 'outbox', waitUntil, async () => drain.resume(scope, waitUntil));
		}
	}

	return response;
};

/**
 * A placeholder of this client's `outbox.ref()` in the URL, a header or the body of an attempt (`request`, as its hooks made
 * it: a `beforeRequest` hook runs after the outbox read the call's own URL, headers and body, may give a Request of another
 * URL or body, and runs again for each replay) that the call did not give: never replaced, as only the call's own are
 * (API.md), so refused rather than sent or stored as written; and one of a pending entry in a header the outbox never stores (a credential:
 * its write could only be replayed without it), as `dependencies` refuses a call's own. The error to fail the attempt
 * with, before any I/O: the caller's `InvalidRequestError`; for a replay, the hook's failure as that of a hook that throws
 * (`UNKNOWN`): its entry kept, its scope paused until the next trigger (outcome.ts), never a dead letter of bad input —
 * the write is sound, the hook's URL, header or body is not (one that always sets a placeholder would otherwise bury each
 * entry, the placeholder's own among them). The body (`body`: its bytes, read from a copy, `hookedBody`) after the URL and headers.
 */
const hookedRef = (queue: Queue, request: Request, call: PolicyCall | undefined, body?: ArrayBuffer, given?: ArrayBuffer): Error | undefined => {
	const dependent = call && queue.dependents.get(call);
	const refused = (where: string, own: string): Error => {
		const message = `A placeholder of outbox.ref() in ${where} that the call did not give (a hook's): never replaced, so never sent; give it in the call's own ${own}`;
		return call?.replay ? new Error(message) : new InvalidRequestError(message);
	};
	if (body) {
		// Of its call's (`given`: a replay's stored body, which may hold some as written, in a file's bytes), or filled by the
		// outbox (`dependent.refs`), read only once the body holds one.
		const found = [...queue.refs.inBytes(body).keys()];
		const own = found.length > 0 && given ? queue.refs.inBytes(given) : undefined;
		return found.some((placeholder) => !own?.has(placeholder) && !(dependent && Object.hasOwn(dependent.refs, placeholder))) ? refused('the body', 'body or json') : undefined;
	}

	for (const [name, value] of [['', request.url], ...request.headers]) {
		for (const [placeholder, { entry }] of queue.refs.inSent(value!)) {
			if (!dependent || !Object.hasOwn(dependent.refs, placeholder)) {
				return name ? refused(`the ${name} header`, 'headers') : refused('the URL', 'URL');
			}

			if (name && dependent.dependsOn.includes(entry) && isSensitive(queue, name)) {
				return new InvalidRequestError(`A placeholder of a pending outbox entry in the ${name} header, which the outbox never stores: its write could only be replayed without it`);
			}
		}
	}

	return undefined;
};

/**
 * `hookedRef` of an attempt's body, read from a copy (the attempt's own goes out unread; ky copies it so for its retries).
 * Not when the call's own body is a stream (the outbox never holds one in memory) or a file's bytes (a `Blob`, `File`,
 * `ArrayBuffer`, typed array, or a `FormData` with a file: never read for placeholders, one there sent as written: types.ts
 * `ref()`); a replay's body is told from the one it stores (`Queue.replayBody`), whose placeholders are its call's. A body
 * that cannot be read is left to `fetch`, whose error it is.
 */
const hookedBody = async (queue: Queue, request: Request, call: PolicyCall | undefined): Promise<Error | undefined> => {
	const own = call?.options.body;
	if (!call?.replay && (streamed(own) || isBytes(own) || (own instanceof FormData && [...own.values()].some((value) => typeof value !== 'string')))) {
		return undefined;
	}

	const body = await Promise.resolve().then(async () => request.clone().arrayBuffer()).catch(() => undefined);
	return body && hookedRef(queue, request, call, body, queue.replayBody(call));
};

/**
 * The per-attempt layer: a replay's attempt goes out only while the queue admits it (its entry still
 * there, of the current identity; checked with no await before `next`); an eligible attempt is held
 * while its scope is offline (but one per scope per 10 s), or behind pending entries of its scope
 * (first attempts); a good answer to one of the app's calls drains its scope, and lists the store
 * when it is due (`Queue.due`). Nothing pending, no replay, `navigator.onLine` not false (the common
 * case: no scope can be offline then), no listing due: ky's attempt as is, no promise of ours.
 */
export const layer = (queue: Queue, drain: Drain): Layer => (next) => (request, init) => {
	// Once this client made a placeholder: none a hook put in the URL, a header or the body goes out (`hookedRef`). Only a hook of
	// the client's or the call's can put one there: the call's own URL, headers and body, the client's and a `Request`'s were read by the wrapper.
	const call = init?.steadfetch;
	const hooks = queue.refs.making && (queue.context.options.hooks !== undefined || call?.options.hooks !== undefined);
	const hooked = hooks ? hookedRef(queue, request, call) : undefined;
	const go = (): Promise<Response> => queue.pending.size > 0 || queue.replaying || (call !== undefined && queue.dependents.has(call)) || isOffline() || queue.due(call) ? attempt(queue, drain, next, request, init) : next(request, init);
	return hooked ? Promise.reject(hooked) : hooks && request.body !== null ? hookedBody(queue, request, call).then((error) => error ? Promise.reject(error) : go()) : go();
};
