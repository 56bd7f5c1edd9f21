import type { OutboxEventType } from './events.js';
import type { EventFields, PolicyCall, PolicyContext } from '../core/policy.js';
import type { World } from '../core/world.js';
import { SubrequestsSpent } from '../core/invocation.js';
import { SteadfetchError, type SteadfetchErrorCode } from '../errors/SteadfetchError.js';
import { StorageTimeoutError } from '../errors/StorageTimeoutError.js';
import { OutboxFullError } from '../errors/OutboxFullError.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { identityDigest } from '../utils/digest.js';
import { maxTimerMs } from '../utils/validate.js';
import { wallNow } from '../utils/clock.js';
import { within } from '../utils/within.js';
import { holdWorld, partStore, storageMs, type PartStore } from '../core/part-store.js';
import { autoStore } from '../stores/auto.js';
import type { KeySpan } from '../stores/types.js';
import type { ResolvedOutboxOptions } from './options.js';
import { at, dependentsOf, earlyMs, isValues, keptMs, linkKey, parentsOf, Refs, substitute, turned, valuesKey, type Early, type Ref, type Values } from './refs.js';
import { PendingKeys, type PendingView } from './pending.js';
import { lockEntry, lockOutbox } from './locks.js';
import { secretIn, withoutSecrets } from './headers.js';
import { shownText } from './outcome.js';
import { normalised } from './pending-writes.js';
import { isRecord, maxListed, maxReplaces, overwritten, parseKey, recordFields, stale, toEntry, unreadable, type OutboxRecord, type RecordKey, type Tally } from './record.js';
import type { OutboxEntry } from './types.js';
import { diesWithRequest, drainOfAnotherRequest } from './request-bound.js';

/** A pass's permit (the drain's lock held): what it may still do with the records it read. */
export interface Permit {
	/** False once `clear()` or `close()` began, or (with `id`) `discard(id)` removed the entry: nothing more of it is sent or written back. */
	current(id?: string): boolean;
	/** Aborted by `clear()` (outside Workers) and `close()`: the replay under way ends, an answer of the app's is not waited for. */
	readonly signal: AbortSignal;
}

/**
 * How often the layer lists the store for entries this client has not seen (queued by an isolate
 * that is gone, by another tab or process), at most: once per this many ms, on a good answer.
 */
const lookMs = 10_000;

/** The lease of a first attempt whose call has no `totalTimeout` (ms): API.md "Work that outlives its caller". */
export const noLeaseMs = 60_000;

/** Most entries whose asked pointers a client holds (`Queue.#asked`): an app's placeholders in use at once, with room. */
const maxAsked = 1_000;

/**
 * The deadline of a record's write, in ms: the client's `storageTimeoutMs`, plus 1 ms per 10 000
 * bytes of its body (1 s more for a 10 MB photo) — what IndexedDB takes to write it on a slow
 * device, so a write the caller is told is queued is in the store when told (a reload right after
 * keeps it); past it, the write goes on in the background, reported (`storage:error`).
 */
export const writeMs = (context: PolicyContext, bytes: number): number => Math.min(maxTimerMs, storageMs(context) + Math.ceil(bytes / 10_000));

/**
 * What the storage operations on one call's path (a queued write's: its count, the records it reads,
 * its record's write) have left of the one `storageTimeoutMs` they share, in ms: each is bounded by what
 * is left, so a hung store holds the caller one deadline in all, not one per operation in a row (the
 * Standards: storage failures never stall a request). The record's write is still awaited (in workerd,
 * work behind a call without `waitUntil` is dropped). Wall clock: the deadlines are real timers.
 */
export type Budget = <T>(work: Promise<T>, more?: number, lock?: boolean) => Promise<T | undefined>;

/** `work` within `budget` when there is one, else as it is (bounded by its own deadline). */
const spend = async <T>(budget: Budget | undefined, work: Promise<T>, more?: number): Promise<T | undefined> => budget ? budget(work, more) : work;

/** Another client's queue of the name and store in this realm, held weakly (`Queue.#peers`). */
type Peer = { deref(): Queue | undefined };

/**
 * `queue` held weakly where the runtime has `WeakRef` (as utils/held.ts holds the world's clients; not imported
 * from there, as breaker/circuits.ts does not: the chunk that holds it would export one more name).
 */
const weakly = (queue: Queue): Peer => (typeof WeakRef === 'function' ? new WeakRef(queue) : { deref: () => queue });

/** The most of a delivered write's answer read for its dependents' values, in characters (ky's bound on an error's body: 10 MiB). */
const answerChars = 10_485_760;

/**
 * A delivered write's answer as JSON, read as ky reads an error's body: within the client's `timeout` (10 000 ms
 * when it has none) and 10 MiB, else `undefined` (no pointer finds a value in it), its read cancelled. An answer
 * whose body stalls or never ends, or is huge, never holds the delivery (the entry's removal, a drain) nor memory.
 */
const answerOf = async (response: Response, timeout: unknown): Promise<unknown> => {
	const reader = response.clone().body?.getReader();
	const decoder = new TextDecoder();
	let text = '';
	const read = async (): Promise<unknown> => {
		while (text.length <= answerChars) {
			const { done, value } = await reader!.read();
			if (done) {
				break;
			}

			text += decoder.decode(value, { stream: true });
		}

		return text.length > answerChars ? undefined : JSON.parse(text);
	};

	const answer = reader && await within(read(), typeof timeout === 'number' ? Math.min(timeout, maxTimerMs) : 10_000).catch(() => undefined);
	void reader?.cancel().catch(() => undefined);
	return answer;
};

/**
 * Let go of the early answers (`Refs.early`) past their `earlyMs` at `now`, and of those `also` names: no answer is held
 * for the client's life, nor its world (`Queue.hold`: the notes of removals made since it started collapse past their bound again).
 */
const letGoEarly = ({ early }: Refs, now: number, also?: (id: string, held: Early) => boolean): void => {
	for (const [id, held] of early) {
		if (held.until <= now || also?.(id, held)) {
			early.delete(id);
			held.letGo();
		}
	}
};

/** What a superseding write and the writes it replaced share (`coalesce`): the identity and URL (`normalised`). */
const resourceOf = ({ identity, url }: OutboxRecord): string => `${identity} ${normalised(url)}`;

/** Whether a record stored under `key` of `scope` may name `name` in `replaces`: a pending key of its scope, queued before it. */
const replaceable = (name: string, scope: string, key: string): boolean => {
	const named = parseKey(name);
	return !!named && !named.dead && named.scope === scope && name.slice(1) < key.slice(1);
};

/**
 * The clears under way (`clear()`) through any client in this realm (`extend()`, another `createClient` of the name and
 * store), by client name (of everything) or `<name>\0<identity>` (of one identity's): a revival that starts meanwhile
 * (`retry(id)`) of what one removes, through any client of the name, brings nothing back (`revive`).
 */
const clearing = new Map<string, number>();

/** The prefix of every pending entry's key (`makeKey`). */
const pendingPrefix = 'p|';

/** What `list()` shows as the last error of an entry whose record the store did not give back within `storageTimeoutMs`. */
const notRead: OutboxRecord['lastError'] = { code: 'TIMEOUT', message: 'Not read: the store did not answer within storageTimeoutMs' };

/**
 * Whether `Queue.read`'s rejection (`strict`) says the store refused the read itself (its error, at once: `refused`), not
 * that the read missed its deadline (`storageTimeoutMs`, the call's budget) nor a failure this client heard meanwhile.
 */
export const readRefused = (error: unknown): boolean => !!(error as { refused?: boolean }).refused;

/**
 * The outbox's part store as the queue's users (the call side, the drain, the early path) write it: a
 * write or delete of a pending entry's key also keeps the queue's index of pending keys. They read it
 * through the queue (`read`, `list`).
 */
export interface QueueStore {
	/**
	 * `budget`: of the call whose path it is on (see `Budget`). `fresh`: a new entry's record, which a store that refuses it
	 * for its quota (within the wait) does not keep: it rejects with that error, nothing of it kept (API.md `OutboxFullError`
	 * `'quota'`); any other failure keeps it in memory, as every write. `from`: a move of an entry from that key (its
	 * pending or dead one; its pending one to its kept values, `deliver`), deleted only once the store confirmed this write (`PartStore.confirmed`); forgotten by the index at once.
	 */
	set(key: string, value: unknown, budget?: Budget, fresh?: boolean, from?: string): Promise<void>;
	/** `strict`: reject when the store does not confirm the delete (see `PartStore.delete`). */
	delete(key: string, strict?: boolean, budget?: Budget): Promise<void>;
}

/** A replay under way (`Queue.replay`): whether it may still go out, and whether it was refused as it started. */
interface Ticket {
	due(): boolean;
	refused?: boolean;
	/** Its attempt went out (the transport's `World.check`): an error before (a hook's, a layer's) made no attempt. */
	admitted?: boolean;
	/** The request id stored with its entry (`OutboxRecord.requestId`), which the replay continues (`PolicyHooks.replayRequestIdOf`). */
	requestId?: string | undefined;
	/** Its entry's key is the caller's (`OutboxRecord.keyed`: `PolicyHooks.replayKeyed`). */
	keyed?: true | undefined;
	/** The body it replays (its placeholders filled): what its call gave, whose bytes a hook's body is told from (enqueue.ts `hookedBody`). */
	body?: ArrayBuffer | undefined;
}

/** What a replay got: its response, or its error (`unsent`: before its attempt went out, no attempt). */
export interface Replayed {
	response?: Response;
	error?: unknown;
	unsent?: boolean;
}

/**
 * The outbox's queue: its store (`<name>/outbox` through `partStore`: bounded, never rejecting,
 * unconfirmed writes kept in memory), the lock of its drain, the claims, removals and identity
 * checks of this client. The call side (enqueue.ts) and the drain (drain.ts, pass.ts) change what
 * is queued only through it.
 *
 * What is pending is known without listing the store per write (`PendingKeys`): filled by a listing,
 * kept by this client's own writes and deletes, and checked on each queued write and pass against
 * the store's `span` of the pending keys (their count and greatest key: one IndexedDB transaction),
 * which tells whether another tab, worker or process changed them: then, and only then, the store
 * is listed again (not within 10 s of a listing that failed). A store that has no `span` is listed
 * once per `maxEntries / 4` writes queued here (as the stale cache lists its copies), and on a good answer at most every 10 s (`look`).
 *
 * Nothing removed comes back: `clear()` and `discard()` resolve only when the store confirmed every
 * removal; a pass that read an entry before (its `Permit`) writes nothing of it back once it was removed,
 * and its replay is refused as the attempt starts (`admits`), as is one whose identity is no longer
 * the current one.
 */
