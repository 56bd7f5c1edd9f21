import type { WaitUntil } from '../core/options.js';
import { check } from '../utils/validate.js';
import type { PolicyCall, PolicyContext } from '../core/policy.js';
import type { World } from '../core/world.js';
import { maxFleetOpenMs, type SyncAnswer, type SyncMessage } from './sync.js';
import { answerMs, exchanged, hung, linkFleet, within, type Coordinator, type Exchanging } from '../coordinator/fleet.js';
import type { ThrottleAnswer, ThrottleMessage } from '../coordinator/throttle.js';
import { background, storageError } from '../core/part-store.js';
import { droppedWork } from '../core/part-store-drop.js';
import { clearLeadMs, readRecord, type BreakerRecord, type Circuit, type Machine, type Settings } from './circuit.js';

/**
 * What a coordinator answers: one call reports what happened since the last sync and asks for the
 * scope's state (and the probe). `coordinator(env.STEADFETCH)` (Durable Objects) and `coordinator(kv)`
 * (Deno KV) implement it; `sharedCoordinator(sync)` makes a `breaker({ shared })` value of your own.
 * The same value serves `adaptiveThrottle({ shared })`, whose syncs are `ThrottleMessage`s (answered
 * with a `ThrottleAnswer`, kept apart from the scope's breaker state); a coordinator that answers
 * them otherwise, or fails them, leaves each isolate's throttle to its own counters. An open period
 * is decided by the coordinator, jittered once with the `jitter` of the sync that opened it (a draw
 * of that isolate's `random`), never per isolate.
 */
export interface SharedCoordinator {
	/**
	 * `subrequest`: counts one more subrequest of the syncing call's request context (the sync itself
	 * is counted before it is sent); a coordinator that makes more than one `fetch` per sync (Redis over
	 * Upstash: a read, then a write) calls it before each after the first, and sends nothing more when
	 * it answers `false` (the context has no subrequest left: the sync fails).
	 */
	sync(scope: string, message: SyncMessage | ThrottleMessage, subrequest?: () => unknown): Promise<SyncAnswer | ThrottleAnswer>;
}

/**
 * The value of `breaker({ shared })` and `adaptiveThrottle({ shared })`: a coordinator, with the
 * isolate's side of the sharing (so a breaker or a throttle without one carries none of it).
 */
export interface SharedBreaker extends SharedCoordinator, Coordinator {
	/** Where a sync a call does not wait for goes when the call has no `waitUntil` of its own, if anywhere. */
	readonly waitUntil?: WaitUntil | undefined;
	/**
	 * `options`: the breaker's (`BreakerOptions`), of which it reads `sharedCacheMs` and `sharedTimeoutMs`;
	 * `adopt` takes each answer's state; `publish` stores (and tells the tabs) a state it adopted, behind
	 * `via` (the syncing call's `waitUntil`, else the coordinator's): the next client of the store (a
	 * reload, the next isolate) starts from the fleet's state, also while the coordinator does not answer.
	 */
	link(context: PolicyContext, settings: Settings, options: { sharedCacheMs?: number; sharedTimeoutMs?: number }, adopt: Machine['adopt'], publish?: (circuit: Circuit, via?: WaitUntil) => unknown): BreakerLink;
}

