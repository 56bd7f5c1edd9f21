import type { WaitUntil } from '../core/options.js';
import type { PolicyCall, PolicyContext } from '../core/policy.js';
import type { World } from '../core/world.js';
import { parseRetryAfter } from '../utils/runtime.js';
import { scopeFor } from '../core/scope.js';
import type { FetchInit, FetchLike } from '../core/types.js';
import { classify } from '../errors/classify.js';
import { originFailed, unanswered } from '../errors/origin-failed.js';
import { isSteadfetchError } from '../errors/SteadfetchError.js';
import { refuseClosed } from '../core/closing.js';
import type { Gone } from './healthy.js';
import type { Channel } from '../utils/channel.js';
import { background, partStore, storageError, storageMs, type PartStore } from '../core/part-store.js';
import { maxScopes, scopes, type Scopes } from '../utils/scopes.js';
import { isSuperseded } from '../utils/superseded.js';
import { locked } from '../utils/lock.js';
import { basicAutoStore } from '../stores/auto.js';
import { bounded, clearLeadMs, closed, machine, readRecord, type BreakerRecord, type Circuit, type Machine, type Settings } from './circuit.js';
import type { BreakerOptions } from './options.js';
import type { BreakerLink } from './shared.js';

/**
 * One breaker's circuits, one per scope, and what they share: a plain object written by the
 * functions of this folder (module-level functions, not a class: their names minify). With `share`
 * (default) a change of state is sent to the other tabs (`channel`, see tabs.ts) and written to the
 * client's store behind the call that caused it (`publish`: `background`, the call's `waitUntil`),
 * so an open breaker survives a reload; the first calls to a scope read it back (`restore`). A
 * half-open probe holds a Web Lock, so one goes out across tabs (`claim`, probe.ts; the lock: tabs.ts). With `shared`,
 * a coordinator decides across isolates (`shared.ts`). The state machine's functions (`admit`,
 * `count`, `adopt`, …, circuit.ts) are members of it too.
 */