export class Queue {
	declare readonly context: PolicyContext;
	declare readonly options: ResolvedOutboxOptions;
	declare readonly store: QueueStore;
	/** The part store itself, which the queue reads (its writes go through `store`). */
	readonly #parts: PartStore;
	/** The pending keys, oldest first: the last listing's, with this client's writes and deletes since. */
	readonly #index = new PendingKeys();
	/** The pending keys as this client knows them, to read (`#index`: only the queue changes them). */
	readonly pending: PendingView = this.#index;
	/** Whether a listing filled the index yet. */
	#listed = false;
	/** Entries this client queued since its last listing (a store without `span` is listed again after `maxEntries / 4`). */
	#queued = 0;
	/** Keys the last listing found with the pending prefix that are no entry's: counted by `span`, not in the index. */
	#strays = 0;
	/** Writes and deletes of pending keys this client made (`#note`): a span answered across one is not trusted. */
	#notes = 0;
	/** Scopes paused by a 401/403 (a pass's outcome) until a trigger ends the pause (of the scope, or of every scope). */
	readonly paused = new Set<string>();
	/** Told each entry this client stores as pending (the count of pending writes, outbox.ts), with the record's own identity. */
	queued: ((record: OutboxRecord) => void) | undefined;
	#failures = 0;
	/** Each pending key's run of passes in a row that found the store refusing it, and when the first did (pass.ts `#refused`). */
	readonly refusals = new Map<string, { passes: number; since: number }>();
	#closed = false;
	/** Bumped by `clear()` (of everything, or of the current identity's): a permit of an older epoch sends and writes back nothing. */
	#epoch = 0;
	/** Whether this client's pass has the lock now: its claims tell what is in flight. */
	#locked = false;
	#abort: AbortController | undefined;
	/**
	 * Whose entry this client's pass under way replays: the identity it read for it (`Pass#entry`), which stays that of the
	 * replay in flight after a sign-out. A clear of that identity ends the pass (`#clear`), whoever is signed in by then.
	 */
	replayingFor: string | undefined;
	/** The `onConflict` waits of first attempts queued at their deadline (early.ts), each its own controller (workerd): ended as a pass's. */
	readonly waits = new Set<AbortController>();
	/** Passes, revivals, removals and supersessions under way: removed ids are kept while any is. */
	#busy = 0;
	/**
	 * Whose lane each pending entry this client has read is, by id: `<scope> <identity digest>`, or
	 * `null` when this client leaves it alone whoever calls (a newer version's, unreadable); and how
	 * many entries each lane has: whether a call waits behind its scope is one lookup, whoever else's
	 * entries are pending (`behind`).
	 */
	readonly #known = new Map<string, string | null>();
	readonly #lanes = new Map<string, number>();
	/** The retention start of each pending entry of a newer version this client read: a pass leaves it unread until its retention can have ended. */
	readonly newer = new Map<string, number>();
	/** When this client first read the lease of an entry whose creation is ahead of its clock, by id (`leaseOf`): kept while it is ahead. */
	readonly #firstRead = new Map<string, number>();
	/**
	 * The call sequence (enqueue.ts) of each pending entry this client, or another of the name and store in this
	 * realm (`#peers`: the sequence is the module's), queued, by id: a call made before it is queued before it.
	 */
	readonly order: Map<string, number>;
	/**
	 * Moves of an entry from one key to another (pending → dead, dead → pending, pending → its kept values at its delivery:
	 * `from` of `QueueStore.set`) whose new key the
	 * store has not confirmed, new key → old key, of every client of the name and store here (their part store is one): the old
	 * key stays in the store until then (a reload finds the entry), listed by none of them, and goes once it is confirmed.
	 */
	readonly #moves: Map<string, string>;
	/**
	 * New pending keys whose write the store refused (not for its quota), kept in memory until it confirms them (or their
	 * delete), of every client of the name and store here: the store's span cannot count them (`refresh`).
	 */
	readonly #refused: Set<string>;
	/**
	 * The ids of each URL's pending entries this client wrote or read (by the URL's `normalised` spelling: `/todos/%7E` is
	 * `/todos/~`), and by id the set it is in: a coalescing write looks only at its URL's.
	 */
	readonly #ids = new Map<string, Set<string>>();
	readonly #urls = new Map<string, Set<string>>();
	/** Pending entries of the last listing whose record this client has not read yet (not known): a coalescing write, or `behind`, reads them first. */
	#unread = new Set<string>();
	/** Ids being replayed by this client's drain (`true`: by a pass): checked and claimed with no await since the record's read. */
	readonly #claims = new Map<string, boolean>();
	/** Who waits for the end of a pass's work on an entry (`orphan`): woken at each `release`, it looks again. */
	readonly #wakes: Array<() => void> = [];
	/**
	 * The pending keys a stored record names in `replaces` (superseded: `coalesce`), as this client read them, each with the
	 * identity and URL of the record that names it (`resourceOf`): a pass removes such an entry of that identity and URL, never
	 * replays it. Only keys the last listing found.
	 */
	readonly #replaced = new Map<string, string>();
	/** Ids removed (`discard`, superseded) while work that may have read their record was under way. */
	readonly #removed = new Set<string>();
	/** Identity digests computed, by identity (a few kept): each pass and call asks for the current one. */
	readonly #digests = new Map<string, string>();
	/** The replays under way, by Idempotency-Key: whether each may still go out, and whether the layer refused it. */
	readonly #tickets = new Map<string, Ticket>();
	/**
	 * The calls whose first attempt goes on after they were told "queued" (`follow`): their entry's id, and the world its
	 * removal is asked of (opened as it was stored, before anyone could remove it: the removals of other entries noted
	 * since the call started, however many, never count as its own).
	 */
	readonly #following = new Map<PolicyCall, [string, World]>();
	/** The keys of kept values (`v|<id>`) and the ids of the entries stored, pending or dead, as the last listing found them. */
	#kept: string[] = [];
	#stored = new Set<string>();
	/**
	 * The dependents recorded with each entry (`linkKey`), as the last listing found them and this client wrote them since;
	 * and the parents of the listing's links it held neither stored nor delivered (discarded, cleared, their values pruned): `prune` removes those links.
	 */
	#links = new Map<string, Set<string>>();
	#unlinked: string[] = [];
	/** When each kept value's `keptMs` ends, as `prune` last read it: not read before then. */
	#keptUntil = new Map<string, number>();
	/** The dead letters of this client's first listing, until `scrub` looked at them (then `null`). */
	#dead: RecordKey[] | null | undefined;
	/**
	 * The placeholders `outbox.ref()` made, shared by the clients of one name and store (`extend()`, as
	 * their store is): a placeholder one of them made goes in a call of another.
	 */
	readonly refs: Refs;
	/**
	 * The pointers this client's `ref()` asked of each entry (`ask`): a delivery here keeps their values
	 * (`keep`), and a `ref()` made again asks nothing. Forgotten at the entry's discard and a clear of everything;
	 * at most `maxAsked` entries (the oldest go).
	 */
	readonly #asked = new Map<string, Set<string>>();
	/** The pointers `ask` records with each entry at the end of this turn (`ask`). */
	readonly #asking = new Map<string, Set<string>>();
	/** The `Budget` of each eligible write's storage operations (enqueue.ts), read by the layer and `enqueue`. */
	readonly budgets = new WeakMap<PolicyCall, Budget>();
	/** Calls holding placeholders (the wrapper found them): queued behind their entries, never sent as they are. */
	readonly dependents = new WeakMap<PolicyCall, { dependsOn: string[]; refs: Record<string, Ref> }>();
	/**
	 * The queues of this client's name and store in this realm (the clients `extend()` made of one another share
	 * one outbox), held weakly (a client made per request and never closed is not kept alive): each tells the
	 * others its writes and deletes of pending keys (`#note`), so what each knows is pending holds theirs at once
	 * — `maxEntries` is checked as a write is stored, with no await before it, against the writes of them all.
	 */
	readonly #peers: Set<Peer>;
	readonly #self = weakly(this);
	/** When the layer may list the store again (`look`; injected clock). */
	#lookAt = Number.NEGATIVE_INFINITY;
	/** Until when `refresh` lists nothing after a failed listing (the index as it was is used); the drain's backoff ends it. */
	quiet = 0;

	constructor(context: PolicyContext, options: ResolvedOutboxOptions) {
		// A record it keeps while the store fails is forgotten as a discard of its entry removes it: the entry's, its kept values' (`v|id`).
		const store = partStore(context, 'outbox', autoStore, (key) => key.startsWith('v|') ? key.slice(2) : parseKey(key)?.id);
		this.#parts = store;
		const { stores } = context;
		this.refs = (stores.get('#refs') ?? stores.set('#refs', new Refs()).get('#refs')) as Refs;
		this.#peers = (stores.get('#queues') ?? stores.set('#queues', new Set()).get('#queues')) as Set<Peer>;
		// Those gone (a client `extend()` made per request, dropped unclosed) are let go here too, not only at the next
		// write to the store (`#note`): a read-only page keeps none of them.
		for (const peer of this.#peers) {
			if (!peer.deref()) {
				this.#peers.delete(peer);
			}
		}

		this.#peers.add(this.#self);
		context.hooks.replayRequestIdOf = (call) => call.replay ? this.#tickets.get(call.idempotencyKey!)?.requestId : undefined;
		context.hooks.replayKeyed = (call) => !!this.#tickets.get(call.idempotencyKey!)?.keyed;
		this.order = (stores.get('#order') ?? stores.set('#order', new Map()).get('#order')) as Map<string, number>;
		const moves = (stores.get('#moves') ?? stores.set('#moves', new Map()).get('#moves')) as Map<string, string>;
		this.#moves = moves;
		const refused = (stores.get('#refused') ?? stores.set('#refused', new Set()).get('#refused')) as Set<string>;
		this.#refused = refused;
		store.confirmed ??= (key) => {
			refused.delete(key);
			const old = moves.get(key);
			moves.delete(key);
			return old === undefined ? undefined : store.delete(old);
		};
		Object.assign(this, {
			context, options, store: {
				set: async (key, value, budget, fresh, from) => {
					for (const [to, old] of moves) {
						old === key && moves.delete(to); // Written again: no longer moved (`revive` of a dead letter whose dead key the store refused).
					}

					from && moves.set(key, from) && this.#note(from, false);
					this.#note(key, true, value); // Before the store confirms: a count or a pass of this client meanwhile sees it.
					// A record with a body is given longer, by its size (`writeMs`): a photo told "queued" is in the store.
					const body = (value as OutboxRecord | undefined)?.body;
					const ms = body instanceof ArrayBuffer ? writeMs(context, body.byteLength) : storageMs(context);
					try {
						await spend(budget, store.set(key, value, ms, fresh, context.world(context.identity())), ms - storageMs(context));
					} catch (error) {
						// Only a `fresh` write rejects (`strict`). IndexedDB names a full store so, as the transaction's error too.
						if ((error as Error | undefined)?.name === 'QuotaExceededError') {
							moves.delete(key);
							store.superseded(key); // Not kept in memory, never written again.
							this.#note(key, false);
							throw error;
						}

						key.startsWith(pendingPrefix) && refused.add(key);
					}

					this.#named(key, value);
				},
				delete: async (key, strict, budget) => {
					// A moved entry removed (delivered, discarded, cleared) before the store took its new key: its old key goes too.
					const old = moves.get(key);
					moves.delete(key);
					this.#note(key, false);
					await spend(budget, store.delete(key, strict));
					await (old && store.delete(old, strict));
				},
			} satisfies QueueStore,
		});
		context.on('storage:error', ({ part }) => {
			this.#failures += part === 'outbox' ? 1 : 0;
		});
	}

	/**
	 * A call's `Budget` (`storageTimeoutMs`): `work` (a part store's operation: bounded, reported) is waited for
	 * while anything is left (`more`: ms more, a record's body's), else `undefined` — counted as a failure of the
	 * store (`failures`: a strict `read` rejects), the operation going on, reported at its own deadline. `lock`: `work`
	 * waits for a lock first (`mark`), held by another's work (no failure of the store when it runs out).
	 */
	budget(): Budget {
		let left = storageMs(this.context);
		return async (work, more = 0, lock = false) => {
			const started = wallNow();
			try {
				const done = await within(work.then((value) => [value]), Math.max(0, left) + more);
				this.#failures += done || lock ? 0 : 1;
				return done?.[0];
			} finally {
				left -= wallNow() - started;
			}
		};
	}

	get closed(): boolean {
		return this.#closed;
	}

	/** `storage:error` reports of the outbox so far: an operation that answered nothing failed when this moved. */
	get failures(): number {
		return this.#failures;
	}

	/** Whether a replay, or the first attempt of a write told "queued", is under way: the layer then checks each attempt (`admits`). */
	get replaying(): boolean {
		return this.#tickets.size > 0 || this.#following.size > 0;
	}