/** What the breaker asks of its coordinator (see `sharedCoordinator`). */
export interface BreakerLink {
	/**
	 * Before an attempt: a sync when the adopted state is older than `sharedCacheMs` (by the client's clock; one that stepped back
	 * to before the last sync: due at once) (waited for at
	 * most `sharedTimeoutMs` under a clean closed state, else for its answer; its answer is taken
	 * whenever it comes); else nothing to wait for. The wait ends when `signal` (the attempt's) aborts.
	 */
	fresh(circuit: Circuit, call: PolicyCall | undefined, signal?: AbortSignal): Promise<unknown> | undefined;
	/** The coordinator's probe: its grant time, `false` when another isolate holds it (or the call's request context has no subrequest left to ask), `undefined` when the coordinator is unreachable. */
	probe(circuit: Circuit, call: PolicyCall | undefined): Promise<number | false | undefined>;
	/**
	 * An attempt's outcome, not waited for (`probe`: its start time, for a probe; `failed` undefined, or a failure of an
	 * attempt whose `world` (the client's as it went out: no identity bound) saw a `client.clear()` since: nothing to count,
	 * a probe's grant is freed). `status`: its HTTP answer's, which a probe's success tells the coordinator (the fleet's
	 * closed state carries it: `scope:back` in the isolates whose own attempts failed).
	 */
	report(circuit: Circuit, failed: boolean | undefined, retryAfterMs: number, probe: number | undefined, call: PolicyCall | undefined, world?: World, status?: number): void;
	/**
	 * `isolate` / `reset` by hand, for every isolate: resolves once the coordinator answered (or failed).
	 * A sync sent before it (by this client or another of its name and store) adopts nothing when it answers (it may carry
	 * the state the command ended). Never rejects. `call`: the request context's (`withContext(ctx).breaker`), whose subrequest it is: not sent once it has none left.
	 */
	command(circuit: Circuit, command: 'isolate' | 'reset', call?: PolicyCall): Promise<unknown>;
}

/** One scope's link to the coordinator (`down`: the local breaker decides). */
interface Link extends Exchanging {
	/** When a call last asked the coordinator for this scope's state, or a sync last failed (injected clock); -Infinity before. */
	at: number;
	/** Outcomes not sent yet (see `SyncMessage.outcomes`). */
	outcomes: number[];
	/** The coordinator's grant of this isolate's probe in flight. */
	grant?: number | undefined;
	/**
	 * What this isolate told once and the coordinator has not answered yet (a probe's outcome or its freed
	 * grant, a command by hand): sent again with each sync until one is answered. Each is idempotent there (a
	 * probe's outcome counts only while its grant holds), so a coordinator away for a moment does not lose a
	 * probe that closed the scope (counted failed at its limit) nor a kill switch (lifted by the fleet's state).
	 */
	told?: Partial<SyncMessage> | undefined;
	/** The record under which the coordinator last refused this isolate the probe (another isolate holds it), and when (injected clock). */
	refused?: [BreakerRecord, number] | undefined;
	/**
	 * A call may go on after `sharedTimeoutMs` without the answer: the state adopted last was closed
	 * with no failure counted in the fleet, and this isolate has seen only successes since. False
	 * before any answer.
	 */
	clean: boolean;
	/** This isolate's last counted attempt failed. */
	failing: boolean;
	/** Syncs of calls that wait for them, in flight. */
	pending: number;
	/**
	 * The latest of the coordinator's records this isolate heard, by the coordinator's own clock: the
	 * later `at`, or in the same ms the later open period (more `opens`); none before. Then one dated before
	 * it that comes `answerMs` or more after it (`heardAt`, injected clock): see `exchange`.
	 */
	heard?: BreakerRecord | undefined;
	heardAt?: number | undefined;
}

/**
 * Send what is pending and adopt the answer, whenever it comes within `answerMs`: the grant,
 * `false`, or `undefined` when the coordinator failed or did not answer in time. Never rejects.
 */
