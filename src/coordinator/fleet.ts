import type { WaitUntil } from '../core/options.js';
import type { PolicyCall, PolicyContext } from '../core/policy.js';
import { isNonNegativeInteger } from '../utils/validate.js';
import { background, storageError } from '../core/part-store.js';
import { scopes } from '../utils/scopes.js';
import type { ThrottleAnswer, ThrottleMessage } from './throttle.js';

/** An isolate's side of `adaptiveThrottle({ shared })` (see `linkFleet`). */
export interface Fleet {
	/** The fleet's window of a scope while its last answer is fresh, with what this isolate counted since: [requests, accepts]. */
	counts(scope: string, now: number): [number, number] | undefined;
	/** Count an attempt of this isolate, for its next report. */
	add(scope: string, accepted: boolean): void;
	/**
	 * Sync when due, in the background; a sync made when no fresh answer is known (the scope's first call in this isolate, or one
	 * after a quiet spell) is returned to wait for (at most `firstMs`; the wait ends when `signal`, the attempt's, aborts). Never rejects.
	 */
	sync(scope: string, call: PolicyCall | undefined, signal?: AbortSignal): Promise<unknown> | undefined;
}

/**
 * A coordinator as the adaptive throttle sees it: what `adaptiveThrottle({ shared })` takes. Its own
 * interface, in src/coordinator, so the throttle imports no other policy: the breaker's shared
 * coordinators (`sharedCoordinator`, and those of `steadfetch/cloudflare`, `steadfetch/deno`,
 * `steadfetch/redis`) implement it as well as the breaker's link.
 */
export interface Coordinator {
	/** The adaptive throttle's link (its `windowMs`): the fleet's counts per scope. */
	fleet(context: PolicyContext, windowMs: number): Fleet;
}

/** One scope's link to the coordinator. */
interface Link extends Exchanging {
	/** When the coordinator last answered, and when it was last asked (injected clock); -Infinity before. */
	at: number;
	asked: number;
	/** The fleet's window, as it answered. */
	requests: number;
	accepts: number;
	/** Counted here and not reported yet; reported and not answered yet. */
	unsent: number;
	unsentAccepts: number;
	sent: number;
	sentAccepts: number;
	busy: boolean;
}

/** The longest a sync may take before the coordinator counts as failed, in ms (the throttle's and the shared breaker's). */
export const answerMs = 2000;

/**
 * The longest a sync given up at `answerMs` and not settled yet holds back its scope's next one, in ms (the client's
 * clock): a coordinator that hangs (a Redis client queueing commands while its connection is down, a stalled `fetch`) is
 * asked once, not at every due sync (each one left pending in its queue until it settled: 30 a minute per scope); one
 * whose answer never comes (a workerd request's I/O ends with it: 30 s is the most `waitUntil` keeps it) is asked again.
 */
const hungMs = 30_000;

/** What `exchanged` keeps of one scope's link (the throttle's and the shared breaker's). */
export interface Exchanging {
	/** The coordinator failed, or did not answer within `answerMs`, last time: `storage:error` was emitted for this episode. */
	down: boolean;
	/** The last sync given up at `answerMs` while it has not settled, and when it was given up (the client's clock). */
	hung?: { at: number } | undefined;
}

/**
 * Whether the scope's coordinator is unreachable with its last sync given up and not settled, less than `hungMs` ago:
 * no other sync of the scope is sent meanwhile (its calls go on, decided locally, waiting for none).
 */
export const hung = (link: Exchanging, now: number): boolean => link.down && link.hung !== undefined && within(link.hung.at, now, hungMs);

/**
 * One sync (`send`) and what `take` makes of its answer (`undefined` for what is not one), within
 * `answerMs`; `undefined` when the coordinator failed, answered something else or did not answer in
 * time: the link is then `down` (`storage:error` once per episode) until an answer is taken. An
 * answer that comes after the sync was given up goes to `late`, if given (what it granted is given
 * back); until it comes the sync is `hung` (at most `hungMs`). The shared breaker's and the throttle's. Never rejects.
 */
export const exchanged = async <T>(context: PolicyContext, part: 'breaker' | 'throttle', scope: string, link: Exchanging, send: () => Promise<unknown>, take: (answer: unknown) => T | undefined, late?: (answer: never) => unknown): Promise<T | undefined> => {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Error(`The ${part} coordinator did not answer within ${answerMs} ms`);
	const sent = send();
	try {
		const taken = take(await Promise.race([sent, new Promise<never>((_, reject) => {
			timer = setTimeout(reject, answerMs, timeout);
		})]));
		if (taken === undefined) {
			throw new TypeError(`The ${part} coordinator answered something that is not a ${part} answer`);
		}

		link.down = false;
		return taken;
	} catch (error) {
		if (!link.down) {
			link.down = true;
			storageError(context, part, 'shared', error, scope);
		}

		// Given up unanswered: the scope's next sync waits until this one settles (`hung`), whichever sync was given up last.
		const given = { at: context.clock.now() };
		if (error === timeout) {
			link.hung = given;
		}

		const settled = (): void => {
			if (link.hung === given) {
				link.hung = undefined;
			}
		};
		// `late` reads the answer as `take` would: unchecked. What it throws on (a garbled answer: `null`, a getter that
		// throws) has nothing to give back, and is dropped: not an unhandled rejection.
		void sent.then((answer) => {
			settled(); // Before `late`, which may sync again (a grant given back).
			return late?.(answer as never);
		}, settled).catch(() => undefined);
		return undefined;
	} finally {
		clearTimeout(timer);
	}
};