	/**
	 * The outbox's keys in the store (another part's are skipped), oldest first; notes the pending ones.
	 * When the store does not list (reported as `storage:error`): rejects with `strict`, else the
	 * pending keys this client knows, as they were.
	 */
	async list(strict?: boolean, budget?: Budget): Promise<RecordKey[]> {
		let listed: string[];
		try {
			const keys = await spend(budget, this.#parts.keys(true));
			if (!keys) {
				throw new StorageTimeoutError('keys() took longer than the call\'s storageTimeoutMs');
			}

			const moved = new Set<string>();
			const present = new Set(keys);
			for (const [to, from] of this.#moves) {
				// Neither key listed: its old key removed (another tab's discard or delivery) and its new one forgotten with it, the move is over.
				present.has(to) || present.has(from) ? moved.add(from) : this.#moves.delete(to);
			}

			for (const key of [...this.#refused, ...this.refusals.keys()]) {
				// Forgotten (a clear, a removal: another tab's, another client's of the name and store): no longer kept in memory.
				if (!present.has(key)) {
					this.#refused.delete(key);
					this.refusals.delete(key);
				}
			}

			for (const name of this.#replaced.keys()) {
				present.has(name) || this.#replaced.delete(name); // Gone from the store (as this client sees it): never replayed.
			}

			// Each key once (`present`): a store that lists one twice (buggy, foreign) never counts, shows or replays an entry twice.
			listed = [...present].filter((key) => !moved.has(key)).sort();
		} catch (error) {
			// A failed listing counts as the listing of the next 10 s (`refresh`, `look`): a failing store is not asked per call or write.
			this.#lookAt = this.quiet = this.context.clock.now() + lookMs;
			if (strict) {
				throw error;
			}

			return [...this.#index.all];
		}

		const keys = listed.flatMap((key) => parseKey(key) ?? []);
		// An entry under both its keys: a move whose old key's delete never came (the tab died between them, the store failed
		// it). It is the record moved more often (`moved`: a retried dead letter is pending, a buried entry dead), the dead
		// letter when they tie or a read fails: never replayed once dead, shown once, its other key removed with it (`stale`).
		const dead = new Map(keys.flatMap((each) => each.dead ? [[each.id, each]] : []));
		// (The pending key of a dead letter the store still holds names what it replaced too: its removal waits for theirs.)
		const moved = async (each: RecordKey): Promise<number> => {
			const record = await this.read(each.key, true, budget);
			if (!isRecord(record)) {
				return 0;
			}

			this.#names(each, record);
			return record.moved ?? 0;
		};
		for (const each of keys) {
			const other = !each.dead && dead.get(each.id);
			if (other) {
				const retried = await Promise.all([moved(each), moved(other)]).then(([pending, buried]) => pending > buried, () => false);
				each.dead = other.dead = !retried;
			}
		}

		if (this.#dead !== null) {
			this.#dead = keys.filter((each) => each.dead && !stale(each)); // For `scrub`.
		}

		this.#kept = listed.filter((key) => key.startsWith('v|'));
		this.#stored = new Set(keys.map((each) => each.id));
		this.#links = new Map();
		for (const key of listed) {
			const [kind, parent = '', dependent = ''] = key.split('|');
			kind === 'l' && this.#linksOf(turned(parent)).add(turned(dependent));
		}

		const kept = new Set(this.#kept);
		this.#unlinked = [...this.#links.keys()].filter((parent) => !this.#stored.has(parent) && !kept.has(valuesKey(parent)));
		this.#index.reset(keys.filter((key) => !key.dead && !stale(key)));
		this.#listed = true;
		this.#queued = 0;
		this.#strays = listed.filter((key) => key.startsWith(pendingPrefix)).length - this.#index.size;
		if (!this.#index.size) {
			this.#ids.clear(); // Nothing pending: what it knew is gone.
			this.order.clear();
		}

		for (const id of this.#known.keys()) {
			this.#index.find(id) || this.#forget(id); // Removed by another tab or client.
		}

		this.#unread = new Set(this.#index.all.flatMap(({ id }) => this.#known.has(id) ? [] : [id]));

		return keys;
	}

	/**
	 * Make what this client knows is pending current, without a listing when the store can tell it
	 * nothing changed behind its back: its `span` of the pending keys (count and greatest key) matches
	 * the index. Else (another tab, worker or process queued or removed entries, or this client never
	 * listed) the store is listed. A store that cannot tell is listed at first, then once per
	 * `maxEntries / 4` entries queued here, and each time while a new pending key it refused is kept in memory
	 * (`#refused`). Within 10 s of a listing that failed (`quiet`), not listed:
	 * the index as it was is used, a failing store is not asked per call, write or pass. `budget`: see `Budget`.
	 */
	async refresh(budget?: Budget): Promise<void> {
		const span = await this.#span(budget);
		// A move's old pending key stays in the store until its new key is stored (`#moves`), listed by none: the store's span counts it.
		const moved = [...this.#moves.values()].filter((key) => key.startsWith(pendingPrefix)).length;
		const changed = span === undefined
			? !this.#listed || this.#refused.size > 0 || this.#queued >= Math.max(1, this.options.maxEntries / 4)
			: span !== 'busy' && (span.count !== this.#index.size + this.#strays + moved || (!moved && this.#strays === 0 && span.last !== this.#index.last));
		if (changed && this.context.clock.now() >= this.quiet) {
			await this.list(false, budget);
		}
	}

	/**
	 * The store's span of the pending keys; `'busy'` when a write or delete of this client's crossed it
	 * (its answer may not hold that change: the index is trusted this time, the next refresh asks
	 * again); `undefined` when the store cannot tell.
	 */
	async #span(budget?: Budget): Promise<KeySpan | 'busy' | undefined> {
		const notes = this.#notes;
		const span = await spend(budget, this.#parts.span(pendingPrefix));
		return span && notes !== this.#notes ? 'busy' : span;
	}

	/** A write (`set`, of `value`) or delete of `key` by this client (or, `told`, by a peer's): the index follows, and the peers'. */
	#note(key: string, set: boolean, value?: unknown, told?: boolean): void {
		this.#notes++;
		for (const peer of told ? [] : this.#peers) {
			const queue = peer.deref();
			if (!queue) {
				this.#peers.delete(peer);
			} else if (queue !== this) {
				queue.#note(key, set, value, true);
			}
		}

		const entry = parseKey(key);
		const [kind, parent = '', dependent = ''] = key.split('|');
		kind === 'l' && this.#linksOf(turned(parent))[set ? 'add' : 'delete'](turned(dependent)); // A dependent's link (`linkKey`).
		if (!entry || entry.dead) {
			return;
		}

		if (set) {
			this.#queued += this.#index.add(entry) ? 1 : 0;
			this.#learn(entry, value, false);
		} else {
			this.#index.delete(entry);
			this.refusals.delete(key); // Removed here or by a peer; another tab's removal: the next listing.
			this.#forget(entry.id);
			this.#index.find(entry.id) && this.#unread.add(entry.id); // Another key of it stays (a crash between a rewrite's writes).
			this.order.delete(entry.id);
		}
	}

	/**
	 * Note the lane and URL of a pending entry's record (`value`) this client wrote or read, while it is pending; what it
	 * names in `replaces` too unless `named` is false (a write: once the store took it, `#named`).
	 */
	#learn(entry: RecordKey, value: unknown, named = true): void {
		const { id, scope } = entry;
		// Of the key its id finds only: another key of the id (a planted record's) never gives the entry another's lane.
		if (this.#index.find(id)?.key === entry.key) {
			this.#forget(id);
			const record = isRecord(value) ? value : undefined;
			const newer = record !== undefined && record.version! > this.options.version;
			const lane = record && !newer ? `${scope} ${record.identity}` : null;
			this.#known.set(id, lane);
			newer && this.newer.set(id, record.retainFrom ?? record.createdAt);
			lane && this.#lanes.set(lane, (this.#lanes.get(lane) ?? 0) + 1);
			if (record) {
				named && this.#names(entry, record);
				const url = normalised(record.url);
				const ids = this.#ids.get(url) ?? new Set();
				this.#ids.set(url, ids.add(id));
				this.#urls.set(id, ids);
			}
		}
	}

	/**
	 * Note the keys `record` (stored under `key`) names in `replaces`: distrusted, only pending keys of its scope older
	 * than its own (what `supersede` names), for its identity and URL.
	 */
	#names({ key, scope }: RecordKey, record: OutboxRecord): void {
		for (const name of record.replaces ?? []) {
			replaceable(name, scope, key) && this.#replaced.set(name, resourceOf(record));
		}
	}

	/**
	 * Note what pending record `value`, which this client wrote under `key`, names in `replaces` (`#names`), here and in
	 * the peers, once the store took it or keeps it in memory: a superseding write the store refused for its quota
	 * (`OutboxFullError`: what was queued stays) supersedes nothing, never removed by a pass as replaced.
	 */
	#named(key: string, value: unknown): void {
		const entry = parseKey(key);
		for (const peer of this.#peers) {
			const queue = peer.deref();
			if (entry && isRecord(value) && queue && queue.#index.find(entry.id)?.key === key) {
				queue.#names(entry, value);
			}
		}
	}

	#forget(id: string): void {
		const lane = this.#known.get(id);
		lane && this.#lanes.set(lane, this.#lanes.get(lane)! - 1);
		this.#known.delete(id);
		this.newer.delete(id);
		this.#urls.get(id)?.delete(id);
		this.#urls.delete(id);
		this.#unread.delete(id);
	}

	/**
	 * Whether a call's good answer should list the store now (`look`): at most once per `lookMs`, and
	 * only for a call whose background work has somewhere to go (its `waitUntil`, or a runtime where
	 * work outlives the request). Cheap: asked before every attempt.
	 */
	due(call: PolicyCall | undefined): boolean {
		return this.context.clock.now() >= this.#lookAt && !diesWithRequest(call?.waitUntil);
	}

	/** Take the listing that `due` said may be made now: false when another call took it first. */
	look(call: PolicyCall | undefined): boolean {
		if (!this.due(call)) {
			return false;
		}

		this.#lookAt = this.context.clock.now() + lookMs;
		return true;
	}

	/** Pending entries, as the store has them now (see `refresh`). */
	async count(budget?: Budget): Promise<number> {
		await this.refresh(budget);
		return this.#index.size;
	}

	/**
	 * Pending entries as the app sees them (`size()`): `count`, less those a stored record names as superseded
	 * (`replaces`: a delete the store failed left them), which a pass removes, never replays (`replaced`).
	 */
	async size(): Promise<number> {
		let size = await this.count();
		await this.#study(() => true);
		for (const { key } of this.#index.all) {
			const record = this.#replaced.has(key) && await this.read(key);
			isRecord(record) && this.#superseded(key, record) && size--;
		}

		return size;
	}

	/**
	 * Read the records of the last listing's pending entries this client has not read yet that `wanted` takes (`#learn`:
	 * what they name in `replaces`). One the store refused (its error, at once) is passed over, the rest read on (what a
	 * record behind it names is still learned), as `forEach` does, unless the read before was refused too (a store gone down).
	 */
	async #study(wanted: (entry: RecordKey) => boolean): Promise<void> {
		let refusedBefore = false;
		for (const id of this.#unread) {
			const entry = this.#index.find(id);
			if (entry && wanted(entry)) {
				try {
					this.#learn(entry, await this.read(entry.key, true));
					refusedBefore = false;
				} catch (error) {
					if (readRefused(error) && !refusedBefore) {
						refusedBefore = true;
						continue;
					}

					return; // The store did not answer: the rest are not asked (one `storageTimeoutMs`, not one per entry).
				}
			}
		}
	}