const exchange = async (context: PolicyContext, sync: SharedCoordinator['sync'], policy: SyncMessage['policy'], maxOpenMs: number, adopt: Machine['adopt'], link: Link, circuit: Circuit, call: PolicyCall | undefined, extra?: Partial<SyncMessage>, late?: (answer: SyncAnswer) => unknown): Promise<number | false | undefined> => {
	const { scope } = circuit.record;
	const { clock } = context;
	const { told } = link;
	const granted = await exchanged(context, 'breaker', scope, link, async () => sync(scope, { policy, outcomes: link.outcomes.splice(0), jitter: context.random(), ...told, ...extra }, () => context.subrequest(call)), (value) => {
		const answer = value as SyncAnswer;
		const now = clock.now();
		const record = readRecord(answer?.record, now, maxOpenMs);
		// Not a breaker record; or one dated further ahead than a coordinator dates its own (`readState`): a garbled
		// answer, a clock far ahead. Taken, it would be the latest this isolate heard and its own record's date: no
		// answer of the fleet dated before it would be news or newer, so the isolate would ignore the fleet's state
		// (an opening, a closing: failing fast for good once its open period ends) until the coordinator's clock passed it.
		if (record?.scope !== scope || record.at > now + maxFleetOpenMs) {
			return undefined;
		}

		// The failures in a row an open state opened with: at most this breaker's `consecutiveFailures`, as the tabs' (`read`).
		record.failures &&= Math.min(record.failures, policy.consecutiveFailures);

		// The first answer after an unreachable episode (`link.down`, cleared once this answer is
		// taken) is adopted even when what this isolate decided alone meanwhile is newer: the fleet's
		// state wins, one breaker again (else an isolate that opened alone would fail fast until the
		// fleet's state next changed). So is an open state later than any the coordinator told this
		// isolate before (`Link.heard`, by the coordinator's own clock): the open period is the fleet's.
		// An isolate whose own outcome (a failure, its probe's) opened its local breaker reported it, and
		// the coordinator opened too; its record's `at` comes from another clock (Redis's, a Durable
		// Object's), the same ms or behind this isolate's, and `adopt`'s "newer" would keep the
		// isolate's own jittered period (API.md: "never per process"). Not over a probe this answer
		// grants (its slot is this isolate's record), nor a closed state (an isolate's own opening, by
		// its failure ratio too, stands until the fleet's state changes). A closed state later than the open one
		// this isolate holds from the fleet (the one it heard last) is the fleet's change too, whatever this
		// isolate's clock: one running ahead of the coordinator's dated its copy later than any closing. So is one
		// made after an isolation this isolate holds, which a tab told dated `clearLeadMs` ahead (an isolation is
		// the fleet's too: it was sent to the coordinator): a reset elsewhere in that half second lifts it here too.
		// A record dated before the one heard last came late (an answer sent before that one's came), unless it comes
		// `answerMs` or more after it: every answer sent before that one's came has come or been given up by then, so it
		// was made after that record, and is the coordinator's state now (a coordinator's records are dated in order):
		// that record was dated ahead of the coordinator's clock (a garbled answer, up to `maxFleetOpenMs` ahead). Else an
		// open state so dated held this isolate failing fast until the coordinator's clock passed its date, refused every
		// probe by a fleet closed all along; a closed one kept it from the fleet's openings until then.
		const { heard } = link;
		const news = !heard || record.at > heard.at || (record.at === heard.at && record.opens > heard.opens) || (record.at < heard.at && !within(link.heardAt!, now, answerMs));
		const held = circuit.record;
		const fleetsOpen = held.state === 'open' && (held.openedAt === heard?.openedAt || (!!held.isolated && record.at >= held.at - clearLeadMs));
		if (news) {
			link.heard = record;
			link.heardAt = now;
		}

		const granted = typeof answer.granted === 'number' ? answer.granted : false;
		const fleets = news && granted === false && (record.state === 'open' ? record.reopensAt !== held.reopensAt : fleetsOpen);
		// `link.at` stays when this isolate last asked for the state (`fresh`): an answer to a report or a
		// probe says nothing of failures other isolates had not reported yet, so it does not put off the
		// next call's sync (else a call `sharedCacheMs` after the last could go out under it).
		const taken = (link.down || fleets) && record.at <= held.at ? { ...record, at: held.at + 1 } : record;
		const before = circuit.consecutive;
		adopt(circuit, taken, 'shared');
		// The fleet's closed state taken after an unreachable episode over the closed state this isolate counted
		// in alone is the same state: the failures in a row it counted are not dropped (else as many again before it opens).
		if (link.down && held.state === 'closed' && taken.state === 'closed') {
			circuit.consecutive = before;
		}

		// The fleet's failures in a row (`failures`: only whether there are any is read); a coordinator
		// that does not say them says it through this isolate's own outcomes only.
		link.clean = record.state === 'closed' && !answer.record.failures && !link.failing;
		return granted;
	}, late);
	if (granted === undefined) {
		link.at = clock.now(); // Failed: asked again after sharedCacheMs, not on every call.
	} else if (link.told === told) {
		link.told = undefined; // Heard (nothing newer told meanwhile).
	}

	return granted;
};

