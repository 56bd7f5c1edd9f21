import type { WaitUntil } from '../core/options.js';
import { probeMs } from '../core/reachability.js';
import { identities, identityOf } from '../core/context.js';
import { storageError } from '../core/part-store.js';
import { lastErrorOf, messageOf, outcomeOf } from './outcome.js';
import { readRefused, type Queue, type Permit, type Replayed } from './queue.js';
import { bounded, headersFit, isLater, isRecord, toEntry, unreadable, type OutboxRecord, type RecordKey, type Tally } from './record.js';
import { headersOf, isSensitive, secretIn, withoutSecrets } from './headers.js';
import { fits, migrated, rebased } from './rewrite.js';
import { within } from '../utils/within.js';

/** What a drain reports (`flush()`). */
export interface FlushResult {
	sent: number;
	failed: number;
	dead: number;
	remaining: number;
}

/**
 * Who is signed in now, as a call reads it (`identityOf`); `null` when the client's `identity()` fails (throws, or gives
 * what is no identity): nobody known, for whom a pass replays, settles or removes nothing (a call then is refused). A change
 * it sees is one for the work in flight, as a call's read is (`identities`: alice signed out and back is another world).
 */
export const signedIn = (queue: Queue): string | undefined | null => {
	try {
		return queue.context.identity() ?? identityOf(queue.context.options.identity);
	} catch {
		return null;
	}
};

/**
 * The client's identity epoch now, read as a call reads `identity()` (`identities`): where one user is served (a page, a
 * worker), bumped by every read that saw another answer — alice signed out (or bob signed in) and back is another one.
 */
const epochOf = (queue: Queue): unknown => identities(queue.context.options.identity).epoch();

/** How long `onConflict` or `migrate` may take, in ms: longer counts as `'dead'` (a `'migrate'` dead letter). */
const conflictMs = 10_000;

/**
 * The passes in a row that find the store refusing a pending record (its read rejected: never one that only missed
 * `storageTimeoutMs`) while it answers a read of a key it does not hold, that make the record a dead letter (`#refused`),
 * once they also span `refusedMs`.
 */
const refusedPasses = 3;

/**
 * The least time, in ms of the client's clock, from the first of those refusals in a row to the pass that makes the record
 * a dead letter (`#refused`): passes after a store failure come ~50 ms apart, and a refusal that heals within a minute (a
 * busy disk, a locked file) must not cost the record its body (a dead letter of an unreadable record keeps only its id,
 * scope and time).
 */
const refusedMs = 60_000;

/** A key the outbox never writes: its read tells whether the store answers reads at all (`#refused`). */
const absentKey = 'p|absent';

/**
 * A conflict (API.md "Conflicts"), of a replay or of the first attempt of a write told "queued" at its
 * deadline (early.ts): `outbox:conflict`, then `onConflict` answers within 10 s (`signal` ends the wait)
 * — `'discard'` drops it (`Queue.drop`), a rebased write is stored in its place (`'rebased'`: replayed
 * next), anything else makes it a dead letter (`conflict`; resolves whether it was stored). Nothing is
 * written once `current()` is false, and an entry discarded or cleared while its attempt was in flight
 * (`current()` false already) is no conflict of the app's: neither told nor given to `onConflict`.
 */
export const conflict = async (queue: Queue, record: OutboxRecord, key: string, now: number, response: Response, current: () => boolean, signal?: AbortSignal, tally?: Tally): Promise<boolean | 'rebased' | undefined> => {
	if (!current()) {
		return undefined;
	}

	const { status } = response;
	queue.emit('outbox:conflict', record, { status });
	// A resolver that throws counts as 'dead'.
	const verdict = await within(Promise.resolve().then(() => queue.options.onConflict?.({ entry: toEntry(record), response })), conflictMs, signal).catch(() => 'dead');
	const next = record.attempts < queue.options.maxAttempts ? await rebased(queue, record, verdict, now).catch(() => undefined) : undefined;
	if (!current()) {
		return undefined;
	}

	if (verdict === 'discard') {
		return void await queue.drop(record, key, current, tally);
	}

	if (next) {
		// With what a dependent recorded with the stored entry while its attempt was in flight (see `writeBack`).
		return await queue.writeBack(key, next, current) ? 'rebased' : false;
	}

	// No rebase, or headers fetch refuses, or a body over maxBodyBytes: a dead letter.
	record.lastError = { code: 'CONFLICT', status, message: `${status} conflict` };
	return queue.bury(record, key, 'conflict', current, tally);
};