	/** Whether pending entry `record` (`key`) is one a stored record of its identity and URL superseded (`replaces`, as `#names` trusts them). */
	#superseded(key: string, record: OutboxRecord): boolean {
		return overwritten.test(record.method) && this.#replaced.get(key) === resourceOf(record);
	}

	/**
	 * A stored value (`undefined` when absent); `strict`: reject when the store did not answer — `readRefused` of it true when
	 * it rejected the read itself (its error), not when the read missed its deadline (`storageTimeoutMs`, the call's budget).
	 * The part store's own failure, not only a `storage:error` this client heard (the work of another client of the name and
	 * store may fail meanwhile: its parent hears a child's). `budget`: see `Budget`. A record's `id` and `scope` are its key's (distrust of
	 * storage): the key lists, orders, claims and blocks it (FIFO).
	 */
	async read(key: string, strict?: boolean, budget?: Budget): Promise<unknown> {
		const failures = this.#failures;
		let value: unknown;
		try {
			value = await spend(budget, this.#parts.get(key, strict)); // (A `try`, not a `catch()`: no step more for a read that answers.)
		} catch (error) {
			throw Object.assign(new Error(`The outbox could not read ${key}`), { refused: !(error instanceof StorageTimeoutError) });
		}

		if (strict && value === undefined && failures !== this.#failures) {
			throw new Error(`The outbox could not read ${key}`);
		}

		const entry = parseKey(key);
		const record = value as OutboxRecord | undefined;
		if (entry && record?.v === 1) {
			Object.assign(record, { id: entry.id, scope: entry.scope });
			// Its `lastError`'s texts as the outbox ever stores them (`shownText`: bounded, no password or sensitive query value): shown, told and written back so.
			for (const name of ['code', 'message'] as const) {
				const text = (record.lastError as Record<string, unknown> | undefined)?.[name];
				if (typeof text === 'string') {
					record.lastError![name] = shownText(text, this.context);
				}
			}

			// Fields this build does not know (a later build's, a corrupt write's): kept only as the dead letter of an unreadable
			// record keeps its fields (`withoutSecrets`: 256 fields, 1 MiB of JSON each, 4 MiB in all), never written back whole with each attempt.
			const unknown = Object.entries(record).filter(([name]) => !recordFields.includes(name));
			if (unknown.length > 0) {
				for (const [name] of unknown) {
					delete (record as unknown as Record<string, unknown>)[name];
				}

				Object.assign(record, withoutSecrets(this, Object.fromEntries(unknown)));
			}
		}

		return value;
	}

	/** The entries, pending or dead, as the app sees them (a pending one that is no readable record too): no record's body is kept (a queue of photos is never all in memory). */
	async entries(dead: boolean): Promise<OutboxEntry[]> {
		const entries: OutboxEntry[] = [];
		const now = this.context.clock.now();
		// One it cannot read (a pending one counted by `size()`) as the dead letter a pass makes of it shows it (pass.ts): nothing of it.
		const shown = ({ id, key, scope }: RecordKey, lastError?: OutboxRecord['lastError']) =>
			entries.push(toEntry({ ...unreadable(id, scope, Number(key.split('|')[1]), now), ...lastError && { lastError }, ...dead && { deadReason: 'rejected' } }));
		// One whose record the store did not give back in time is shown so too (counted by `size()`), as not read: it stays as it is.
		// A pending one's `nextAttemptAt` past what a pass waits for (`maxBackoffMs`, a `Retry-After`'s retention: a time read from
		// storage) as the pass takes it: due now.
		const due = (record: OutboxRecord): OutboxRecord => dead || record.nextAttemptAt - now <= (record.pinned ? this.options.retentionMs : this.options.maxBackoffMs) ? record : { ...record, nextAttemptAt: now };
		await this.forEach(dead, (record) => entries.push(toEntry(due(record), dead ? undefined : this.leaseOf(record, now))), shown, (key) => shown(key, notRead));
		return entries;
	}

	/**
	 * Each readable record, pending or dead (`undefined`: both, of one listing), handed to `visit` as it is
	 * read: one at a time, none kept here (a body may be a large file); an entry once (a pending key `list`
	 * marks dead is not read: its dead key is). Once the store did not answer a read, the rest are not read:
	 * a store gone down in the middle of a long queue costs one `storageTimeoutMs`, not one per entry (a record
	 * it refused, its error, is told `unread` and the rest read on, unless the read before was refused too).
	 * `unread`: told of each one that is no readable record (a pending one is counted by `count`; a pass makes it a dead letter).
	 * `unanswered`: told of each one not read because the store did not answer in time (listed, so counted by `count`).
	 */
	async forEach(dead: boolean | undefined, visit: (record: OutboxRecord) => void, unread?: (key: RecordKey) => void, unanswered?: (key: RecordKey) => void): Promise<void> {
		// The store's keys once more, at the first key whose record read as nothing: removed since the listing (another tab
		// delivered or discarded it), or there and giving back nothing (a pending one counted by `count` all the same): shown
		// unreadable, as a dead letter too, `discard(id)` removes it (a pass makes a pending one a dead letter). One listing at most.
		let again: Set<string> | undefined;
		const keys = await this.list();
		// What every pending record names in `replaces` first: an entry a later write superseded is not shown, as a pass never sends it.
		dead || await this.#study(() => true);
		// A key of the kind asked for (`undefined`: both), listed under its own kind's prefix.
		const wants = (key: RecordKey): boolean => !stale(key) && (dead === undefined || key.dead === dead);
		// Whether the last record read was refused (its error): a second refusal in a row ends the reading.
		let refusedBefore = false;
		for (const [at, key] of keys.entries()) {
			const wanted = wants(key);
			let record: unknown;
			try {
				if (wanted) {
					record = await this.read(key.key, true);
					refusedBefore = false; // Given back: refusals count in a row.
				}
			} catch (error) {
				// The store refused this one (its error, at once: no deadline spent) after it gave back the one before: told
				// `unread`, the rest read on. Two in a row is a store gone down, as one it did not answer in time.
				if (readRefused(error) && !refusedBefore) {
					refusedBefore = true;
					unread?.(key);
					continue;
				}

				// The store did not answer in time: the rest are not read, `unanswered` told of each one wanted.
				for (const left of keys.slice(at)) {
					wants(left) && unanswered?.(left);
				}

				return;
			}

			dead || this.#learn(key, record); // Neither a coalescing write nor `behind` reads it again (the client's start reads every one).
			if (isRecord(record) && this.#superseded(key.key, record)) {
				continue;
			}

			// One holding what the outbox never stores (a header the client marks sensitive since an older version stored it) is unreadable, as a pass finds it.
			if (isRecord(record) && !secretIn(this, record)) {
				visit(record);
			} else if (unread && wanted) {
				if (record === undefined) {
					again ??= await this.keysNow();
				}

				(record !== undefined || again!.has(key.key)) && unread(key);
			}
		}
	}

	/** The store's keys now (none when it does not list): whether a key whose record read as nothing is still there. */
	async keysNow(): Promise<Set<string>> {
		return new Set(await this.#parts.keys());
	}

	/** The digest an identity is known by in storage (`undefined` without one), computed once. */
	digest(who: string | undefined): string | Promise<string> | undefined {
		const digests = this.#digests;
		return who === undefined ? undefined : digests.get(who) ?? identityDigest(this.context.name, who).then((digest) => {
			if (digests.size > 15) {
				digests.clear();
			}

			digests.set(who, digest);
			return digest;
		});
	}

	/**
	 * The lane (`<scope> <identity digest>`) of a pending entry whose record (under `key`, the key its id finds) this client
	 * has read; `null`: one it leaves alone. Another key of its id (a crash's twin, a planted record) is read again.
	 */
	laneOf(id: string, key: string): string | null | undefined {
		return this.#index.find(id)?.key === key ? this.#known.get(id) : undefined;
	}

	/**
	 * Whether `scope` has a pending entry this client would replay now (of the current identity, of
	 * this version or older): only such an entry holds a call of its scope (FIFO). Reads the records of
	 * the scope this client has not read yet; another identity's entries are not looked at. One whose read
	 * the store refuses or does not answer in time holds it too (whose it is unknown: it may be this identity's
	 * older write, and a pass holds its scope behind it the same way), read again at the next call, until it is
	 * read or a pass buries it (pass.ts `#refused`). `budget`: see `Budget`.
	 */
	async behind(scope: string, budget?: Budget): Promise<boolean> {
		const mine = await this.digest(this.context.identity());
		let unreadable = false;
		for (const id of [...this.#unread]) {
			const entry = this.#index.find(id);
			if (entry?.scope === scope) {
				try {
					this.#learn(entry, await this.read(entry.key, true, budget));
				} catch {
					unreadable = true; // Not learnt: still unread.
				}
			}
		}

		return unreadable || !!this.#lanes.get(`${scope} ${mine}`);
	}

	/**
	 * Run `task` under the outbox's lock of this client name, where Web Locks exist (not in workerd,
	 * nor in the edge build: locks.ts `lockOutbox`, locks-edge.ts): one drain at a time across the tabs,
	 * workers and clients of a process. `signal`: give up waiting for the lock when it aborts (the
	 * promise rejects, `task` is not run).
	 */
	async #lock<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
		return lockOutbox(this.context.name, task, signal);
	}

	/**
	 * Run `task` under entry `id`'s own lock, where Web Locks exist (across the tabs and workers of the
	 * origin): a delivery keeps its answer's values and removes the entry under it, and a dependent
	 * records the pointers it asks of the entry under it (`outbox.ref()`), so the two never interleave:
	 * no pointer is recorded after the values were read, and no removed entry is written back. Without
	 * Web Locks (workerd, the edge build: locks.ts `lockEntry`) `task` runs at once, as the drain's own
	 * lock does there: a promise one request waits for must not be settled by another request's work.
	 */
	async entryLock<T>(id: string, task: () => Promise<T>): Promise<T> {
		return lockEntry(this.context.name, id, task);
	}

	/**
	 * Write a pending entry's record back after an attempt failed (`record` was read before it went out),
	 * under the entry's lock, with the pointers and dependents recorded with its stored copy meanwhile (a
	 * dependent queued in any tab, a `ref()`: enqueue.ts, `ask`): none is dropped, so its delivery still
	 * keeps the values they wait for. Written only while `current()` (no await between it and the write):
	 * resolves whether it was, so nobody is told of a write a clear or discard prevented;
	 * `to`: under another key (its dead key), the pending one then removed. Nothing is written when the
	 * store did not answer the read (what another tab recorded would be written over): the entry stays
	 * as stored, pending, and the drain comes back after a backoff.
	 */
	async writeBack(key: string, record: OutboxRecord, current: () => boolean, to = key): Promise<boolean> {
		return this.entryLock(record.id, async () => {
			// A dead letter's pending key goes after the entries it replaced (`replaces`): its record names them.
			const last = to === key ? key : await this.#outlived(record, key);
			let stored: unknown;
			try {
				stored = await this.read(key, true);
			} catch (error) {
				// But the dead letter of a record the store refuses to give back (pass.ts `#refused`): nothing of it to merge.
				if (record.method || !readRefused(error)) {
					return false;
				}
			}

			for (const list of ['pointers', 'dependents'] as const) {
				const all = new Set([...record[list] ?? [], ...isRecord(stored) && stored[list] || []]);
				if (all.size > 0) {
					record[list] = [...all].slice(0, maxListed);
				}
			}

			if (!current()) {
				return false;
			}

			// A dead letter (`bury`): stored under its dead key, its pending key going once the store confirmed it (a reload finds
			// the entry pending, never neither) and the last delete `#outlived` left (`#wait`); this client lists it dead at once, never replays it.
			this.#wait(last, key);
			await this.store.set(to, record, undefined, false, to === key ? undefined : last);
			// Its dead key not confirmed (kept in memory): the record, dead, over its pending key too, so a reload's pass buries it, never sends it.
			await (to !== key && this.#moves.get(to) === last && this.#parts.set(key, record));
			// Removed by a clear or discard that began while the store took it (no drain lock held here: an early write's): nothing to tell.
			return current();
		});
	}

	/**
	 * `ref(id, pointer)`: `pointer` recorded with entry `id`'s stored record while it is pending, under
	 * its lock, so whichever tab delivers it keeps that value — also for a call made with the placeholder
	 * only after the delivery (this client's own delivery also reads `#asked`). Once per entry and
	 * pointer, those asked of it in one turn by one write; nothing written back once the entry was removed or cleared (its `world`). Never rejects.
	 */
	async ask(id: string, pointer: string): Promise<void> {
		const world = this.context.world();
		const asked = this.#asked.get(id) ?? new Set<string>();
		if (asked.has(pointer)) {
			return;
		}

		this.#asked.set(id, asked.add(pointer));
		if (this.#asked.size > maxAsked) {
			// The entry asked of longest ago goes: delivered or dead by now, most likely.
			this.#asked.delete(this.#asked.keys().next().value!);
		}

		// The pointers asked of it in one turn (a render's `ref()` calls) recorded by one write, not one each.
		let batch = this.#asking.get(id);
		if (batch) {
			batch.add(pointer);
			return;
		}

		batch = new Set([pointer]);
		this.#asking.set(id, batch);
		const letGo = this.hold(world);
		await Promise.resolve();
		this.#asking.delete(id);
		await this.mark(id, world, [...batch]).catch(() => undefined).finally(letGo);
	}

	/**
	 * Record `pointers` (`ref()`: `ask`) with pending entry `id`'s stored record, and the dependent `dependent` queued with
	 * its placeholders (enqueue.ts) by its link key (`linkKey`), under its lock: whichever tab delivers it
	 * keeps their values (its delivery reads them and removes it under the same lock). Only while it is
	 * pending here (for an entry this client does not know as pending, the queue is refreshed first)
	 * and `world` is current (no discard of it, no clear: a removed entry is never written back).
	 * Resolves whether it was pending, readable and current; writes only what it did not hold. Rejects when
	 * the store did not answer its read (`budget`: its call's, see `Budget`). On a call's path (`budget`) the wait for
	 * the lock counts too — the entry's delivery holds it while it reads its answer (up to the client's `timeout`) —:
	 * past the budget it resolves `undefined`, as a store that did not answer, and records once the lock is granted.
	 */
	async mark(id: string, world: World, pointers: string[], dependent?: string, budget?: Budget): Promise<boolean | undefined> {
		if (budget) {
			const marked = this.mark(id, world, pointers, dependent);
			marked.catch(() => undefined); // Its caller may have gone on.
			return budget(marked, 0, true);
		}

		return this.entryLock(id, async () => {
			this.pending.find(id) || await this.refresh(budget);
			const stored = this.pending.find(id);
			const record = stored && await this.read(stored.key, true, budget);
			// Still pending here after the read (a delivery of this client's meanwhile removed it: never written back),
			// and not removed by a clear of its identity (noted by its digest: `clear`) through any client of the name.
			const current = (): boolean => isRecord(record) && world.current('outbox', id) && world.current('outbox', record.identity) && !!this.pending.find(id);
			if (!isRecord(record) || !current()) {
				return false;
			}

			// The dependent by a key of its own (`linkKey`): its record is not written again per dependent.
			if (dependent !== undefined) {
				await this.store.set(linkKey(id, dependent), 1, budget);
				// Not once a discard or clear (under the drain's lock, not this one) began while the store took it: the removed record is never written back.
				if (!current()) {
					return false;
				}
			}

			// Each once, at most `maxListed` (a record listing more is malformed): one past it is not recorded.
			const all = [...new Set([...record.pointers ?? [], ...pointers])].slice(0, maxListed);
			if (all.length > (record.pointers?.length ?? 0)) {
				record.pointers = all;
				await this.store.set(stored!.key, record, budget);
			}

			return true;
		});
	}

	/**
	 * Run a pass of the drain under the lock, with its permit (see `Permit`): of the world as the pass was
	 * asked for, not as the lock was granted — a clear begun while it waited (here, or through any client
	 * of the name, in any tab), whose removal waits for the lock behind it, leaves it nothing to send.
	 */
	async permit<T>(task: (permit: Permit) => Promise<T>): Promise<T> {
		return this.#occupy(async (current) => this.#lock(async () => {
			const abort = new AbortController(); // Per pass, in the request that runs it.
			this.#abort = abort;
			this.#locked = true;
			try {
				return await task({ current, signal: abort.signal });
			} finally {
				this.#locked = false;
				this.replayingFor = undefined;
			}
		}));
	}

	/**
	 * `world` asked of entries while work is under way (`Worlds.holding`): the removals of other entries noted meanwhile,
	 * however many, are never taken for its own. Until the function returned is called (once). The early answers past
	 * their 60 s are let go first (`letGoEarly`): each outbox work does, so none holds its world long after.
	 */
	hold(world: World): () => void {
		letGoEarly(this.refs, this.context.clock.now());
		return holdWorld(this.context, world);
	}

	/** Claim an entry for this client's replay (`pass`: a pass's), with no await since its record was read: false when claimed already (another request's drain, in workerd). */
	claim(id: string, pass = false): boolean {
		return !this.#claims.has(id) && !!this.#claims.set(id, pass);
	}

	release(id: string): void {
		this.#claims.delete(id);
		for (const wake of this.#wakes.splice(0)) {
			wake();
		}
	}

	/** A drain that died with its request (workerd) is taken over (`tookOver`, request-bound.ts): its claims go with it. */
	takeOver(): void {
		this.#claims.clear();
		this.release(''); // No entry has the empty id: this only wakes whoever waits for a claim to end (`orphan`).
	}

	/**
	 * When the lease of `record`'s first attempt (`inFlightUntil`) ends (epoch ms) while that attempt is still in flight
	 * somewhere, as the client that made it set it; else `undefined`. A stored time is distrusted: a number, cut to the
	 * longer of this client's `totalTimeout` (20 000 by default) and 60 000 (the lease of a client without one) after the
	 * entry's creation — never the reading client's `totalTimeout` alone: a client with a shorter one (another tab, an
	 * `extend()`) still honours the lease of the client whose attempt is in flight. A creation ahead of this client's clock
	 * (the clock stepped back, another machine's) counts from when this client first read the lease (`#firstRead`): a cut
	 * that does not move on with the clock (a lease held an hour for a clock stepped back an hour).
	 */
	leaseOf({ id, inFlightUntil: until, createdAt }: OutboxRecord, now = this.context.clock.now()): number | undefined {
		if (typeof until !== 'number') {
			return undefined;
		}

		const total = this.context.options.totalTimeout;
		const ahead = createdAt > now;
		const from = ahead ? this.#firstRead.get(id) ?? now : createdAt;
		ahead ? this.#firstRead.set(id, from) : this.#firstRead.delete(id);
		const end = Math.min(until, from + Math.max(typeof total === 'number' ? total : 20_000, noLeaseMs));
		return now < end ? end : undefined;
	}

	/**
	 * Follow the first attempt of an entry this client claimed when it queued it at its deadline
	 * (`networkTimeoutMs`): `task` gets whether the entry may still be written (not removed, cleared or
	 * closed since); the claim ends with it.
	 */
	async follow<T>(id: string, task: (current: () => boolean) => Promise<T>, call?: PolicyCall): Promise<T> {
		this.#following.delete(call!);
		return this.#occupy(async (current) => {
			try {
				return await task(() => current(id));
			} finally {
				this.release(id);
			}
		});
	}

	/**
	 * Send a replay of `record`, `due()` (its presence, and the identity epoch its pass took it under: `Pass#mine`) asked
	 * again as its attempt starts (`admits`). `undefined` when that check refused it: nothing went out.
	 */
	async replay(record: OutboxRecord, due: () => boolean, send: () => Promise<Response>): Promise<Replayed | undefined> {
		const ticket: Ticket = { due, requestId: record.requestId, keyed: record.keyed, body: record.body };
		this.#tickets.set(record.idempotencyKey, ticket);
		try {
			return { response: await send() };
		} catch (error) {
			// Refused as it started (by the layer, or the transport: `#checked`): no longer admitted, or no subrequest left in its request context.
			return ticket.refused || error instanceof SubrequestsSpent ? undefined : { error, unsent: !ticket.admitted };
		} finally {
			this.#tickets.delete(record.idempotencyKey);
		}
	}

	/**
	 * `call` was told "queued" as entry `id` while its first attempt goes on: its further attempts are checked (`admits`) until
	 * it is followed; `kept`: the world opened as its entry was stored, which its removal is asked of.
	 */
	followed(call: PolicyCall, id: string, kept: World): void {
		this.#following.set(call, [id, kept]);
		this.#checked(call);
	}

	/**
	 * Whether an attempt may start (asked by the layer, with no await before it goes out, and for such
	 * calls again by the transport: `#checked`): a replay
	 * only while its entry is still there and of the current identity; a further attempt of a write
	 * told "queued" only while its entry was not discarded, the outbox not cleared and the identity
	 * the same since its call started (its `world`). True for any other call.
	 */
	admits(call: PolicyCall | undefined): boolean {
		const [id, kept] = (call && this.#following.get(call)) ?? [];
		if (id !== undefined && !(call!.world.current('outbox') && kept!.current('outbox', id))) {
			return false;
		}

		const ticket = call?.replay ? this.#tickets.get(call.idempotencyKey!) : undefined;
		if (ticket && !ticket.due()) {
			ticket.refused = true;
			return false;
		}

		if (ticket) {
			this.#checked(call!);
		}

		return true;
	}

	/** The body a replay's call sends as stored (its placeholders filled), before any hook; `undefined` for any other call. */
	replayBody(call: PolicyCall | undefined): ArrayBuffer | undefined {
		return call?.replay ? this.#tickets.get(call.idempotencyKey!)?.body : undefined;
	}

	/** Why an attempt `admits` refuses does not go out (the layer's, and the transport's: `#checked`). */
	static refused = (): SteadfetchError => new SteadfetchError('Not sent: its entry was removed, or is another identity\'s now', 'ABORTED', false);

	/**
	 * Ask `admits` again as each attempt of `call` goes out (`World.check`, the transport's): one held
	 * below this layer meanwhile (for a bulkhead slot, a rate-limit token) goes nowhere once its entry
	 * was removed or its identity changed.
	 */
	#checked(call: PolicyCall): void {
		call.world.check ??= () => {
			if (!this.admits(call)) {
				return Queue.refused();
			}

			// A replay's attempt goes out now: an error before this (a hook's, a layer's) made no attempt.
			const ticket = call.replay && this.#tickets.get(call.idempotencyKey!);
			if (ticket) {
				ticket.admitted = true;
			}
		};
	}

	/** Emit an `outbox:*` event about a record: every one carries its scope, method, url, id, key and attempts. */
	emit<T extends OutboxEventType>(type: T, record: OutboxRecord, extra?: Partial<EventFields<T>>): void {
		const { scope, method, url, id, idempotencyKey, attempts } = record;
		this.context.emit(type, { scope, method, url, entryId: id, idempotencyKey, attempts, ...extra } as EventFields<T>);
	}

	/**
	 * Queuing `record` (a PUT or DELETE) removes the pending PUT, PATCH and DELETE entries of its URL (`normalised`: `/todos/%7E` is `/todos/~`)
	 * and identity (`outbox:superseded` each) that no replay has claimed nor a first attempt leased, under the drain's lock (no
	 * drain runs in any tab or client of this name), waited for at most `storageTimeoutMs` (else it
	 * keeps them all); while this client's pass has the lock, and in workerd (no locks), only what
	 * that pass has not claimed, and only those before its `key` (called before it: an older call that
	 * failed later never removes a newer write). Without a precondition of its own, `record` takes the oldest one among
	 * them: it was made on that version. `commit` stores `record` (false: it was not stored), given how many
	 * pending entries it takes the place of (`maxEntries` counts it in theirs); they are
	 * removed only after it was, so a write never stored (its world changed) supersedes nothing. Any
	 * other write (`coalesce` off, another method) is only stored. `budget`: its call's (see `Budget`).
	 */
	async supersede(record: OutboxRecord, at: string, commit: (replacing: number, from?: string) => Promise<boolean>, budget?: Budget): Promise<boolean> {
		if (!this.supersedes(record.method, record.url)) {
			return commit(0);
		}

		let committed: Promise<boolean> | undefined;
		const run = async (): Promise<void> => this.#occupy(async () => {
			await this.refresh(budget);
			const superseded: Array<[string, OutboxRecord]> = [];
			// Its URL's entries and those never read here, oldest first: another URL's entry, as this client wrote or last
			// read it, is not looked at (a write's cost stays flat as the queue grows). (Its URL changes only by a
			// `migrate` or a rebase; one made by another tab meanwhile leaves it uncoalesced: both are sent, in order.)
			const url = normalised(record.url);
			const candidates = [...this.#unread, ...this.#ids.get(url) ?? []].flatMap((id) => this.#index.find(id) ?? []);
			for (const entry of candidates.filter((each) => each.scope === record.scope && each.key < at).sort((one, other) => one.key < other.key ? -1 : 1)) {
				const { key, id } = entry;
				const old = await this.read(key, false, budget);
				this.#learn(entry, old);
				// An entry others depend on is never superseded (`outbox.ref()`): pointers recorded with it, or asked of it
				// through a client of the name here (`ask`: its recording may not be written yet; a peer gone: this one asked again).
				if (isRecord(old) && !old.pointers?.length && ![...this.#peers].some((peer) => (peer.deref() ?? this).#asked.has(id)) && normalised(old.url) === url && old.identity === record.identity && overwritten.test(old.method) && !this.#claims.has(id) && !this.leaseOf(old)) {
					if (old.preconditions && !record.preconditions) {
						// With the placeholders (`outbox.ref()`) it holds: replaced by their values at the replay, in any tab,
						// after the entries they name (`Pass#resolve`), never sent as written. Taken together (the stored record may hold
						// thousands: one copy of the refs per placeholder took seconds).
						const text = JSON.stringify(old.preconditions);
						const waited = new Set(old.dependsOn);
						const taken = Object.entries(old.refs ?? {}).filter(([placeholder]) => text.includes(placeholder));
						const refs = { ...record.refs, ...Object.fromEntries(taken) };
						const dependsOn = [...new Set([...record.dependsOn ?? [], ...taken.map(([, ref]) => ref.entry).filter((entry) => waited.has(entry))])];
						// More than a record may list (`maxListed`, as a call may wait for): it is left, sent before this one.
						if (dependsOn.length > maxListed || Object.keys(refs).length > maxListed) {
							continue;
						}

						Object.assign(record, { preconditions: old.preconditions }, taken.length > 0 && { refs }, dependsOn.length > 0 && { dependsOn });
					}

					superseded.push([key, old]);
				}
			}

			// Their keys go once the store confirmed its own (a move of their place, chained: `#moves`): while it keeps the write in
			// memory only, they stay in the store (a reload replays the latest stored), never neither.
			const keys = superseded.filter(([, old]) => !this.#claims.has(old.id)).map(([key]) => key);
			for (let index = 1; index < keys.length; index++) {
				this.#moves.set(keys[index - 1]!, keys[index]!);
			}

			// Named in its record, with those they named (a delete the store failed may have left one): whoever reads the
			// store (a reload, another tab) never replays them, and it leaves the store only after them.
			const names = superseded.flatMap(([key, old]) => keys.includes(key) ? [...old.replaces ?? [], key] : []);
			if (names.length > 0) {
				record.replaces = [...new Set(names)].slice(-maxReplaces);
			}

			committed = commit(keys.length, keys[0]);
			const stored = await committed;
			for (const [key, old] of superseded) {
				// Not one this client's pass claimed meanwhile; never replayed by it after (checked with no await since).
				if (stored && !this.#claims.has(old.id)) {
					this.#removed.add(old.id);
					this.#note(key, false);
					await (keys.includes(key) || this.store.delete(key, false, budget));
					this.emit('outbox:superseded', old);
				} else {
					// Not stored: the chain undone; claimed meanwhile: taken out of it (never deleted by it), the others still in it.
					const next = this.#moves.get(key);
					for (const [to, old] of this.#moves) {
						old === key && (stored && next !== undefined ? this.#moves.set(to, next) : this.#moves.delete(to));
					}

					this.#moves.delete(key);
				}
			}

			stored || this.#moves.delete(at);
		});
		await (this.#locked ? run() : this.#lock(run, AbortSignal.timeout(storageMs(this.context))).catch(() => undefined));
		return committed ?? commit(0);
	}

	/**
	 * The id of a pending entry that is the write `record` is (its Idempotency-Key, method, URL, identity and body bytes), which it is
	 * then never stored beside: a page's outbox replaying through a steadfetch service worker of its name an entry that
	 * worker holds (their one store), or a caller's write sent again with its key. Looks as `supersede` does (its URL's
	 * entries and those never read here): asked when a write is to be stored only, never on a delivered call. With its
	 * pending key and its record as read (what an attempt of the write that goes on settles: early.ts `settleHeld`).
	 */
	async holding(record: OutboxRecord, budget?: Budget): Promise<{ id: string; key: string; record: OutboxRecord } | undefined> {
		await this.refresh(budget);
		const url = normalised(record.url);
		for (const entry of [...this.#unread, ...this.#ids.get(url) ?? []].flatMap((id) => this.#index.find(id) ?? [])) {
			const old = entry.scope === record.scope ? await this.read(entry.key, false, budget) : undefined;
			entry.scope === record.scope && this.#learn(entry, old);
			// Distrusted: a record of its own key's entry only (a planted one naming another id answers for none).
			if (isRecord(old) && old.id === entry.id && old.idempotencyKey === record.idempotencyKey && old.method === record.method && normalised(old.url) === url && old.identity === record.identity && sameBytes(old.body, record.body)) {
				return { id: entry.id, key: entry.key, record: old };
			}
		}

		return undefined;
	}

	/**
	 * Whether a write of `method` to `url` may supersede pending entries (`coalesce`: a PUT or DELETE), as this
	 * client knows them: an entry of its URL, or one it has not read. Whether it does is found as it is stored (`supersede`).
	 */
	supersedes(method: string, url: string): boolean {
		return this.options.coalesce && /^(PUT|DELETE)$/.test(method) && (!!this.#ids.get(normalised(url))?.size || this.#unread.size > 0);
	}

	/**
	 * Whether pending entry `record` (`key`), about to be replayed, was superseded (`coalesce`) by a later write of its
	 * identity whose stored record names it (`replaces`) — the store did not delete it then (a reload, another tab finds
	 * it): then it is removed now while `current()`, told `outbox:superseded` (whose app may not have heard), never sent.
	 * The records of its scope queued after it that this client has not read are read first.
	 */
	async replaced(record: OutboxRecord, key: string, current: () => boolean): Promise<boolean> {
		await this.#study((entry) => entry.scope === record.scope && entry.key > key);
		if (!this.#superseded(key, record) || !current()) {
			return false;
		}

		this.#removed.add(record.id);
		await this.store.delete(key);
		this.emit('outbox:superseded', record);
		return true;
	}

	/**
	 * Remove the keys pending entry `record` (`key`) must outlive (`more`; the entries it replaced, `replaces`, as `#names`
	 * trusts them, still stored and of its identity and URL, or unread), one by one: the last whose delete the store did
	 * not confirm, which its own `key` must then wait for (see `#wait`), else `key`.
	 */
	async #outlived(record: OutboxRecord, key: string, more: string[] = []): Promise<string> {
		let last = key;
		for (const name of [...await this.#replacing(record, key), ...more]) {
			// The store retries failed deletes in the order they failed: the last one confirmed is confirmed after the others.
			await this.#parts.delete(name, true).catch(() => {
				last = name;
			});
		}

		return last;
	}

	/**
	 * The keys `record` (stored under `key`, pending or dead) replaced (`replaces`) to remove, distrusted: those `#names` takes
	 * but one that holds a record of another identity or URL (one read as nothing may be a delete this client keeps in memory).
	 */
	async #replacing(record: OutboxRecord, key: string): Promise<string[]> {
		const names: string[] = [];
		for (const name of record.replaces ?? []) {
			const old = replaceable(name, record.scope, key) ? await this.read(name, true).catch(() => record) : null;
			(old === undefined || (isRecord(old) && resourceOf(old) === resourceOf(record))) && names.push(name);
		}

		return names;
	}

	/** Pending key `key` goes once the store confirmed the delete of `last` (a move: `#moves`), forgotten by the index at once. */
	#wait(last: string, key: string): void {
		if (last !== key) {
			this.#moves.delete(key);
			this.#moves.set(last, key);
			this.#note(key, false);
		}
	}

	/**
	 * Remove an entry, pending or dead: under the drain's lock (this client's own pass aside, which
	 * then writes nothing of it back and does not send it), confirmed by the store, else it rejects.
	 */
	async discard(id: string): Promise<void> {
		this.context.removed('outbox', id); // Work that started before (an early write's attempt: its `world`) writes nothing more of it.
		this.#asked.delete(id);
		await this.#occupy(async (kept) => {
			this.#removed.add(id);
			const remove = async (): Promise<void> => {
				// Its moves end, under the lock (their new key, kept in memory, is forgotten with it: part-store.ts): its old key is
				// listed, and removed — also the pending key of one delivered while its kept values (`v|<id>`) wait for the store
				// (nothing to replay) — and the keys of the writes it superseded (`coalesce`: told `outbox:superseded`), whose
				// removal waited for its own, go with it (the rest of their chain as each delete is confirmed): never pending again.
				const superseded: string[] = [];
				for (const [to, from] of this.#moves) {
					if (to === valuesKey(id) || parseKey(to)?.id === id) {
						this.#moves.delete(to);
						parseKey(from)?.id === id || superseded.push(from);
					}
				}

				const keys = (await this.list(true)).flatMap((each) => each.id === id && !stale(each) ? [each.key] : []);
				const record = keys[0] && await this.read(keys[0]);
				// The entries it replaced first (`replaces`): never left behind it, replayed at a reload.
				await this.#remove(isRecord(record) ? await this.#replacing(record, keys[0]!) : []);
				await this.#remove([...keys, ...superseded]);
				// Its pending dependents are dead letters now (`'parent'`), never sent.
				isRecord(record) && await this.orphan(record, kept);
			};
			await (this.#locked ? remove() : this.#lock(remove));
		});
	}

	/**
	 * Remove every entry (or one identity's) under the drain's lock, ending the replay under way here
	 * first, and those of the other clients of the name and store here (of that identity's, when one is given: the current
	 * one's, or the replay's own once its user signed out) (in workerd the pass may be another request's: it only stops writing). Resolves once the
	 * store confirmed every removal (its listing, each record read to tell whose it is, each delete),
	 * else rejects. `told`: given the digest of the identity cleared (`undefined`: all) before any removal.
	 */
	async clear(who?: string, told?: (identity: string | undefined) => void): Promise<void> {
		const key = who === undefined ? this.context.name : `${this.context.name}\0${who}`;
		const count = (by: number): void => {
			const under = (clearing.get(key) ?? 0) + by;
			under ? clearing.set(key, under) : clearing.delete(key);
		};
		count(1);
		return this.#clear(who, told).finally(() => count(-1));
	}

	/** Whether a clear of everything, or of `identity`'s (a digest), is under way through a client of the name in this realm (`clearing`). */
	async #clearing(identity: string | undefined): Promise<boolean> {
		const { name } = this.context;
		for (const key of [...clearing.keys()]) {
			if (key === name || (key.startsWith(`${name}\0`) && await this.digest(key.slice(name.length + 1)) === identity)) {
				return true;
			}
		}

		return false;
	}

	async #clear(who?: string, told?: (identity: string | undefined) => void): Promise<void> {
		// Asked again once a placeholder made after a clear of everything is used; another identity's clear leaves
		// them (an entry it removed is never delivered): a pointer asked of the current one's entry as it is delivered counts.
		who ?? this.#asked.clear();
		who ?? this.refusals.clear(); // (Another identity's: the listings after its removals prune them.)
		this.context.cleared('outbox', who); // And work that started before (its `world`): an early write's attempt.
		// Another identity's clear leaves the current one's work (its world tells that identity's work apart), and the pass
		// under way with its replay in flight and what it writes, unless that replay is the cleared identity's (`replayingFor`:
		// it signed out as its write was in flight, the usual logout): ended too, not waited for at the drain's lock below
		// until the origin answers or the replay times out (its world writes nothing of it back). So is the pass of another
		// client of the name and store here (`#peers`: an `extend()`ed one with an identity of its own) replaying what it removes.
		const current = who === undefined || who === this.context.identity();
		if (current) {
			this.#epoch++;
		}

		for (const peer of drainOfAnotherRequest() ? [] : this.#peers) {
			const queue = peer.deref();
			if (queue && (current && queue === this || who === undefined || who === queue.replayingFor)) {
				queue.#abort?.abort(new DOMException('The outbox was cleared', 'AbortError'));
			}
		}

		if (current) {
			this.#end();
		}

		const identity = await this.digest(who);
		told?.(identity);
		// A revival of its dead letters (`revive`) or a `ref()`'s recording (`ask`) under way, through any client of the
		// name, writes nothing; here, nor a revival that starts before this clear ends (`#removed` while work is under way).
		identity && this.context.removed('outbox', identity);
		await this.#occupy(async () => this.#lock(async () => {
			identity && this.#removed.add(identity);
			// The moves of what it removes end (as at `discard`): their old keys are listed, and removed. Another identity's stay
			// (its old key, in the store, tells whose): its entry stays as it was, its old key going once its new one is stored.
			for (const [to, from] of [...this.#moves]) {
				if (who === undefined || (await this.read(from, true) as OutboxRecord | undefined)?.identity === identity) {
					this.#moves.delete(to);
				}
			}

			const keys: string[] = [];
			for (const { key } of (await this.list(true)).filter((each) => !stale(each))) {
				if (who === undefined || (await this.read(key, true) as OutboxRecord | undefined)?.identity === identity) {
					keys.push(key);
				}
			}

			await this.#remove(keys);
			// Then the kept values of delivered entries (`outbox.ref()`), all or that identity's, as the same
			// listing found them (none is written once the clear began: `keep` writes only while current).
			const kept: string[] = [];
			for (const key of this.#kept) {
				const values = await this.read(key, true);
				if (values !== undefined && (who === undefined || (values as Values).identity === identity)) {
					kept.push(key);
				}
			}

			await this.#remove(kept);
			// And the links of the entries it removed (`linkKey`): all of them, with everything.
			const gone = new Set([...keys, ...kept].map((key) => key.startsWith('v|') ? key.slice(2) : parseKey(key)?.id));
			await this.#remove([...this.#links].flatMap(([parent, dependents]) => who === undefined || gone.has(parent) ? [...dependents].map((dependent) => linkKey(parent, dependent)) : []));
		}));
		// The early answers of the identity cleared (all, without one): another's still resolve its placeholders.
		letGoEarly(this.refs, this.context.clock.now(), (_, { world }) => who === undefined || world.identity === who);

		await this.list();
	}

	/**
	 * A dependent's request as it is sent (`outbox.ref()`): its placeholders (and its preconditions' and Idempotency-Key's) replaced by
	 * the kept values of its parents; `true` while one of them is pending, or a read the store did not answer tells
	 * nothing of it (it waits); why it can never be sent when one was not delivered (dead, discarded, its values no
	 * longer kept, or another identity's) or a value cannot go where its placeholder is.
	 */
	async resolve(record: OutboxRecord): Promise<true | string | Pick<OutboxRecord, 'url' | 'headers' | 'body' | 'preconditions'> & { idempotencyKey?: string }> {
		const values = new Map<string, Record<string, unknown>>();
		let waits = false;
		for (const parent of new Set([...record.dependsOn ?? [], ...parentsOf(record.refs)])) {
			const pending = this.pending.find(parent);
			try {
				if (pending && await this.read(pending.key, true) !== undefined) {
					if (await this.#loops(record.id, parent)) {
						return `it waits for itself through the entry it depends on (${parent})`;
					}

					waits = true;
					continue;
				}

				const kept = await this.read(valuesKey(parent), true);
				// Another identity's answer (a placeholder asked of its entry) is none: never sent in this one's request.
				if (!isValues(kept) || kept.identity !== record.identity) {
					return `the entry it depends on (${parent}) was not delivered`;
				}

				values.set(parent, kept.values);
			} catch {
				waits = true;
			}
		}

		if (waits) {
			return true;
		}

		const refs = record.refs ?? {};
		const parts = substitute({ url: record.url, headers: record.headers, idempotencyKey: record.idempotencyKey, json: record.json, ...record.body && !record.bytes && { body: record.body } }, refs, values);
		// Its preconditions too (an `If-Match` made of a value of the answer), kept apart.
		const preconditions = substitute({ url: '', headers: record.preconditions ?? {} }, refs, values);
		return typeof parts === 'string' ? parts : typeof preconditions === 'string' ? preconditions : { ...parts, ...record.preconditions && { preconditions: preconditions.headers } };
	}

	/**
	 * Whether entry `id` waits for itself through pending entry `parent` and the pending entries that one waits for in
	 * turn (a record of the store's: no write is ever queued so) — it could never be sent, and its scope would wait behind it.
	 */
	async #loops(id: string, parent: string, seen = new Set<string>()): Promise<boolean> {
		const key = !seen.has(parent) && this.pending.find(parent)?.key;
		const stored = seen.add(parent) && key ? await this.read(key) : undefined;
		for (const next of isRecord(stored) ? [...stored.dependsOn ?? [], ...Object.values(stored.refs ?? {}).map((ref) => ref.entry)] : []) {
			if (next === id || await this.#loops(id, next, seen)) {
				return true;
			}
		}

		return parent === id;
	}

	/**
	 * Move a dead letter back to pending (attempts and retention start again), and its `'parent'` dead
	 * letters with it: their records, its own first; `OUTBOX_NOT_FOUND` when there is none (or it was
	 * removed meanwhile); `InvalidRequestError` for the dead letter of an unreadable record (it stays one:
	 * nothing could be sent); `OutboxFullError` (`'entries'`) when `maxEntries` are pending (a dependent past
	 * the bound stays a dead letter); the store's failure when it does not list or read.
	 */
	async revive(id: string): Promise<OutboxRecord[]> {
		// Not cleared, nor `id` discarded, since the revival began, through any client of the name (the
		// revival holds no lock a removal waits for): checked with no await before each write. Under the
		// entry's lock: a burial under way (`writeBack`: its dead key written, its pending key not yet removed) ends first.
		return this.#occupy(async (kept) => this.entryLock(id, async () => {
			// A store that does not answer rejects with its failure (as `discard` does): no false "not found".
			const key = (await this.list(true)).find((each) => each.dead && !stale(each) && each.id === id)?.key;
			const record = key && await this.read(key, true);
			// None, or removed since the revival began (a clear, of all or of its identity, or its discard), or a clear of all under way
			// (begun before it: its listing may not find what this writes): asked again once it is stored.
			const notFound = (): SteadfetchError => new SteadfetchError(`No dead letter with id ${id}`, 'OUTBOX_NOT_FOUND', false);
			// One whose record reads as nothing is there while the store still lists it (shown unreadable: `forEach`).
			if (!key || !kept(id) || await this.#clearing(isRecord(record) ? record.identity : undefined) || (isRecord(record) ? !kept(record.identity) : record === undefined && !(await this.keysNow()).has(key))) {
				throw notFound();
			}

			// The dead letter of an unreadable record (no method, or no record at all: it can never be sent) stays as it is, its
			// reason with it; so does a dependent whose parent was not delivered (discarded, gone, a dead letter: `retry(parentId)`
			// takes it back) or whose values cannot go where its placeholders are: a pass would bury it again, never send it.
			const why = isRecord(record) && record.method ? await this.resolve(record) : 'an unreadable record';
			if (typeof why === 'string' || !isRecord(record)) {
				throw new InvalidRequestError(`Dead letter ${id} can never be sent (discard it): ${why as string}`);
			}

			// Discarded or cleared while it was resolved (its parents' values read), through any client of the name: nothing written.
			if (!kept(id) || !kept(record.identity)) {
				throw notFound();
			}

			// Pending again only while fewer than `maxEntries` are (as a write must be stored: `OutboxFullError`).
			const full = (): boolean => this.#index.size >= this.options.maxEntries;
			if (full()) {
				throw new OutboxFullError('The outbox is full (outbox.maxEntries): not stored', { reason: 'entries' });
			}

			const now = this.context.clock.now();
			// Refused for the store's quota (within `storageTimeoutMs`): `OutboxFullError`, as at `maxEntries`.
			const revived = [await this.#pend(record, key, now).catch((cause: unknown) => {
				throw new OutboxFullError('Storage quota exceeded: not stored', { reason: 'quota', cause });
			})];
			// Its dependents made dead letters for it (`'parent'`) come back with it, and theirs with them (a
			// chain), each under its own key (its place in the order); listed again while one came back. Only
			// those a revived record names are read (each dependent is recorded with its entry: enqueue.ts), never
			// every dead letter: retrying each of many in turn is not quadratic.
			for (let size = 0; size < revived.length;) {
				size = revived.length;
				for (const each of await this.list()) {
					// Under its own lock, as the entry's: a burial of it under way (its dead key written, its pending key not yet removed) ends first.
					await (each.dead && !stale(each) && revived.some((one) => one.dependents?.includes(each.id) || this.#links.get(one.id)?.has(each.id)) && this.entryLock(each.id, async () => {
						const dependent = await this.read(each.key);
						// `kept` asked after its values were read (no await before its write): one discarded meanwhile stays removed.
						if (isRecord(dependent) && dependent.deadReason === 'parent' && dependent.dependsOn?.some((parent) => revived.some((one) => one.id === parent)) && typeof await this.resolve(dependent) !== 'string' && kept(each.id) && !full()) {
							// One the store refuses for its quota stays a dead letter, as one past `maxEntries`.
							await this.#pend(dependent, each.key, now).then((one) => revived.push(one), () => undefined);
						}
					}));
				}
			}

			// Removed while the store took it (its write is undone: part-store.ts): never told pending again, nor counted so.
			if (!kept(id) || !kept(record.identity)) {
				throw notFound();
			}

			return revived; // The last listing came after the last revival: the index holds them all.
		}));
	}

	/**
	 * A delivered entry's answer: the values at the pointers its record (as stored now, so pointers
	 * another tab added count) asks for are kept (`v|<id>`) before the entry is removed; `early` (the
	 * world of a write told "queued" at its deadline): the whole answer is held in memory for `earlyMs`
	 * too, used while that world is current. Reads the body only when something asks for it; stores
	 * the values only while `current()` (no discard of it, no clear, since its work began: the body may
	 * come long after). Resolves whether they were written as a move of `key` (see `deliver`).
	 */
	async keep(record: OutboxRecord, key: string, response: Response, current: () => boolean, early?: World, from = key): Promise<readonly string[] | false> {
		// Read again once when the store did not answer (an aborted transaction): the pointers another tab recorded
		// are only there. Both within one `storageTimeoutMs`: a hung store holds the delivery one deadline.
		const budget = this.budget();
		const read = await this.read(key, true, budget).catch(async () => this.read(key, false, budget));
		const stored = isRecord(read) ? read : undefined;
		// With the pointers `ref()` asked of it through any client of the name and store in this realm (`#peers`): one
		// whose recording (`ask`) the delivery overtook, or that a read the store did not answer left out, counts.
		const asked = [this.#self, ...this.#peers].flatMap((peer) => [...(peer.deref() ?? this).#asked.get(record.id) ?? []]);
		const pointers = [...new Set([...stored?.pointers ?? record.pointers ?? [], ...asked])];
		if (pointers.length === 0 && !early) {
			return false;
		}

		const dependents = await this.linked(record.id, stored?.dependents ?? record.dependents);

		const answer = await answerOf(response, this.context.options.timeout);
		const now = this.context.clock.now();
		if (early) {
			letGoEarly(this.refs, now, (id) => id === record.id); // Delivered again (another tab's lease ended): the newer answer is held.
			this.refs.early.set(record.id, { answer, until: now + earlyMs, world: early, letGo: this.hold(early) });
		}

		// Not once it was discarded or the outbox cleared (its permit, or its call's world), checked with no await before the write.
		if (pointers.length > 0 && current()) {
			const values: Record<string, unknown> = {};
			for (const pointer of pointers) {
				const found = at(answer, pointer);
				if (found) {
					values[pointer] = found.value;
				}
			}

			// With its dependents as a list too, as an older build kept them: its tabs' prune (which reads no link key) keeps them while one is stored.
			const kept: Values = { v: 1, values, at: now, ...record.identity !== undefined && { identity: record.identity }, ...dependents.length > 0 && { dependents: dependents.slice(0, maxListed) } };
			// A move from its pending key (or `from`, deleted before it): that goes once the store confirmed the values, never before
			// (a reload that finds it replays it, its Idempotency-Key and body the same, and keeps them); forgotten by the index at once.
			await this.store.set(valuesKey(record.id), kept, undefined, false, from);
			return dependents;
		}

		return false;
	}

	/**
	 * A delivered entry: its values kept (`keep`: with `early`, its whole answer held a while too), then
	 * it is removed, both under its lock — a dependent queued meanwhile in any tab records its pointers
	 * before, or finds it delivered after (enqueue.ts) — its answer let go, and told (`outbox:sent`;
	 * `early: true` for the attempt of a call told "queued"). Out of the pending keys before anyone hears
	 * of it (a write made then is not held behind it).
	 */
	async deliver(record: OutboxRecord, key: string, response: Response, current: () => boolean, early?: World): Promise<void> {
		const dependents = await this.entryLock(record.id, async () => {
			// Its pending key goes at once, after the keys it must outlive (its dead key, the entries it replaced: `#outlived`;
			// else once the store confirmed their delete, `#wait`), or (its values kept: a move) once the store confirmed them.
			const from = await this.#outlived(record, key, record.moved ? [`d${key.slice(1)}`] : []);
			this.#wait(from, key);
			const kept = await this.keep(record, key, response, current, early, from).catch(() => false as const);
			kept || await (from === key ? this.store.delete(key) : this.#parts.delete(from));
			return kept || [];
		});
		void response.body?.cancel().catch(() => undefined); // Let go at once: no connection held.
		this.emit('outbox:sent', record, { status: response.status, ...early && { early: true } });
		await this.recount(dependents, current);
	}

	/**
	 * Pending dependents (`ref()`) whose URLs are known now (the entries they depend on delivered): each counted under its
	 * own at once (read your own writes), here and in the other tabs, not only once a pass sends it (its scope may be
	 * offline meanwhile). One that still waits, or is gone, is left as it is counted; so is one `current` refuses (a clear began
	 * since its caller's work did: the clear told the count first, and its removal waits for the drain's lock, so a count
	 * made between would stay after it).
	 */
	async recount(ids: readonly string[], current: (id: string, identity?: string) => boolean): Promise<void> {
		for (const id of ids) {
			const found = this.pending.find(id);
			const dependent = found && await this.read(found.key, true).catch(() => undefined);
			const parts = isRecord(dependent) && await this.resolve(dependent).catch(() => true as const);
			if (typeof parts === 'object' && current(id, (dependent as OutboxRecord).identity) && this.pending.find(id)) {
				this.queued?.({ ...dependent as OutboxRecord, ...parts });
			}
		}
	}

	/**
	 * Remove the kept values of delivered entries (`outbox.ref()`) once `keptMs` passed since their
	 * delivery (a time read from storage counts from no later than now) and none of their dependents
	 * is stored any more (delivered or discarded), as the last listing found them (and the pending ones
	 * as this client knows them now). After a pass.
	 */
	async prune(): Promise<void> {
		const now = this.context.clock.now();
		const next = new Map<string, number>();
		for (const key of this.#kept) {
			const until = this.#keptUntil.get(key)!;
			if (until > now) {
				next.set(key, until); // Not read again by every pass before its 24 h can have passed.
				continue;
			}

			let kept: unknown;
			try {
				kept = await this.read(key, true);
			} catch {
				continue; // The store did not answer: kept, read again by the next pass (dependents may wait for it).
			}

			const parent = key.slice(2);
			if (!isValues(kept) || (Math.abs(now - kept.at) >= keptMs && ![...dependentsOf(kept), ...this.#links.get(parent) ?? []].some((id) => this.#stored.has(id) || this.#index.find(id)))) {
				await this.store.delete(key);
				this.#unlinked.push(parent);
			} else {
				next.set(key, kept.at > now ? now : kept.at + keptMs);
			}
		}

		this.#keptUntil = next;
		// The links of entries gone (`#unlinked`), after their values.
		for (const parent of this.#unlinked.splice(0)) {
			for (const dependent of this.#links.get(parent) ?? []) {
				await this.store.delete(linkKey(parent, dependent));
			}

			this.#links.delete(parent);
		}
	}

	/** The dependents this client knows were recorded with entry `parent` (`#links`), made on first use. */
	#linksOf(parent: string): Set<string> {
		return this.#links.get(parent) ?? this.#links.set(parent, new Set()).get(parent)!;
	}

	/**
	 * The dependents recorded with entry `parent` (`linkKey`, in any tab: each one, a key of the store's), with the first `maxListed`
	 * that `legacy` names (a record or kept values of an older build: distrusted): the store is listed only when its `span` of the parent's links
	 * does not match what this client knows (another tab's dependent), so a chain of entries is not a listing per delivery. A store
	 * that cannot tell (no `span`, as the Cache API store; a write of this client's not confirmed) is not listed here: what the last
	 * listing found and this client wrote since is used, as for the pending keys (`refresh`) — one listing per delivery or dead letter
	 * made a pass over a long queue quadratic (2,000 entries buried: 2,001 listings). `discard(id)` lists first.
	 */
	async linked(parent: string, legacy: unknown = []): Promise<string[]> {
		const prefix = linkKey(parent, '');
		const known = this.#linksOf(parent);
		const span = await this.#parts.span(prefix);
		if (span && span.count !== known.size) {
			for (const key of await this.#parts.keys(true).catch(() => [])) {
				key.startsWith(prefix) && known.add(turned(key.slice(prefix.length)));
			}
		}

		return [...new Set([...Array.isArray(legacy) ? legacy.slice(0, maxListed) as string[] : [], ...known])];
	}

	/**
	 * Once per client, after its first pass, of the dead letters its last listing found: each one holding what the outbox
	 * never stores now (API.md "Sensitive data": a header this client's `sensitiveHeaders` name, a sensitive query value,
	 * stored by a session that did not mark it) is stored again without it — the raw value of an unreadable record's
	 * cleaned again; a readable one as the dead letter of an unreadable record (listed so already), as a pass buries a
	 * pending one. Under the entry's lock, while `current(id)` (not cleared or discarded meanwhile); the others are read
	 * once and never written.
	 */
	async scrub(current: (id: string) => boolean): Promise<void> {
		const dead = this.#dead ?? [];
		this.#dead &&= null;
		for (const each of dead) {
			await (current(each.id) && this.entryLock(each.id, async () => {
				const stored = await this.read(each.key, true).catch(() => undefined);
				const readable = isRecord(stored) && !secretIn(this, stored);
				let secret = isRecord(stored) && !readable;
				const raw = withoutSecrets(this, readable ? stored.raw : stored, () => {
					secret = true;
				});
				if (secret && current(each.id)) {
					const now = this.context.clock.now();
					await this.store.set(each.key, readable ? { ...stored, raw } : { ...unreadable(each.id, each.scope, Number(each.key.split('|')[1]), now), deadReason: 'rejected', raw });
				}
			}));
		}
	}

	/** No permit sends or writes anything more; the pass under way here ends. */
	close(): void {
		this.#closed = true;
		this.#peers.delete(this.#self);
		this.#abort?.abort(new DOMException('The client was closed', 'AbortError'));
		this.#end();
	}

	/** End the `onConflict` waits of early first attempts (`waits`): the entry stays as it was. */
	#end(): void {
		for (const wait of this.waits) {
			wait.abort();
		}
	}

	/**
	 * Make a pending entry (`key`) a dead letter for `reason`: stored under its dead key while
	 * `current()` (no clear, discard or other identity since its work began: checked at the write, after
	 * the entry's lock and read), then told (`outbox:dead`) and its pending dependents made dead letters
	 * (`orphan`), each dead letter told to `tally` (a pass's `flush()` result). Resolves whether it was stored.
	 */
	async bury(record: OutboxRecord, key: string, reason: NonNullable<OutboxRecord['deadReason']>, current: () => boolean, tally?: Tally): Promise<boolean> {
		record.deadReason = reason;
		record.moved = (record.moved ?? 0) + 1; // Its pending key, should it stay beside the dead one, is older (`list`).
		// With what a dependent recorded meanwhile (`writeBack`): `retry(id)` and its delivery keep the values they wait for.
		const buried = await this.writeBack(key, record, current, `d${key.slice(1)}`);
		if (buried) {
			this.emit('outbox:dead', record, { deadReason: reason, code: (record.lastError?.code ?? 'TIMEOUT') as SteadfetchErrorCode });
			tally?.(record.id, 'dead');
			await this.orphan(record, current, tally);
		}

		return buried;
	}

	/**
	 * Remove an entry the app's answer drops (`migrate`'s `null`, `onConflict`'s `'discard'`), told (`outbox:discarded`); its pending
	 * dependents are 'parent' dead letters. Not one discarded or cleared while the app answered (`current()` false): that removal was the app's own.
	 */
	async drop(record: OutboxRecord, key: string, current: () => boolean, tally?: Tally): Promise<void> {
		if (!current()) {
			return;
		}

		// After the entries it replaced (`replaces`), else once the store confirmed their delete (`#wait`).
		const last = await this.#outlived(record, key);
		this.#wait(last, key);
		await (last === key ? this.store.delete(key) : this.#parts.delete(last));
		// A retried entry's dead key the store may still hold, after its pending key: the app removed it, never sent again.
		await (record.moved && this.#parts.delete(`d${key.slice(1)}`));
		this.emit('outbox:discarded', record);
		tally?.(record.id); // Discarded: its last outcome, none of `flush()`'s counts.
		await this.orphan(record, current, tally);
	}

	/**
	 * A parent that will never be delivered (a dead letter, discarded: by `discard(id)`, `onConflict` or `migrate`) makes its pending dependents
	 * (`outbox.ref()`) `'parent'` dead letters at once, and theirs (API.md "Writes that depend on
	 * earlier writes"): not listed pending until a pass reaches them. One claimed (in flight) is left to its work; one a pass of this
	 * client works on (it makes it a dead letter itself, its parent gone), waited for: shown dead once this resolves. Claimed
	 * while buried here: a pass that reaches it meanwhile passes over it (never buried, nor told `outbox:dead`, twice).
	 */
	async orphan({ id: parent, dependents }: OutboxRecord, current: () => boolean, tally?: Tally): Promise<void> {
		for (const id of await this.linked(parent, dependents)) {
			while (this.#claims.get(id)) {
				await new Promise<void>((wake) => this.#wakes.push(wake));
			}

			const key = this.#index.find(id)?.key;
			if (key && this.claim(id)) {
				try {
					const dependent = await this.read(key);
					if (isRecord(dependent)) {
						dependent.lastError = { code: 'INVALID_REQUEST', message: `Not sent: the entry it depends on (${parent}) was not delivered` };
						await this.bury(dependent, key, 'parent', () => current() && !this.#removed.has(id), tally);
					}
				} finally {
					this.release(id);
				}
			}
		}
	}

	/**
	 * A dead letter (`key`) pending again from `now` (attempts and retention start again): that record, stored under its pending
	 * key, `key` going once the store confirmed it. Rejects when the store refuses it for its quota (`fresh`): the dead letter
	 * stays as it was (any other failure keeps it in memory, as every write).
	 */
	async #pend(record: OutboxRecord, key: string, now: number): Promise<OutboxRecord> {
		// Moved once more than the dead letter: should its dead key stay beside (a delete the store failed), this record is the entry (`list`).
		const pending = { ...record, attempts: 0, nextAttemptAt: now, retainFrom: now, moved: (record.moved ?? 0) + 1 };
		delete pending.deadReason;
		delete pending.inFlightUntil; // No attempt of a dead letter is in flight (an older build buried it with its lease).
		await this.store.set(`p${key.slice(1)}`, pending, undefined, true, key);
		return pending;
	}

	/**
	 * Delete keys, each confirmed by the store: rejects with the first failure once every delete was tried. An entry's key
	 * goes once its other kind's is confirmed gone (a move's old key the store may still hold, listed or kept in memory as
	 * deleted): a dead letter's removal that fails never leaves its pending key alone, replayed at a reload.
	 * An entry's key whose delete the store refused (an error, not a timeout: one that timed out may still land, kept
	 * and tried again) stays as the store holds it: its delete is not kept in memory, and it is pending (or a dead letter)
	 * here again (listed anew), as a reload finds it — never hidden here while a reload sends or lists it. One this client
	 * did not show (superseded, a delete already kept) stays hidden.
	 */
	async #remove(keys: string[]): Promise<void> {
		const failures: unknown[] = [];
		let refused = false;
		await Promise.all(keys.map(async (key) => {
			const other = parseKey(key) && `${key[0] === 'p' ? 'd' : 'p'}${key.slice(1)}`;
			const id = parseKey(key)?.id ?? '';
			// A dead letter's key the last listing found is shown too (`deadLetters()`).
			const shown = this.#index.find(id)?.key ?? (key[0] === 'd' && this.#stored.has(id) ? key : undefined);
			let at = other;
			try {
				await (other && this.store.delete(other, true));
				at = key;
				await this.store.delete(key, true);
			} catch (error) {
				if (shown !== undefined && at === shown && !(error instanceof StorageTimeoutError)) {
					this.#parts.superseded(shown);
					refused = true;
				}

				throw error;
			}
		}).map(async (removal) => removal.catch((error: unknown) => failures.push(error))));
		if (failures.length > 0) {
			await (refused && this.list());
			throw failures[0];
		}
	}

	/**
	 * Run `task` as work that may have read records: removed ids are forgotten once none is under way.
	 * `task` gets whether it may still write (with `id`: that entry): not cleared, closed or (`id`)
	 * removed since it started, through this client or any other of the name.
	 */
	async #occupy<T>(task: (current: (id?: string) => boolean) => Promise<T>): Promise<T> {
		const epoch = this.#epoch;
		// And no clear or discard made since through another client of the name (`extend()`, another
		// `createClient`, a tab), which no Web Lock orders with this task where there are none (workerd,
		// the edge build): its world, with the identity of now for that identity's clears (src/core/world.ts).
		const world = this.context.world(this.context.identity());
		const letGo = this.hold(world);
		this.#busy++;
		try {
			return await task((id) => epoch === this.#epoch && !this.#closed && !this.#removed.has(id!) && world.current('outbox', id));
		} finally {
			letGo();
			if (!--this.#busy) {
				this.#removed.clear();
			}
		}
	}
}

/**
 * Whether two stored bodies hold the same bytes (none for neither): a write sent again with an entry's key but another body
 * is another write (the server answers a key reused with another payload), never folded into the entry (`Queue.holding`).
 */
const sameBytes = (a: unknown, b: unknown): boolean => {
	if (!(a instanceof ArrayBuffer) || !(b instanceof ArrayBuffer)) {
		return a === undefined && b === undefined;
	}

	const [x, y] = [new Uint8Array(a), new Uint8Array(b)];
	return x.length === y.length && x.every((byte, index) => byte === y[index]);
};