/** `SharedBreaker.link` over `sync`: one breaker's links, a `Link` per scope. */
const linkBreaker = (context: PolicyContext, settings: Settings, { sharedCacheMs = 1000, sharedTimeoutMs = 100 }: { sharedCacheMs?: number; sharedTimeoutMs?: number }, adopt: Machine['adopt'], sync: SharedCoordinator['sync'], waitUntil: WaitUntil | undefined, publish?: (circuit: Circuit, via?: WaitUntil) => unknown): BreakerLink => {
	const { consecutiveFailures, openMs, maxOpenMs, probeTimeoutMs } = settings;
	const policy = { consecutiveFailures, openMs, maxOpenMs, probeTimeoutMs };
	const links = new WeakMap<Circuit, Link>();
	const linkOf = (circuit: Circuit): Link => {
		let link = links.get(circuit);
		if (!link) {
			link = { at: Number.NEGATIVE_INFINITY, outcomes: [], down: false, clean: false, failing: false, pending: 0 };
			links.set(circuit, link);
		}

		return link;
	};

	// `isolate` / `reset` by hand made so far by the clients of the name and store (the peers an `extend()` makes tell each
	// other their changes: a sync of one under way undid another's command as its own would).
	const commands = (context.stores.get('breaker:commands') ?? { made: 0 }) as { made: number };
	context.stores.set('breaker:commands', commands);

	// The answer is adopted (and stored, and told) only in the world the sync started in (API.md "Work that outlives its
	// caller"): the client's, bound to no identity, as the report of an attempt is (`report`): the breaker is the origin's,
	// not a user's, so an identity change or `clear({ identity })` meanwhile drops nothing (a sync of alice's call answered
	// after bob signed in is the fleet's state all the same: dropped, the local breaker missed the fleet's opening). After a
	// `clear()` made meanwhile (also the report of an attempt that was then in flight), or
	// an `isolate()` / `reset()` by hand (the state it answers may be the one the command ended: an opening the reset
	// closed came back until the reset's own answer, or for good when that sync failed or was a peer's; a closed state
	// lifted the kill switch), the fleet's state comes back with the next call's sync, not with this one.
	// So is one sent before this client took a state another tab told (`Circuit.fromTabs`): that tab's reset, or its
	// probe's closing, would be undone in every tab (the answer's opening, news here, is dated after what this tab holds).
	const exchangeFor = async (circuit: Circuit, call: PolicyCall | undefined, extra?: Partial<SyncMessage>, late?: (answer: SyncAnswer) => unknown): Promise<number | false | undefined> => {
		const world = context.world();
		const { made } = commands;
		const { fromTabs } = circuit;
		return exchange(context, sync, policy, maxOpenMs, (into, record, reason) => {
			if (world.current('breaker') && commands.made === made && into.fromTabs === fromTabs) {
				adopt(into, record, reason);
				if (into.record === record) {
					publish?.(into, call?.waitUntil ?? waitUntil);
				}
			}
		}, linkOf(circuit), circuit, call, extra, late);
	};

	/**
	 * Whether a scope is this isolate's own: longer than 8 192 characters (a URL's length), which no coordinator's record
	 * holds (`readRecord`; every sync failed, reported as a coordinator answering garbage, the scope written over in Redis):
	 * the local breaker decides it.
	 */
	const local = (circuit: Circuit): boolean => circuit.record.scope.length > 8192;

	/**
	 * A sync nobody waits for, unless the call's request context has no subrequest left for it, or the scope's last
	 * sync was given up and has not settled (`hung`): its outcomes go with the next one.
	 */
	const behind = (call: PolicyCall | undefined, circuit: Circuit, extra?: Partial<SyncMessage>): void => {
		if (!local(circuit) && !hung(linkOf(circuit), context.clock.now()) && context.subrequest(call)) {
			background(context, 'breaker', call?.waitUntil ?? waitUntil, async () => exchangeFor(circuit, call, extra));
		}
	};

	return {
		fresh(circuit, call, signal) {
			const link = linkOf(circuit);
			const now = context.clock.now();
			// A call while another's sync is in flight and the state is not clean asks for itself (no
			// promise is shared between calls: in a Worker they may belong to different requests). Not while the
			// coordinator is unreachable and asked already (a sync in flight, or one given up that has not settled:
			// `hung`): the local breaker decides and the call waits for nothing, no sync piles up on a coordinator that hangs.
			if ((within(link.at, now, sharedCacheMs) && (link.clean || !link.pending)) || local(circuit) || (link.down && (link.pending > 0 || hung(link, now))) || !context.subrequest(call)) {
				return undefined;
			}

			link.at = now;
			link.pending++;
			const syncing = exchangeFor(circuit, call).finally(() => link.pending--);
			// The answer is taken when it comes. The call goes on after `sharedTimeoutMs` with what the
			// isolate knows only if that is a clean closed state (`Link.clean`); otherwise (the fleet or this
			// isolate counted failures, or it knew the scope open, or nothing yet) it waits for the answer,
			// which `exchange` bounds at `answerMs` (then the local breaker decides, and while the coordinator
			// stays unreachable calls go on after `sharedTimeoutMs`, or at once while it is asked): an isolate
			// that saw one of the failures that opened the fleet's breaker does not send its own request when it is due.
			// Held by the call's `waitUntil`, else the coordinator's (the running request's, in workerd): a
			// call that goes on after `sharedTimeoutMs` may answer first, and workerd cancels what its
			// request did not hand over (the sync would never settle: counted in flight for good). With
			// neither where I/O ends with its request (`droppedWork`), the call waits for the answer: the
			// sync ends within it.
			const held = call?.waitUntil ?? waitUntil;
			try {
				// One that gives back a promise that rejects (an app's async `waitUntil`): as one that throws, never an unhandled rejection.
				(held?.(syncing) as unknown as PromiseLike<unknown> | undefined)?.then?.(undefined, () => undefined);
			} catch {
				// A request context already gone: the sync goes on as far as it can.
			}

			return new Promise((resolve) => {
				const done = (): void => {
					clearTimeout(timer);
					signal?.removeEventListener('abort', done);
					resolve(undefined);
				};
				const timer = setTimeout(() => ((link.clean && !droppedWork(held)) || link.down) && done(), sharedTimeoutMs);
				signal?.addEventListener('abort', done);
				void syncing.then(done);
			});
		},
		async probe(circuit, call) {
			const link = linkOf(circuit);
			const { record } = circuit;
			const now = context.clock.now();
			const [refused, at] = link.refused ?? [];
			// Unreachable (failed, or silent for answerMs): the local breaker decides, as everywhere else. Refused under this
			// record less than `sharedCacheMs` ago (another isolate holds the probe): that decision is cached as the state is,
			// the call fails fast instead of waiting for the coordinator to say so again.
			let granted: number | false | undefined = link.down || local(circuit) ? undefined : false;
			if (granted === false && !(refused === record && within(at!, now, sharedCacheMs)) && context.subrequest(call)) {
				// A grant that comes after this isolate gave the sync up (past `answerMs`) is given back at once:
				// the local breaker decided meanwhile, and the fleet's probe slot is not held until the probe's timeout.
				granted = await exchangeFor(circuit, call, { probe: true, probeMs: circuit.probeMs }, ({ granted: freed } = {} as SyncAnswer) => typeof freed === 'number' && behind(call, circuit, { freed }));
				link.refused = granted === false ? [record, now] : undefined;
			}

			link.grant = typeof granted === 'number' ? granted : undefined;
			return granted;
		},
		report(circuit, outcome, retryAfterMs, probe, call, world, status) {
			const link = linkOf(circuit);
			// A failure of an attempt that went out before a `clear()` of any client of the name and store counts for nothing in
			// the fleet, as in the local breaker, whose clear replaced the record it went out under: a probe's grant is only
			// freed. Not an identity change, nor `clear({ identity })`: the breaker is the origin's, not a user's, and the local
			// breaker counts that failure (`world`: the client's as the attempt went out, bound to no identity).
			const failed = outcome && world?.current('breaker') === false ? undefined : outcome;
			const { grant } = link;
			if (probe !== undefined && grant !== undefined) {
				link.grant = undefined;
				// A probe's outcome replaces what was told of an earlier one (its grant is settled: this one came after it).
				link.told = { ...(link.told?.command && { command: link.told.command }), ...(failed === undefined ? { freed: grant } : { probed: { at: grant, failed, retryAfterMs, ...(status && { status }) } }) };
				behind(call, circuit);
			}

			if (failed === undefined) {
				return;
			}

			link.failing = failed;
			link.clean &&= !failed;
			if (probe === undefined || grant === undefined) {
				if (link.outcomes.length < 64) {
					link.outcomes.push(failed ? Math.max(1, retryAfterMs) : 0);
				}

				if (failed) {
					behind(call, circuit);
				}
			}
		},
		command: async (circuit, command, call) => {
			const link = linkOf(circuit);
			link.told = { ...link.told, command };
			commands.made++;
			return !local(circuit) && context.subrequest(call) && exchangeFor(circuit, call);
		},
	};
};