export interface Circuits extends Machine {
	readonly context: PolicyContext;
	readonly settings: Settings;
	readonly options: BreakerOptions;
	readonly store: PartStore | undefined;
	readonly clock: PolicyContext['clock'];
	/** The scopes' circuits, at most `maxScopes` idle ones (`held` says which must stay). */
	readonly scopes: Scopes<Circuit>;
	/**
	 * Open circuits known only from the other tabs' messages that `scopes` forgot (`held`), at most `maxScopes`, the
	 * oldest let go first: a scope met again (a message, a call) takes its circuit back from here, and `clear()` closes
	 * them, so this tab, which told their `breaker:open`, tells their close too, and no second opening.
	 */
	readonly forgot: Map<string, Circuit>;
	readonly link: BreakerLink | undefined;
	/** The other tabs (`start()`). */
	channel?: Channel | undefined;
	/**
	 * The breakers of this client's name and store in this realm (the clients `extend()` made from one
	 * another): where no channel tells them (Node, Deno, Workers), each tells the others its changes (`tell`).
	 * Held weakly: a client made by `extend()` per request and never closed is not kept alive by the others.
	 */
	readonly peers: Set<Peer>;
	/** This breaker's own entry in `peers`, when it has a store (`closeCircuits` takes it out). */
	peer?: Peer | undefined;
	/**
	 * Take one of a half-open scope's Web Locks across tabs, and read its stored state again under it
	 * (tabs.ts `lockProbe`, set by `start()` where a channel may open and the runtime has Web Locks;
	 * never in the edge build): resolves with what gives the lock back, or `undefined` when another
	 * tab holds every slot. `claim` (probe.ts) takes it.
	 */
	probeLock?: ((circuit: Circuit, started: number) => Promise<(() => void) | undefined>) | undefined;
	/**
	 * Tell the other tabs an outcome counted in a closed state, and store the counts (tabs.ts
	 * `shareCount`, set by `start()` where a channel may open; never in the edge build).
	 */
	shareCount?: ((circuits: Circuits, circuit: Circuit, failed: boolean, unanswered: boolean, ended: boolean, via?: WaitUntil, status?: number) => void) | undefined;
	/**
	 * Ask the other tabs for a scope's state, this tab's read of it having failed (tabs.ts `ask`, set by `start()` where
	 * a channel opened; never in the edge build).
	 */
	ask?: ((circuits: Circuits, circuit: Circuit) => void) | undefined;
	/**
	 * Wait for the early probe in flight of another breaker of this page's name and store (a client `extend()` made, or
	 * the one it was made from), one the page's start or a recovery trigger let through, and take the state it left, as
	 * that breaker's message would tell it (tabs.ts `behind`, set by `start()`; never in the edge build, which has no
	 * page): `undefined` when there is none. Bounded by the probe timeout, cut short by `signal` and `close()`.
	 */
	behind?: ((circuits: Circuits, circuit: Circuit, signal: AbortSignal) => Promise<unknown> | undefined) | undefined;
	/**
	 * The client's transport below the breaker: `breaker.probe` goes through it. The layer's first
	 * composition is the client's own (create-client composes it before any call); a call with a
	 * `fetch` of its own composes the layers again over that one, which no probe may use.
	 */
	transport?: FetchLike | undefined;
	/**
	 * This client's start is a page's (a reload): a scope it finds open in storage, opened by attempts
	 * that got no HTTP answer, turns half-open at once (`load`), once per scope for the breakers over the
	 * client's `stores` (the clients `extend()` made share them: the first of them to read a scope does it,
	 * the set holds the scopes read, at most `maxScopes`: a scope first read past them, long after the start, is no
	 * reload's). Set by `start()` in a page; never in a Worker or Deno isolate (the edge build's `start()` sets nothing).
	 */
	restores?: Set<string> | false;
	/**
	 * When this client last cleared the learned state (`clear()`): another tab's outcome told before it does not count
	 * (tabs.ts `hear`), nor is a state dated before the closed state it told (`since`) taken (`receive`, `load`; an isolation is).
	 */
	cleared: number;
	/** Set by `close()`: no probe starts, and a pending `waitForHealthy` rejects at once (`paused`). */
	closed: boolean;
	/** What `close()` refuses: the waits of attempts (`untilClosed`: the stored state, a coordinator); and the probes' Web Locks it gives back (tabs.ts `lockProbe`). Only `close()` calls them. */
	readonly wake: Set<() => void>;
	/** The pauses of pending `waitForHealthy` calls and of attempts waiting for an early probe: cut short by a change of state (`notify`), `clear` and `close()`. */
	readonly paused: Set<() => void>;
	/** What `start()` listens to, removed by `close()`. */
	unlisten: Array<() => void>;
}

export const noop = (): void => undefined;

/**
 * Whether a scope's circuit must be kept (`Scopes`): an open, half-open or isolated one, or one with
 * attempts being counted. A closed idle one may be forgotten: its scope then starts closed again, its
 * stored state read first as after a reload. So may one known only from another tab's messages
 * (`read` false): what that tab stored is read at the scope's first call, and a flood of messages
 * naming scopes this client never met holds no more than `maxScopes` of them (an open one: `Circuits.forgot`).
 */
export const held = (circuit?: Circuit): boolean => !!circuit && (circuit.busy > 0 || (circuit.record.state !== 'closed' && circuit.read !== false));

/** Call each of `waiting` (`Circuits.wake`, `Circuits.paused`): a pending `waitForHealthy` looks at its scope again now. */
const wake = (waiting: Set<() => void>): void => {
	for (const done of waiting) {
		done();
	}
};