/**
 * Whether `then` is less than `ms` before `now` (the client's clock): after a clock that stepped back to before it, not
 * (else an hour's step froze the coordinator's last answer and stopped the syncs for an hour). The throttle's and the shared breaker's.
 */
export const within = (then: number, now: number, ms: number): boolean => now >= then && now - then < ms;

/** The longest a call waits for the fleet's window when the isolate knows no fresh one (its first call to the scope, or one after a quiet spell), in ms. */
const firstMs = 100;
/** The most a coordinator may say the fleet counted in a window: more is a garbled answer. */
const maxFleet = 1e9;

/**
 * The isolate's side of a shared throttle: it reports its attempts to the coordinator at most every
 * `syncMs` per scope (a second, or a tenth of the window when shorter), in the background (the
 * call's `waitUntil`, else the coordinator's), and decides from the fleet's window the coordinator
 * answers while it is at most two syncs old (by the client's clock: one that stepped back to before
 * the last answer or sync holds neither as recent). A call that finds no such answer while the coordinator
 * is up (the scope's first call in the isolate, or any call after a quiet spell: an isolate that
 * sends little still decides by the fleet's window) waits for the sync it starts, at most `firstMs`;
 * a call while a sync is under way, or while the coordinator is down, waits for nothing. An answer
 * that is not counts (more than `maxFleet`, accepts over requests), a failure and a sync past
 * `answerMs` leave the isolate to its own counts (`storage:error`, once per episode); what that sync
 * reported is counted here only, and one given up unanswered is the scope's last until it settles (at most
 * `hungMs`: no sync piles up on a coordinator that hangs). A sync counts as a subrequest of the
 * call's request context (each of its `fetch`es, `SharedCoordinator.sync`), and is not made once the
 * context has none left.
 */
export const linkFleet = (context: PolicyContext, sync: (scope: string, message: ThrottleMessage, subrequest: () => unknown) => Promise<unknown>, waitUntil: WaitUntil | undefined, windowMs: number): Fleet => {
	const { clock } = context;
	// Bounded as every per-scope state is: idle scopes forgotten past 1 000, one being synced kept.
	const links = scopes((): Link => ({ at: -Infinity, asked: -Infinity, requests: 0, accepts: 0, unsent: 0, unsentAccepts: 0, sent: 0, sentAccepts: 0, busy: false, down: false }), (link) => link.busy);
	const syncMs = Math.min(1000, windowMs / 10);
	const linkOf = (scope: string): Link => links.scope(scope);
	/** Whether the fleet's last answer is at most two syncs old. */
	const fresh = (link: Link, now: number): boolean => within(link.at, now, 2 * syncMs);

	const exchange = async (scope: string, link: Link, call: PolicyCall | undefined): Promise<void> => {
		link.busy = true;
		link.sent = link.unsent;
		link.sentAccepts = link.unsentAccepts;
		link.unsent = link.unsentAccepts = 0;
		await exchanged(context, 'throttle', scope, link, async () => sync(scope, { throttle: { windowMs, requests: link.sent, accepts: link.sentAccepts } }, () => context.subrequest(call)), (answer) => {
			const { requests, accepts } = (answer as Partial<ThrottleAnswer> | undefined)?.throttle ?? {};
			// The fleet's window counts what this sync reported: from now on not in flight (not summed twice until `exchange` resumes).
			return isNonNegativeInteger(requests) && requests <= maxFleet && isNonNegativeInteger(accepts) && accepts <= requests
				? Object.assign(link, { at: clock.now(), requests, accepts, sent: 0, sentAccepts: 0 }) : undefined;
		});
		link.sent = link.sentAccepts = 0;
		link.busy = false;
	};

	return {
		counts(scope, now) {
			const link = links.get(scope);
			return link && !link.down && fresh(link, now)
				? [link.requests + link.sent + link.unsent, link.accepts + link.sentAccepts + link.unsentAccepts]
				: undefined;
		},
		add(scope, accepted) {
			const link = linkOf(scope);
			link.unsent++;
			link.unsentAccepts += Number(accepted);
		},
		sync(scope, call, signal) {
			const link = linkOf(scope);
			const now = clock.now();
			// No fresh answer to decide by (the scope's first call, or one after a quiet spell) while the coordinator is up: the call waits for this sync.
			const stale = !link.down && !fresh(link, now);
			// A sync is a subrequest of the call's request context: none once it has none left. None for a scope longer
			// than 8 192 characters either (a URL's length), which no coordinator holds: this isolate's own counts decide it.
			// None either while the last one given up has not settled (`hung`).
			if (link.busy || within(link.asked, now, syncMs) || scope.length > 8192 || hung(link, now) || !context.subrequest(call)) {
				return undefined;
			}

			link.asked = now;
			let sending: Promise<void> | undefined;
			background(context, 'throttle', call?.waitUntil ?? waitUntil, () => (sending = exchange(scope, link, call)));
			const done = sending;
			// The sync goes on in the background: an attempt aborted meanwhile (its caller, ky's timeout) waits no more.
			return stale && done ? new Promise((resolve) => {
				const over = (): void => {
					clearTimeout(timer);
					signal?.removeEventListener('abort', over);
					resolve(undefined);
				};
				const timer = setTimeout(over, firstMs);
				signal?.addEventListener('abort', over);
				void done.then(over);
			}) : undefined;
		},
	};
};