/**
 * A `breaker({ shared })` value over any coordinator's `sync` (Durable Objects, Deno KV, your own
 * service). The isolate's side: the local circuit keeps deciding every attempt from memory; the
 * coordinator's state is adopted into it at most `sharedCacheMs` old — the call that finds it older
 * syncs (waiting at most `sharedTimeoutMs`) while calls meanwhile go on with the state the isolate
 * has, so no call waits on another's sync (in a Worker, another request's). Failures are reported at
 * once without making the caller wait (handed to the call's `waitUntil`, else the coordinator's
 * own), successes with the next sync. The half-open probe is the coordinator's to grant: one in the
 * world. A slow answer is taken when it comes (within `answerMs`) and never makes the isolate more
 * permissive than what it last knew: once the open period it knew ends, its calls fail fast while it
 * asks the coordinator for the probe (the call that asks waits for the answer), so one probe goes
 * out in the world also when the coordinator takes hundreds of ms. Each sync carries a draw of the
 * client's `random` (`SyncMessage.jitter`), with which the coordinator jitters the fleet's open period
 * if that sync opens it (isolates that open together then reopen apart). A coordinator that fails, or does
 * not answer within `answerMs`, leaves the local breaker in charge (`storage:error`, once per
 * episode); a scope whose sync was given up unanswered sends no other until it settles (at most
 * 30 s: `hung`), its calls waiting for none. Each sync is a subrequest of the call's request context
 * (`PolicyContext.subrequest`): none is sent once it has none left (a probe is then not granted). `sync` is not told the client's
 * `name`: every client given this value shares its scopes, whatever its name (the coordinators of
 * `steadfetch/cloudflare`, `steadfetch/deno` and `steadfetch/redis` keep each name's apart). A `sync`
 * that is not a function, or a `waitUntil` given that is not one, is a `RangeError` naming it, here.
 */