/** A breaker's circuits: none yet, nothing read, no channel (see `start` in tabs.ts). */
export const createCircuits = (context: PolicyContext, settings: Settings, options: BreakerOptions): Circuits => {
	const store = options.share === false ? undefined : partStore(context, 'breaker', basicAutoStore);
	const states = machine(settings, (circuit, change, reason, via) => {
		const { record } = circuit;
		const { scope } = record;
		// An isolation lets no probe through: no `reopensAt` (as its snapshot).
		(context.emit as (type: string, fields: object) => void)(`breaker:${change}`, { scope, reason, ...(change === 'open' && !record.isolated && { reopensAt: record.reopensAt }) });
		// Closed by another tab's or the fleet's probe, whose answer's `status` it carries: reachable here too, so that a tab
		// whose queries wait for the scope (`followReachability`) sends them now, not after an attempt it would not make; and
		// `scope:back` here where this tab's own attempts failed or its copy answered. Not a closing no answer made (a
		// `reset()` by hand, a `clear()`: no `status`), which leaves reachability as it was (`unreachable`, `offline`), as
		// the same reset made here does. So is this context's own probe's: a `breaker.probe` URL of another scope (a status
		// host) told the transport that one.
		if (change === 'closed' && record.status && (reason === 'shared' || reason === 'probe-succeeded')) {
			context.reached?.(scope, record.status);
		}

		if (change !== 'half-open') {
			// A `waitForHealthy` resolves now, not at its next poll (a hidden tab's timers are held back); an attempt waiting
			// for an early probe (breaker.ts `settled`) goes on now, out or failing fast.
			wake(circuits.paused);
		}

		// Stored and told to the other tabs unless it came from them or the store, or from `clear()` (which tells and deletes);
		// nor an opening counted from their outcomes alone, of a scope this tab knows only from them (`read` false): the
		// tab that counted its own failures stores and tells it (else a flood naming scopes never met fills the store).
		if (store && change !== 'half-open' && reason !== 'shared' && reason !== 'restored' && reason !== 'cleared' && !(circuit.read === false && (reason === 'consecutive-failures' || reason === 'failure-ratio'))) {
			publish(circuits, circuit, via);
		}
	}, context.random);
	const peers = (context.stores.get('breaker:peers') ?? new Set()) as Set<Peer>;
	context.stores.set('breaker:peers', peers);
	const forgot = new Map<string, Circuit>();
	const made = (scope: string): Circuit => {
		const circuit = forgot.get(scope) ?? states.circuit(scope);
		forgot.delete(scope);
		return circuit;
	};
	// Not held: an open one is known only from the other tabs (`forgot`).
	const kept = (circuit: Circuit, scope: string): boolean => {
		if (!held(circuit) && circuit.record.state === 'open') {
			if (forgot.size >= maxScopes) {
				forgot.delete(forgot.keys().next().value!);
			}

			forgot.set(scope, circuit);
		}

		return held(circuit);
	};
	// A coordinator's state this client adopts is stored (and told to the tabs) as its own changes are (`publish`).
	const circuits: Circuits = { context, settings, options, store, ...states, clock: context.clock, scopes: scopes(made, kept), forgot, link: options.shared?.link(context, settings, options, states.adopt, (circuit, via) => store && publish(circuits, circuit, via)), peers, cleared: 0, closed: false, wake: new Set(), paused: new Set(), unlisten: [] };
	if (store) {
		circuits.peer = weakly(circuits);
		// Those gone (a client `extend()` made per request, dropped unclosed) are let go here, not only where a count or a
		// claim meets them (`eachPeer`, which a page's channel skips): the set stays as long as the breakers alive.
		for (const ref of peers) {
			if (!ref.deref()) {
				peers.delete(ref);
			}
		}

		peers.add(circuits.peer);
	}

	return circuits;
};

/** A breaker of the name and store in this realm, held weakly (`Circuits.peers`). */
type Peer = { deref(): Circuits | undefined };

/**
 * `circuits` held weakly where the runtime has `WeakRef` (as utils/held.ts holds the world's clients). Not
 * imported from there: the entries that reach this module are not those that reach core/world.ts, so tsup
 * would split the one-line helper into a chunk of its own (one more module for every entry to load).
 */
const weakly = (circuits: Circuits): Peer => (typeof WeakRef === 'function' ? new WeakRef(circuits) : { deref: () => circuits });

/** What `close()` ends in every build: no probe starts, and a pending `waitForHealthy` wakes (and rejects). */
export const closeCircuits = (circuits: Circuits): void => {
	circuits.closed = true;
	circuits.peers.delete(circuits.peer!);
	wake(circuits.wake);
	wake(circuits.paused);
};

/**
 * The scope's circuit if this breaker knows it, without making one nor marking it used: among `scopes`, or open and known
 * only from the other tabs, forgotten there (`forgot`): a scope another tab holds open is still open here.
 */
export const known = ({ scopes, forgot }: Circuits, scope: string): Circuit | undefined => scopes.get(scope) ?? forgot.get(scope);