/**
 * What of a dependent `record` its filled form `resolved` (`Queue.resolve`: its placeholders replaced by the kept values) is
 * written back with after a failed replay, where filled they are past what the outbox stores (the filled form is sent as it is:
 * the bounds are the store's): its body as queued when the filled one is over `maxBodyBytes` and larger than it was (a body's
 * values only ever go into its text), its headers and preconditions as queued when the filled ones are past `headersFit` (read
 * back, the record would be malformed: an unreadable dead letter). The replay after fills them again, from the same kept values.
 */
const storedAsQueued = (record: OutboxRecord, resolved: OutboxRecord, maxBodyBytes: number): Partial<OutboxRecord> | undefined => {
	const filled = resolved.body?.byteLength ?? 0;
	const body = filled > maxBodyBytes && filled > (record.body?.byteLength ?? 0) && { body: record.body, bodyBytes: record.bodyBytes };
	const headers = !headersFit(resolved) && { headers: record.headers, preconditions: record.preconditions };
	return body || headers ? { ...body, ...headers } : undefined;
};

/**
 * One pass of the drain over the pending entries, oldest first, under its lock (a `Permit`): FIFO per
 * scope with head-of-line blocking — an entry not due, failing or refused blocks its scope for the
 * rest of the pass. An entry is removed only after its successful response, so a pass cut short (a
 * closed tab) resends it, with the same Idempotency-Key, on the next one.
 *
 * Entries it leaves alone: another identity's (untouched, whatever their age; and that identity's
 * later entries of the scope, should it come back during the pass), a newer version's (until
 * retention ends), one claimed in this client (another request's drain in workerd, or its first
 * attempt in flight: it blocks its scope), one whose first attempt is in flight in another tab or
 * isolate (its lease, `Queue.leaseOf`: it blocks its scope until the lease ends), one of a scope that is
 * `offline` (`PolicyContext.offline`: one replay per scope per 10 s still goes out to find out; the
 * pass comes back for the others then). A replay's outcome is `outcomeOf`'s — but for a delivery, none is
 * settled once its identity signed out while it was in flight (the entry is left untouched until it is back), and
 * nothing of an entry is written, removed or told once the identity the pass took it under signed out (`#mine`, at each write),
 * also when it is back by then: an identity epoch, not its value (alice, bob, alice again is a change).
 */
export class Pass {
	readonly #queue: Queue;
	readonly #permit: Permit;
	/** Told each entry's outcome (`flush()`'s counts). */
	readonly #tally: Tally;
	/** Scopes made due now by a trigger (`''`: every scope). */
	readonly #due: ReadonlySet<string>;
	/** Entries queued up to this time (epoch ms) are due now too, whatever their scope, but the page's own: a reload's (`Drain.start`). */
	readonly #before: number;
	readonly #waitUntil: WaitUntil | undefined;
	/** Scopes (and identity lanes, `<scope> <identity>`) blocked for the rest of the pass. */
	readonly #blocked: Set<string>;
	/** When the earliest blocked entry is due. */
	#wake = Infinity;
	/** The entry just replayed was rebased (`onConflict`): the pass replays it again now. */
	#rebased = false;
	/** The store's keys, listed once per pass, at the first pending key whose record read as nothing (`#entry`). */
	#keys: Set<string> | undefined;
	/** The identity epoch as the pass took its entry (one at a time, `epochOf`): what it writes of it, it writes while it is the same (`#mine`). */
	#at: unknown;
	/** A dependent as `#resolve` filled it → the parts it is written back with when filled they are past the outbox's bounds (`storedAsQueued`). */
	readonly #asQueued = new WeakMap<OutboxRecord, Partial<OutboxRecord>>();