export const sharedCoordinator = (sync: SharedCoordinator['sync'], waitUntil?: WaitUntil): SharedBreaker => {
	// Read at each sync: a wrong one would fail every sync later (`storage:error`, a breaker left local), said nowhere.
	check(typeof sync === 'function', 'sharedCoordinator.sync', sync, 'a function');
	check(waitUntil === undefined || typeof waitUntil === 'function', 'sharedCoordinator.waitUntil', waitUntil, 'a function');
	return namedCoordinator(() => sync, waitUntil);
};

/**
 * `sharedCoordinator` per client `name`: each breaker's and throttle's link syncs through
 * `syncOf(context.name, told)`, so processes share a scope's state only when their clients have the same
 * name (API.md); `told` reports on the link's context (`storage:error`, operation `decode`) a stored state the
 * coordinator found not its own (and wrote over). The coordinators of `steadfetch/cloudflare`, `steadfetch/deno` and
 * `steadfetch/redis` keep each name's state apart this way; its own `sync` is the default name's
 * (`'steadfetch'`).
 */
export const namedCoordinator = (syncOf: (name: string, told?: (error: unknown, scope: string) => void) => SharedCoordinator['sync'], waitUntil?: WaitUntil): SharedBreaker => {
	const toldOf = (context: PolicyContext, part: string) => (error: unknown, scope: string): void => storageError(context, part, 'decode', error, scope);
	return {
		sync: syncOf('steadfetch'),
		waitUntil,
		fleet: (context, windowMs) => linkFleet(context, syncOf(context.name, toldOf(context, 'throttle')), waitUntil, windowMs),
		link: (context, settings, options, adopt, publish) => linkBreaker(context, settings, options, adopt, syncOf(context.name, toldOf(context, 'breaker')), waitUntil, publish),
	};
};