/** The circuit of a URL or scope given to a client member, resolved as a call's. */
export const circuitFor = ({ context, options, scopes }: Circuits, urlOrScope: string | URL): Circuit => scopes.scope(scopeFor(urlOrScope, context.scopeOf, context.options, !!options.scope));

/**
 * A record from outside (the store, another tab), checked and bounded (`readRecord`). The tabs of
 * a name share one clock, so one dated more than a second ahead was not written by any of them
 * (a script of the origin, a clock set back; changes within one ms date theirs a ms apart, `after`):
 * it orders as the oldest (`at` 0), never as newer than every real change to come, which would have
 * the tabs that took it ignore the others' (a kill switch, a reset, a probe's closing) until then. Not moved to now: read again (under the probe's lock) it must be
 * known as the same record, not a newer one. The failures in a row an open one opened with (its snapshot's) are at
 * most `consecutiveFailures`, as a closed one's counts (`takeCounts`).
 */
export const read = ({ clock, settings: { maxOpenMs, consecutiveFailures } }: Circuits, value: unknown): BreakerRecord | undefined => {
	const now = clock.now();
	const record = readRecord(value, now, maxOpenMs);
	if (record?.failures) {
		record.failures = Math.min(record.failures, consecutiveFailures);
	}

	return record && record.at > now + 1000 ? { ...record, at: 0 } : record;
};

/**
 * The date of the closed state `clear()` tells (0 before any): its time, half a second ahead where a channel tells it, so
 * that a state a tab made before it heard the clear is older (`clear`). No state dated before it is taken (`receive`, `load`).
 */
const since = ({ cleared, channel }: Circuits): number => cleared && cleared + (channel ? clearLeadMs : 0);

/**
 * A record another tab or a peer told (`tell`), checked (`read`) and taken if it is newer than the
 * circuit's (`adopt`, reason `shared`); `undefined` when it is none. A circuit known only so is not read
 * yet (`held`): its stored state is read at the scope's first call.
 */
export const receive = (circuits: Circuits, data: unknown): BreakerRecord | undefined => {
	const record = read(circuits, data);
	if (record && (record.isolated || record.at >= since(circuits))) {
		const circuit = circuits.scopes.scope(record.scope);
		circuit.read ??= false;
		circuits.adopt(circuit, record, 'shared');
		if (circuit.record === record) {
			circuit.fromTabs = record;
			// Newer than any state this client kept for the scope while its store failed: that is not written again (over a reset).
			circuits.store?.superseded(record.scope);
		}
	}

	return record;
};

/**
 * Each other breaker of the name and store in this realm (`peers`: the clients `extend()` made), where
 * no channel is open to tell them (Node, Deno, Workers); a breaker that shares nothing (`share: false`) has none.
 */
export const eachPeer = (circuits: Circuits, each: (peer: Circuits) => unknown): void => {
	if (!circuits.channel && circuits.store) {
		for (const ref of circuits.peers) {
			const peer = ref.deref();
			if (!peer) {
				circuits.peers.delete(ref);
			} else if (peer !== circuits) {
				each(peer);
			}
		}
	}
};

/**
 * Tell the other tabs a change (`channel`), or where none is open, the other breakers of the name and store in this realm
 * (`eachPeer`), its times moved onto each one's clock (a child `extend()` gave a clock of its own, an hour ahead, took
 * an opening an hour past: half-open at once, its next call a probe).
 */
const tell = (circuits: Circuits, record: BreakerRecord): void => circuits.channel ? circuits.channel.post(record) : eachPeer(circuits, (peer) => {
	const skew = peer.clock === circuits.clock ? 0 : peer.clock.now() - circuits.clock.now();
	const moved = (time: number): number => time && time + skew;
	receive(peer, skew ? { ...record, at: moved(record.at), openedAt: moved(record.openedAt), reopensAt: moved(record.reopensAt) } : record);
});

/** Whether the circuit is in the closed state `received` is (then its stored counts are about this state). */
export const inState = ({ record }: Circuit, received: BreakerRecord): boolean => received.state === 'closed' && record.state === 'closed' && record.at === received.at;