	constructor(queue: Queue, permit: Permit, tally: Tally, due: ReadonlySet<string>, before: number, waitUntil: WaitUntil | undefined) {
		this.#queue = queue;
		this.#permit = permit;
		this.#tally = tally;
		this.#due = due;
		this.#before = before;
		this.#waitUntil = waitUntil;
		this.#blocked = new Set(queue.paused);
	}

	/**
	 * Made due now whatever its backoff by the trigger: its scope's (or every scope's), or a reload's (`#before`) — queued
	 * up to the page's load, or dated after now (the clock stepped back since), and not by this page's own clients (`Queue.order`:
	 * a write queued in the millisecond the page loaded, under a clock that did not move, is no earlier page's).
	 */
	#hurried(scope: string, id: string, createdAt: number, now: number): boolean {
		return this.#due.has('') || this.#due.has(scope) || (this.#before > -Infinity && (createdAt <= this.#before || createdAt > now) && !this.#queue.order.has(id));
	}

	/**
	 * Replay what is due, oldest first across the scopes; a blocked scope's later entries are not looked
	 * at (the pending keys are the queue's index: no listing unless another context changed them).
	 * Resolves when the earliest entry it left blocked is due.
	 */
	async run(): Promise<number> {
		// A flush (every scope due) lists the store; any other pass (a reload's too: its client listed it at most just now)
		// lists it only when it changed behind this client's back, or was never listed.
		await (this.#due.has('') ? this.#queue.list() : this.#queue.refresh());
		const taken = new Map<string, string>(); // By scope: the key of the last entry this pass took.
		for (let entry = this.#oldest(taken); entry && this.#permit.current(); entry = this.#oldest(taken)) {
			await this.#entry(entry);
			if (this.#rebased) {
				this.#rebased = false; // A rebased write in the entry's place: replayed now.
			} else {
				taken.set(entry.scope, entry.key);
			}
		}

		if (this.#permit.current()) {
			await this.#queue.prune(); // Kept values (`outbox.ref()`) no dependent needs any more, as the pass's listing found them.
			await this.#queue.scrub((id) => this.#permit.current(id)); // Once per client: dead letters holding what is sensitive now.
		}

		return this.#wake;
	}

	/** The oldest pending entry this pass has not taken, of the scopes it has not blocked. */
	#oldest(taken: ReadonlyMap<string, string>): RecordKey | undefined {
		let oldest: RecordKey | undefined;
		for (const scope of this.#queue.pending.scopes()) {
			const entry = this.#blocked.has(scope) ? undefined : this.#queue.pending.next(scope, taken.get(scope));
			if (entry && (!oldest || entry.key < oldest.key)) {
				oldest = entry;
			}
		}

		return oldest;
	}

	/**
	 * Whether the pass may still write entry `id` (remove it, store its new state, tell it): no clear or discard of it since
	 * the pass began, and, checked at each write, the identity it took the entry under still signed in, with no change
	 * between (its epoch: alice signed out and back is a change).
	 */
	#mine(id: string): boolean {
		return this.#permit.current(id) && epochOf(this.#queue) === this.#at;
	}

	/** An entry whose new state was not written though this pass still may (the store did not answer a read: `Queue.writeBack`): pending as it was, its scope waits (FIFO). */
	#hold({ id, scope }: OutboxRecord): void {
		this.#permit.current(id) && this.#block(scope);
	}

	#block(scope: string, at = Infinity): void {
		this.#blocked.add(scope);
		this.#wake = Math.min(this.#wake, at);
	}

	/**
	 * One entry: read (the identity read first, for each entry: a user who logs out during a pass never
	 * sends another's write), left alone, buried past retention, or claimed, migrated and replayed.
	 */
	async #entry({ key, id, scope }: RecordKey): Promise<void> {
		const queue = this.#queue;
		const { context, options } = queue;
		const who = signedIn(queue);
		this.#at = epochOf(queue);
		if (who === null) {
			return this.#block(scope); // Nobody known is signed in (see `signedIn`): its entries wait, untouched.
		}

		queue.replayingFor = who; // A clear of this identity ends the pass, also once it signed out (`Queue#clear`).

		const identity = await queue.digest(who);
		const known = queue.laneOf(id, key);
		if (known && known !== `${scope} ${identity}`) {
			return void this.#blocked.add(known); // Another identity's, as read before: not read again by every pass (untouched, as below).
		}

		const since = queue.newer.get(id);
		if (since !== undefined && Math.abs(context.clock.now() - since) <= options.retentionMs) {
			return; // A newer version's, as read before: left alone (as below), not read again by every pass before its retention can have ended.
		}

		let record: unknown;
		try {
			record = await queue.read(key, true); // Its scope is not blocked: `#oldest` passed over those.
		} catch (error) {
			// The store failed: the drain tries again after a backoff — unless it refuses this very record (`#refused`).
			return readRefused(error) && await this.#refused(key, id, scope) ? undefined : this.#block(scope);
		}

		queue.refusals.size && queue.refusals.delete(key); // Given back: refusals count in a row.

		const now = context.clock.now();
		// A later build's record: never sent, buried nor reported by this one (a newer tab's queued write, during a rolling
		// upgrade), and not read again before a retention could have ended, as a newer app version's.
		if (isLater(record)) {
			queue.newer.set(id, now);
			return;
		}

		// One that reads as nothing is unreadable too while the store still lists it (a value it gives back as nothing: counted
		// by `size()`, `remaining` and `maxEntries` until it is a dead letter); one removed meanwhile (another tab delivered it) is left alone.
		if (record === undefined) {
			this.#keys ??= await queue.keysNow();
		}

		const malformed = record === undefined ? this.#keys!.has(key) : !isRecord(record) || secretIn(queue, record);
		if (malformed) {
			storageError(context, 'outbox', 'decode', new TypeError('Unreadable outbox record'), key);
			await this.#bury({ ...unreadable(id, scope, now, now), raw: withoutSecrets(queue, record) }, key, 'rejected');
		}

		// Gone meanwhile, unreadable, removed, or another identity's write: passed over, untouched.
		if (malformed || !isRecord(record) || !this.#permit.current(id)) {
			return;
		}

		const lane = `${scope} ${record.identity}`;
		if (record.identity !== identity || this.#blocked.has(lane)) {
			this.#blocked.add(lane); // That identity's later entries of the scope wait too, should it come back during the pass.
			return;
		}

		const lease = queue.leaseOf(record, now);
		if (lease) {
			return this.#block(scope, lease); // Its first attempt is in flight (another tab's, or this client's): until its lease ends, as cut.
		}

		delete record.inFlightUntil; // Ended (or cut): not written back with the entry, where a reload would honour it anew (the clock stepped back).

		if (!queue.claim(id, true)) {
			return this.#block(scope); // Claimed in this client (workerd: another request's drain replays it; its first attempt in flight).
		}

		const start = record.retainFrom ?? record.createdAt;
		const version = record.version ?? 1;
		try {
			if (await queue.replaced(record, key, () => this.#mine(id))) {
				// Superseded by a later write of its URL (`coalesce`) whose record names it: removed, never sent.
			} else if (record.deadReason) {
				// Buried by a client whose dead key the store refused (its pending key says so: `writeBack`): a dead letter, never sent.
				await this.#bury(record, key, record.deadReason);
			} else if (Math.abs(now - start) > options.retentionMs) {
				// Whatever its version; a start in the future counts too (no time read from storage goes beyond retention).
				await this.#bury(record, key, 'expired');
			} else if (version > options.version) {
				// A newer app version's write is left alone, pending.
			} else if (record.attempts >= options.maxAttempts) {
				// Its attempts reached `maxAttempts` already (its call's own, or made under a larger one): never sent again.
				await this.#bury(record, key, 'max-attempts');
			} else if (record.nextAttemptAt > now && record.nextAttemptAt - now <= (record.pinned ? options.retentionMs : options.maxBackoffMs) && (record.pinned || !this.#hurried(scope, id, record.createdAt, now))) {
				// Not waited for past what the backoff gives (`maxBackoffMs`), nor a server's `Retry-After` (`pinned`) past retention
				// (stored cut to it): a later time read from storage (the clock stepped back, another client's) makes it due now.
				this.#block(scope, Math.min(record.nextAttemptAt, start + options.retentionMs));
			} else if (context.offline(scope)) {
				// Offline: one replay per scope per 10 s goes out to find out (the core's `offline`); the others wait for it.
				this.#block(scope, now + probeMs);
			} else {
				// An older app version's write is migrated first.
				const current = version < options.version && options.migrate ? await this.#migrate(record, key, version) : record;
				await this.#replay(current?.dependsOn?.length || current?.refs ? await this.#resolve(current, key) : current, key, now);
			}
		} finally {
			queue.release(id);
		}
	}

	/** Replay an entry (its presence and identity epoch checked again as the attempt starts: `#mine`), and settle its outcome. */
	async #replay(record: OutboxRecord | undefined, key: string, now: number): Promise<void> {
		const queue = this.#queue;
		// The headers it was stored with: none of the replaying client's own defaults its first attempt did not carry (another
		// client of the name, a newer app's) — but its credentials, never stored (a fresh token) — nor one the call removed.
		const removed = new Set(record?.without);
		for (const [name] of headersOf(queue.context.options.headers)) {
			if (!isSensitive(queue, name) && name !== 'idempotency-key') {
				removed.add(name);
			}
		}
		// To its URL as stored, the query its first attempt had: `searchParams: null` (`undefined` is not given, and ky adds
		// the replaying client's default `searchParams` to a URL's query: once more).
		const headers = { ...record?.headers, ...record?.preconditions };
		// Whether the client's `init` hooks all ran (ours, the last, did): one that threw fails the replay before any I/O,
		// the hook's own error its `lastError` — no attempt, as a `beforeRequest` hook's, never a dead letter as bad input.
		let shaped = !queue.context.options.hooks?.init;
		const replayed = record && await queue.replay(record, () => this.#mine(record.id), async () => queue.context.send(record.url, {
			method: record.method, headers: { ...Object.fromEntries([...removed].map((name) => [name, undefined])), ...headers }, body: record.body,
			idempotencyKey: record.idempotencyKey, retry: 0, throwHttpErrors: false, prefix: '',
			...record.init, ...record.auth === false && { auth: false },
			signal: this.#permit.signal, waitUntil: this.#waitUntil, searchParams: null,
			// The client's ky `init` hooks shaped the first attempt, which is stored: what they do to a replay's options is
			// undone (its URL, body and headers as stored), but for the credentials they give (never stored) and its key.
			...queue.context.options.hooks?.init && { hooks: { init: [(options: { headers?: HeadersInit }) => {
				for (const [name, value] of new Headers(options.headers)) {
					if (isSensitive(queue, name)) {
						headers[name] ??= value;
					}
				}

				Object.assign(options, { headers: { ...headers, 'idempotency-key': record.idempotencyKey }, body: record.body, json: undefined, searchParams: undefined, prefix: '', method: record.method });
				shaped = true;
			}] } },
		}, true).catch((error: unknown) => {
			// (Its cause, left out of the core's error when the message held a secret: the redacted message.)
			throw shaped ? error : (error as Error).cause ?? new Error((error as Error).message);
		}));
		// Refused before it was sent (its identity changed, an open breaker): an offline scope's slot of 10 s is free again.
		if (record && (!replayed || replayed.unsent)) {
			queue.context.offline(record.scope, true);
		}

		if (replayed) {
			await this.#settle(record!, key, now, replayed);
			void replayed.response?.body?.cancel().catch(() => undefined); // Once read (by `onConflict`) or not needed.
		} else if (record) {
			this.#block(record.scope); // Refused as its attempt started: untouched, pending; its scope waits (FIFO).
		}
	}

	/**
	 * A dependent (`outbox.ref()`) as it is sent: `undefined` while an entry it depends on is pending
	 * (its scope waits); a `'parent'` dead letter when one was not delivered (dead, discarded, its
	 * values no longer kept) or a value cannot go where its placeholder is; else its placeholders
	 * replaced by the kept values (a failed replay writes them back, so every replay sends the same, but where filled
	 * they are past the outbox's bounds: then as queued, filled again from the same values: `storedAsQueued`).
	 */
	async #resolve(record: OutboxRecord, key: string): Promise<OutboxRecord | undefined> {
		const queue = this.#queue;
		const parts = await queue.resolve(record);
		if (parts === true) {
			this.#block(record.scope);
			return undefined;
		}

		if (typeof parts === 'string') {
			await this.#invalid(record, key, 'parent', `Not sent: ${parts}`);
			return undefined;
		}

		const resolved = { ...record, ...parts, bodyBytes: (parts.body ?? record.body)?.byteLength ?? 0 };
		// Counted pending for the URL it goes to now (read your own writes), here and in the other tabs; not once removed.
		this.#permit.current(record.id) && queue.queued?.(resolved);
		const asQueued = storedAsQueued(record, resolved, queue.options.maxBodyBytes);
		asQueued && this.#asQueued.set(resolved, asQueued);
		return resolved;
	}

	/** Bring an entry of an older version up to this one (`migrate`): the record stored in its place, or `undefined` when it is gone from this pass. */
	async #migrate(record: OutboxRecord, key: string, version: number): Promise<OutboxRecord | undefined> {
		const queue = this.#queue;
		try {
			// Nothing once it took longer than 10 s (a dead letter, as for `onConflict`: the pass holds the drain's lock), or once
			// `close()` or `clear()` aborted the pass: its entry then stays as it was (nothing written), and nothing waits for it.
			const answer = await within(Promise.resolve().then(() => queue.options.migrate!({ ...toEntry(record), body: record.body! }, version)).then((entry) => ({ entry })), conflictMs, this.#permit.signal);
			if (!answer) {
				throw new RangeError(`migrate() did not answer within ${conflictMs} ms`);
			}

			const { entry } = answer;
			if (entry === null) {
				await queue.drop(record, key, () => this.#mine(record.id), this.#tally);
				return undefined;
			}

			// `undefined` (a forgotten return) or anything but an entry: the app's error, the write is kept.
			const next = migrated(queue, record, entry);
			await fits(queue, record, next); // Not stored when it would leave less than 10 % of the quota free: a dead letter.
			// With what a dependent recorded with the stored entry while `migrate` ran (see `writeBack`).
			if (await queue.writeBack(key, next, () => this.#permit.current(record.id))) {
				queue.queued?.(next); // Counted pending for its URL now (read your own writes), here and in the other tabs.
				return next;
			}

			this.#hold(record);
		} catch (error) {
			await this.#invalid(record, key, 'migrate', messageOf(error, queue.context));
		}

		return undefined;
	}

	/** Apply a replay's outcome to its entry. */
	async #settle(record: OutboxRecord, key: string, now: number, { response, error, unsent }: Replayed): Promise<void> {
		const queue = this.#queue;
		const outcome = outcomeOf(response, error, record, queue.options, now, queue.context.random, unsent);
		if (outcome.kind === 'sent') {
			// Its values kept (not once it was discarded or cleared while in flight: its dependents are then
			// 'parent' dead letters, never sent), then it is removed and told (`Queue.deliver`).
			await queue.deliver(record, key, response!, () => this.#permit.current(record.id)); // 'sent': answered (an error is never delivered).
			this.#tally(record.id, 'sent');
			return;
		}

		if (outcome.kind !== 'conflict') {
			void response?.body?.cancel().catch(() => undefined); // Let go at once: no connection held while the entry is settled.
		}

		Object.assign(record, this.#asQueued.get(record)); // Whatever is written of it from here on (retry, dead letter, rebase) is within the bounds.

		// Not settled once its identity signed out meanwhile (a retry, a dead letter, a conflict): told or handed to the app,
		// its write and the server's answer would be shown in the next user's session. Untouched, pending: settled when its
		// identity is back, as a write told "queued" whose attempt ends then (early.ts). (An answer the app gave for a conflict
		// — `onConflict` itself may sign out — is stored for that identity, and waits for it.) Its attempt failed: a flush
		// counts it so (`failed`: still pending). Also once it is back (alice, bob, alice: its epoch changed), when its identity's
		// later entries of the scope wait behind it for the rest of the pass (FIFO).
		if (epochOf(queue) !== this.#at) {
			this.#tally(record.id, 'failed');
			this.#blocked.add(`${record.scope} ${record.identity}`);
			return;
		}

		const mine = (): boolean => this.#mine(record.id);
		let settled = false;
		const { code } = outcome.failure;
		record.attempts += outcome.counts ? 1 : 0;
		record.lastError = lastErrorOf(outcome.failure, response, error, queue.context);
		if (outcome.kind === 'conflict') {
			// A rebased write in its place is replayed now.
			const settled = await conflict(queue, record, key, now, response!, () => this.#permit.current(record.id), this.#permit.signal, this.#tally);
			this.#rebased = settled === 'rebased';
			this.#rebased && this.#tally(record.id, 'failed'); // Until its rebased write's replay, now. A dead letter (and its dependents') told as it is stored.
			settled === false && this.#hold(record);
			return;
		}

		if (outcome.kind === 'dead') {
			settled = await queue.bury(record, key, outcome.reason, mine, this.#tally);
			settled || this.#hold(record);
		} else if (this.#permit.current(record.id)) {
			if (outcome.kind === 'pause') {
				queue.paused.add(record.scope);
			} else {
				record.nextAttemptAt = outcome.at;
				record.pinned = outcome.pinned;
			}

			settled = await queue.writeBack(key, record, mine);
			if (settled) {
				this.#tally(record.id, 'failed');
				queue.emit('outbox:retry', record, { nextAttemptAt: record.nextAttemptAt, code });
			}

			this.#block(record.scope, outcome.kind === 'pause' ? Infinity : record.nextAttemptAt);
		}

		// Not written as its identity signed out meanwhile: untouched, pending, counted as above.
		settled || epochOf(queue) === this.#at || this.#tally(record.id, 'failed');
	}

	/** Make an entry a dead letter (`outbox:dead`), unless this pass may no longer write it (then nobody is told of one). */
	async #bury(record: OutboxRecord, key: string, reason: NonNullable<OutboxRecord['deadReason']>): Promise<void> {
		await this.#queue.bury(record, key, reason, () => this.#mine(record.id), this.#tally) || this.#hold(record);
	}

	/**
	 * A pending record the store refused to give back (its error: not a read that missed `storageTimeoutMs`, as a large
	 * record on a slow device may, which stays pending) while it answered a read of a key it does not hold (not a store
	 * gone down), whether or not other entries are pending: at the third pass in a row that finds it so (`refusedPasses`)
	 * and at least a minute after the first of them (`refusedMs`, the client's clock; a read given back starts the run
	 * anew), the dead letter of an unreadable record (`rejected`, its `lastError` "Unreadable: …", `outbox:dead`) — its
	 * id, scope and key's time kept (nothing else could be read) — and its scope no longer held behind it. True once buried.
	 */
	async #refused(key: string, id: string, scope: string): Promise<boolean> {
		const queue = this.#queue;
		if (!await queue.read(absentKey, true).then(() => true, () => false)) {
			queue.refusals.delete(key); // The store answers no read (down): no run of this record's refusals.
			return false;
		}

		const now = queue.context.clock.now();
		const run = queue.refusals.get(key) ?? { passes: 0, since: now };
		run.passes++;
		queue.refusals.set(key, run);
		if (run.passes < refusedPasses || Math.abs(now - run.since) < refusedMs || !queue.claim(id, true)) {
			return false;
		}

		queue.refusals.delete(key);
		try {
			const record = unreadable(id, scope, Number(key.split('|')[1]) || now, now);
			record.lastError!.message = `Unreadable: the store refused its record at ${refusedPasses} passes over ${refusedMs / 1000} s`;
			await this.#bury(record, key, 'rejected');
		} finally {
			queue.release(id);
		}

		return true;
	}

	/** A dead letter of an entry that cannot be sent as it is (`INVALID_REQUEST`): its dependencies, or `migrate`'s answer. */
	async #invalid(record: OutboxRecord, key: string, reason: 'parent' | 'migrate', message: string): Promise<void> {
		record.lastError = { code: 'INVALID_REQUEST', message: bounded(message) };
		await this.#bury(record, key, reason);
	}
}