/**
 * Take a closed record's counts (stored, as of a reload) into the circuit when it is in that closed
 * state. They are outside input, bounded by the options: failures in a row at most
 * `consecutiveFailures` (this tab keeps its own count when larger: it may have counted some of the
 * same from the other tabs' messages); the window's calls at most 10⁶ and its failures at most its
 * calls, counted no later than now, dropped once older than `windowMs`, taken in place of this tab's
 * window when they are more calls (what it heard before its first read is in the writer's counts too,
 * with what that tab counted before). Anything that is not a count is no count (the record is kept).
 */
const takeCounts = (circuits: Circuits, circuit: Circuit, received: BreakerRecord, value: unknown): void => {
	if (inState(circuit, received)) {
		const { failures, window: counted } = value as Partial<BreakerRecord>;
		circuit.consecutive = Math.max(circuit.consecutive, bounded(failures, circuits.settings.consecutiveFailures));
		takeWindow(circuits, circuit, counted);
	}
};

/**
 * Take a ratio window counted elsewhere (a stored record's, another tab's: `counted`, outside input) into the circuit's
 * when it holds more calls: its calls at most 10⁶ and its failures at most its calls, counted no later than now, none
 * once older than `windowMs` (`takeCounts`; tabs.ts `hear`, where a tab started since, or that met the scope since, has
 * not heard the calls counted before; `tally`, for a peer `extend()` made since, and from a peer made before). Merged,
 * not replaced: of its failures and its successes each, the larger count of the two windows (each counts outcomes
 * that happened, the other's maybe not yet: a tab's window told back lands after the failures it counted meanwhile).
 */
export const takeWindow = ({ clock, settings: { windowMs } }: Circuits, { window }: Circuit, counted: Partial<NonNullable<BreakerRecord['window']>> | undefined): void => {
	const now = clock.now();
	const at = Math.min(Number(counted?.at), now);
	const calls = now - at < windowMs ? bounded(counted?.calls, 1e6) : 0;
	const [own, failed] = window.sums(now);
	if (calls > own) {
		const failures = bounded(counted?.failures, calls);
		window.reset();
		window.add(at, 0, Math.max(calls - failures, own - failed) + Math.max(failures, failed));
		window.add(at, 1, Math.max(failures, failed));
	}
};

/**
 * `task` (a write of the scope's stored state, or with `shared` a read) under the scope's Web Lock across tabs, where the
 * channel is open (else at once): a tab started after another's change was told, before its write landed, reads that
 * write (the write holds the lock from the change on; a read waits for it, at most `storageTimeoutMs`: one not granted
 * by then, its holder frozen, rejects as a failed read, which asks the other tabs, `load`). `bounded`: a write that waits
 * as long at most, rejecting then too (a `clear()`'s delete, which then goes without it).
 */
export const underLock = <T>(circuits: Circuits, scope: string, task: () => Promise<T>, shared?: boolean, bounded = shared): Promise<T> =>
	circuits.channel ? locked(`steadfetch:${circuits.context.name}:breaker-store:${scope}`, { ...(shared && { mode: 'shared' as const }), ...(bounded && { signal: AbortSignal.timeout(storageMs(circuits.context)) }) }, task) : task();

/**
 * Send the circuit's state to the other tabs and write it behind the call that changed it (`via`, its
 * `waitUntil`), under the scope's lock (`underLock`); sent again once stored. Not written once the circuit holds a newer
 * state when the lock is granted (its own write follows; another tab's, or the store's, is stored there; a `clear()`'s
 * deleted it): a state made before a clear reached this tab, written after the clear's deletes, would come back at the next page.
 * Nothing once the client closed.
 */
const publish = (circuits: Circuits, circuit: Circuit, via?: WaitUntil): void => {
	// None once the client closed (`close()`): its channel is gone and its probe's lock given back, so a change its attempts
	// still in flight make (a late probe's re-opening, an opening) would be stored over the tabs' state, heard by none of them.
	if (circuits.closed) {
		return;
	}

	const { record } = circuit;
	const post = () => tell(circuits, record);
	post();
	background(circuits.context, 'breaker', via, async () => (circuit.saved = underLock(circuits, record.scope, async () => circuit.record.at > record.at || circuits.store!.set(record.scope, record).then(post))));
};

/**
 * Read the scope's stored state and take it if it is newer (bounded by `storageTimeoutMs`, never
 * rejects). A client that finds there an open state it did not know when it starts (`restored`) in
 * a page (a reload: `Circuits.restores`) turns it half-open at once if attempts that got no HTTP
 * answer opened it (or finds its period over): its first call is the probe, or with `breaker.probe`
 * waits for it. Resolves true when the store answered that it holds nothing of the scope (not when its read failed).
 */
export const load = async (circuits: Circuits, circuit: Circuit, reason: string): Promise<boolean> => {
	const { context } = circuits;
	const { scope } = circuit.record;
	const { restores } = circuits;
	// The first read of the scope by the breakers of this page's start (a client and those `extend()` made).
	const first = reason === 'restored' && restores && !restores.has(scope) && restores.size < maxScopes && restores.add(scope);
	// A read that failed leaves what this client knows, and asks the other tabs for theirs (tabs.ts `start`): at a
	// reload, the first record one of them tells stands for it (`asked`).
	// The first read (not one under the probe's lock, which its holder gives back once its write landed) waits for a write under way.
	const get = async (): Promise<unknown> => circuits.store!.get(scope, true);
	let answered = true;
	const value = await (reason === 'restored' ? underLock(circuits, scope, get, true) : get()).catch(() => {
		answered = false;
		circuit.asked = first ? circuits.clock.now() : undefined;
		circuits.ask?.(circuits, circuit);
	});
	const record = read(circuits, value);
	circuit.read = true;
	if (record?.scope === scope) {
		if (record.isolated || record.at >= since(circuits)) {
			circuits.adopt(circuit, record, reason);
			takeCounts(circuits, circuit, record, value);
			if (first) {
				reloaded(circuits, circuit, record);
			}
		}
	} else if (value !== undefined) {
		storageError(context, 'breaker', 'decode', new TypeError('Not a breaker record'), scope);
	}

	return answered && value === undefined;
};

/**
 * A reload found `record` (stored, or told by a tab when its read failed), taken: opened by attempts that got no HTTP
 * answer, it turns half-open at once; one whose period ended while no page ran is half-open already: its first call
 * still waits for the probe (`early`, breaker.ts; an isolation lets none through).
 */
export const reloaded = (circuits: Circuits, circuit: Circuit, record: BreakerRecord): void => {
	if (circuit.record === record) {
		if (!circuits.recover(circuit, circuits.clock.now(), 'restored') && record.unanswered) {
			circuit.record = { ...record, early: record.reopensAt };
		}

		circuit.reloaded = circuit.record;
	}
};

/** The scope's stored state, unless this client has read it (the first calls and `waitForHealthy`, after a reload). */
export const restore = (circuits: Circuits, circuit: Circuit): Promise<boolean> | false | undefined => circuits.store && !circuit.read && load(circuits, circuit, 'restored');

/**
 * Count an outcome in its circuit (a 429 or 503 with Retry-After opens it for that long; a failure
 * without `response`, or answered by a steadfetch service worker's `NETWORK` or `TIMEOUT` or its stale copy for them, got no HTTP answer),
 * and tell the coordinator.
 */
export const tally = (circuits: Circuits, circuit: Circuit, record: BreakerRecord, probe: number | undefined, failed: boolean | undefined, response?: Response, call?: PolicyCall, world?: World): void => {
	const now = circuits.clock.now();
	const status = response?.status;
	const retryAfterMs = failed && (status === 429 || status === 503) ? parseRetryAfter(response!.headers.get('retry-after'), now) ?? 0 : 0;
	const before = circuit.consecutive;
	// Without an HTTP answer: none, or a steadfetch service worker's saying its attempts got none (a recovery trigger cuts such an opening short).
	const missed = !response || (failed === true && unanswered(response));
	if (!circuits.link && failed !== undefined && record === circuit.record && record.state === 'closed' && circuits.peers.size > 1) {
		// A peer's window that holds more calls than this client's (this one made by `extend()` since) is taken first: this
		// client's outcome counts in the ratio over the calls of both.
		// Each window read on its own breaker's clock (a child `extend()` gave a clock of its own: summed at another's time,
		// a window an hour behind or ahead of it starts afresh).
		eachPeer(circuits, (peer) => {
			const twin = known(peer, record.scope);
			if (twin?.record.state === 'closed') {
				const [calls, failures] = twin.window.sums(peer.clock.now());
				takeWindow(circuits, circuit, { calls, failures, at: now });
			}
		});
	}

	circuits.count(circuit, record, now, failed, retryAfterMs, probe, missed, call?.waitUntil, status);
	if (circuits.link) {
		// A probe that counts as nothing frees the coordinator's grant too (else held, then counted failed).
		circuits.link.report(circuit, failed, retryAfterMs, probe, call, world, status);
	} else if (failed !== undefined && record === circuit.record && record.state === 'closed') {
		// Counted in a closed state that it left as it was: the other tabs count it too, and the store keeps the counts;
		// where no channel tells them, so do the peers (a client and its extensions count failures in a row together).
		circuits.shareCount?.(circuits, circuit, failed, missed, before > 0, call?.waitUntil, status);
		if (circuits.peers.size > 1) {
			// This client's window before the outcome, taken by a peer whose window holds fewer calls (one `extend()` made since).
			const [calls, failures] = circuit.window.sums(now);
			// Counted on the peer's clock, as its window and its state run (not this client's: see above).
			eachPeer(circuits, (peer) => {
				const twin = peer.scopes.scope(record.scope);
				if (twin.record.state === 'closed') {
					const at = peer.clock.now();
					takeWindow(peer, twin, { calls: calls - 1, failures: failures - Number(failed), at });
					peer.count(twin, twin.record, at, failed, 0, undefined, missed);
				}
			});
		}
	}
};

/**
 * What `isFailure` says of an attempt: `true` or `false`, else nothing (the default rule decides). A promise (a function
 * that was async after all: `breaker()` refuses an `async` one) says nothing, its rejection handled.
 */
const verdictOf = (isFailure: BreakerOptions['isFailure'], response: Response | undefined, error: unknown): boolean | undefined => {
	const said: unknown = isFailure?.(response ? { response } : { error });
	(said as Partial<PromiseLike<unknown>> | undefined)?.then?.(undefined, () => undefined);
	return typeof said === 'boolean' ? said : undefined;
};

/**
 * Send one attempt and count its outcome once (`after` runs then). Whether it failed is
 * `classify()`'s answer unless `isFailure` says otherwise; the caller's abort, a superseded attempt
 * and steadfetch's own refusals (a service worker's too, and its stale copy for one: `originFailed`) count as nothing (see
 * `BreakerOptions.isFailure`, on purpose); its stale copy for a failure of the origin's (`detail=network`…) counts as that failure.
 */
export const send = (circuits: Circuits, circuit: Circuit, probe: number | undefined, request: Request, init: FetchInit | undefined, next: FetchLike, after?: () => void): Promise<Response> => {
	const { record } = circuit;
	const call = init?.steadfetch;
	const { signal } = request;
	// With a coordinator, the world the attempt goes out in (no identity bound): a `clear()` before it settles, which
	// replaces `record`, has its outcome count for nothing in the fleet too (`BreakerLink.report`).
	const world = circuits.link && circuits.context.world();
	let done = false;
	circuit.busy++;
	const settle = (response?: Response, error?: unknown): void => {
		if (!done) {
			done = true;
			circuit.busy--;
			// The listener goes with the attempt: a signal that outlives it (the caller's, shared by many
			// calls) must not hold the attempt, its call and their input.
			signal.removeEventListener('abort', onAbort);
			tally(circuits, circuit, record, probe, !response && ((call?.signal?.aborted && signal.aborted) || isSuperseded(error) || isSteadfetchError(error)) ? undefined
				: verdictOf(circuits.options.isFailure, response, error)
					?? (response ? originFailed(response) : signal.aborted || classify(error).transient || undefined), response, call, world);
			after?.();
		}
	};

	// ky gives up on a timed-out attempt before some runtimes (Deno, workerd) reject its aborted fetch,
	// and a transport may ignore its signal: an attempt counts at its abort, before ky's caller sees it.
	const onAbort = (): void => settle(undefined, signal.reason);
	signal.addEventListener('abort', onAbort);
	return next(request, init).then((response) => {
		settle(response);
		return response;
	}, (error: unknown) => {
		settle(undefined, error);
		throw error;
	});
};

/**
 * `isolate` / `reset` by hand: resolves once the new state is stored (and the coordinator told), so
 * a Worker that awaits it needs no `waitUntil`. Never rejects for a failing store (`storage:error`); rejects
 * `CLIENT_CLOSED` once its client closed.
 * A client that has not read the scope's stored state (after a reload, a tab opened later) reads it
 * first, as a first call does: the new state is dated after it, so every tab takes it (also one made
 * in the ms of the stored one); one that has changes its state at once.
 */
export const command = async (circuits: Circuits, urlOrScope: string | URL, which: 'isolate' | 'reset', call?: PolicyCall & Gone): Promise<void> => {
	// Once the client closed, or the request's client (`call`, withContext) it was made through: nothing stored, told nor sent.
	refuseClosed(() => circuits.closed || !!call?.closed);
	const circuit = circuitFor(circuits, urlOrScope);
	const unread = !circuit.read;
	let saved: unknown;
	const via = (promise: Promise<unknown>): void => {
		saved = promise;
	};
	const loading = restore(circuits, circuit);
	if (loading) {
		await loading;
	}

	// Dated half a second ahead where a channel tells the tabs (`clearLeadMs`): what a tab did before it heard it is older.
	circuits[which](circuit, circuits.clock.now(), via, circuits.channel ? clearLeadMs : 0);
	// A reset is stored (and told) even where it changes nothing in memory: where the store could not be read, it
	// ends a stored isolation or open period; in a closed state, the failures counted before it go in every tab and
	// from the stored record too, not only here.
	if (circuits.store && (unread || which === 'reset') && !saved) {
		publish(circuits, circuit, via);
	}

	await Promise.all([saved, circuits.link?.command(circuit, which, call)]);
};

/**
 * The learned state of every scope goes (in memory, in the store and in the other tabs; the outcomes
 * of attempts then in flight count for nothing, so none of it comes back); a kill switch stays
 * (`isolate()` is lifted by `reset()` only), and `clear({ identity })` leaves the breaker alone:
 * its state belongs to an origin, not to a user. Rejects when the store does not list or
 * confirm a delete.
 */
export const clear = async (circuits: Circuits, clearOptions?: { identity?: string }): Promise<void> => {
	const { scopes, store, clock } = circuits;
	// The other tabs take a closed state newer than the one cleared (`after` it): they forget its counts
	// and its open period too, or their failures in a row from before the clear would open it again. Where a channel
	// tells them, dated half a second ahead (`since`; below the second past which a record is taken as the
	// oldest, `read`): a state a tab made before the clear reached it (a probe started before it that failed meanwhile)
	// is older, and the clear wins in every tab, this one too (`receive`, `load`), not the re-opening that outran it.
	// Every state made after it is dated after it (`after`).
	const forget = (scope: string, at: number): BreakerRecord => {
		const record: BreakerRecord = { ...closed(scope, Math.max(since(circuits), at + 1)), cleared: true };
		tell(circuits, record);
		return record;
	};

	if (clearOptions?.identity === undefined) {
		circuits.cleared = clock.now();
		for (const [scope, circuit] of [...scopes.entries(), ...circuits.forgot]) {
			if (!circuit.record.isolated) {
				scopes.delete(scope);
				circuits.forgot.delete(scope);
				// Closed and counting from nothing for whoever still holds it (a `waitForHealthy`, an attempt waiting for
				// the stored state); its attempts in flight count under the record they started with, so none of the
				// cleared state comes back with their outcomes (no open, no write, no message). An open one is told
				// `breaker:closed` (reason `cleared`) here, as the other tabs are (`shared`).
				circuits.adopt(circuit, forget(scope, circuit.record.at), 'cleared');
			}
		}

		if (store) {
			// Record by record: a store the user shares with the cache or the outbox keeps theirs. An
			// isolation this client learned of meanwhile (its own, another tab's) is not deleted.
			await Promise.all((await store.keys(true)).map(async (key) => {
				const record = read(circuits, await store.get(key));
				// Under the scope's lock: a write of another tab under way (its counts, `shareCount`) lands before it, not after.
				const remove = async (): Promise<void> => store.delete(key, true);
				return record?.scope === key && !record.isolated && !scopes.get(key)?.record.isolated && forget(key, record.at) && underLock(circuits, key, remove, false, true).catch(remove);
			}));
		}
	}
};
