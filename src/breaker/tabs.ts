import { isNewer, openChannel } from '../utils/channel.js';
import { listen, listenBack } from '../utils/listen.js';
import { tryLock, webLocks, type LockManagerLike } from '../utils/lock.js';
import { background, storageError, storageMs } from '../core/part-store.js';
import { hasTabs, serviceWorker } from '../utils/tabs.js';
import { askMs, bounded, clearLeadMs, closed, type BreakerRecord, type Circuit } from './circuit.js';
import { closeCircuits, known, load, read, receive, reloaded, takeWindow, tally, underLock, type Circuits } from './circuits.js';
import { poke } from './probe.js';
import { pause } from './healthy.js';
import { untilClosed } from '../core/closing.js';

/** The circuit's record with its counts as of now: failures in a row, and the ratio window's sums. */
const counted = ({ clock }: Circuits, { record, consecutive, window }: Circuit): BreakerRecord => {
	const now = clock.now();
	const [calls, failures] = window.sums(now);
	return { ...record, ...(consecutive && { failures: consecutive }), window: { calls, failures, at: now } };
};

/**
 * Tell the other tabs an outcome counted in a closed state (`failed`; `unanswered`: without an HTTP
 * answer), with the counts it leaves: they count it too (`hear`), so failures in a row across tabs
 * open the breaker. A failure, a success that ends failures in a row (`ended`), and a success while
 * the ratio window holds a failure (one such write at a time: it stores the counts as of its write)
 * are also stored with the record (behind the call, `via`, under the scope's lock: a `clear()`'s delete waits for it), so a reload goes on counting with the
 * window's calls, not only its failures (a window that holds none stores nothing); not over a newer state
 * another tab stored meanwhile; a page unloaded before that write completed (a few ms) leaves the
 * counts stored before it, as `publish` does the state. Only while the channel is open (stored only in a page or a web
 * worker, where there are reloads; a Worker's isolates share counts through a coordinator).
 * `Circuits.shareCount`, which circuits.ts's `tally` calls.
 */
const shareCount: NonNullable<Circuits['shareCount']> = (circuits, circuit, failed, unanswered, ended, via, status) => {
	const { channel, store } = circuits;
	const { record } = circuit;
	if (channel) {
		const counts = counted(circuits, circuit);
		// With its HTTP answer's status: a good one is `scope:back` in a tab whose own attempts failed (`hear`).
		channel.post({ ...counts, outcome: failed ? 1 : 0, ...(unanswered ? { unanswered } : { status }) });
		if ((failed || ended || (counts.window!.failures > 0 && !circuit.storing)) && hasTabs()) {
			circuit.storing = true;
			// Under the scope's lock, as `publish` writes: read and written after a write under way (another tab's newer state),
			// and before a `clear()`'s delete, not after it (counts of before the clear, back at the next page).
			background(circuits.context, 'breaker', via, async () => underLock(circuits, record.scope, async () => {
				const stored = read(circuits, await store!.get(record.scope).finally(() => {
					circuit.storing = false;
				}));
				// The counts as they are now, not as this outcome left them: the reads behind two outcomes may
				// answer out of order, and the write issued last must hold the latest counts.
				// Its own write only: a write of the state behind it (`publish`, `circuit.saved`) waits for this lock.
				if (circuit.record === record && !(stored && (stored.at > record.at || (stored.at === record.at && stored.state === 'open')))) {
					circuit.saved = store!.set(record.scope, counted(circuits, circuit));
					return circuit.saved;
				}
			}));
		}
	}
};

/**
 * Ask the other tabs for the scope's state (`Circuits.ask`: this tab's read of it failed, `load`). A tab answers at most
 * once a second per scope (`start`): one that answered another tab's ask just before this tab's channel opened (a page
 * started then) answers none now, so the ask goes again once that second is over, unless a state was told meanwhile (an
 * answer to any tab's ask reaches this one too); a reload takes the answer to it as the first's (`asked`, stamped again).
 * The client's `close()` stops it.
 */
const ask: NonNullable<Circuits['ask']> = (circuits, circuit) => {
	const { record } = circuit;
	const post = (): void => circuits.channel?.post({ ask: record.scope });
	const stop = (): void => {
		clearTimeout(timer);
		circuits.wake.delete(stop);
	};
	const timer = setTimeout(() => {
		stop();
		if (circuit.record === record) {
			circuit.asked &&= circuits.clock.now();
			post();
		}
	}, askMs);
	circuits.wake.add(stop);
	post();
};

/**
 * Another tab's outcome (a closed record with `outcome`): counted here too when this tab is closed,
 * in that closed state or in another one: a tab that found nothing stored after another tab's
 * `clear()` (or could not read the store) counts in an older closed state than the tabs that heard
 * the clear, until it takes theirs (`adopt`) from their next message; its outcomes still count, and its failures in a
 * row go on in the state it takes (`kept`: at most as many as the failure told there counted before itself). One
 * told before this tab's `clear()` (its `window.at`: in transit meanwhile) does not, nor one told before another tab's
 * clear this tab took (more than half a second before the closed state it took: a clear's is dated that far ahead), nor
 * one without that date (no tab's own message lacks it: it may be from before either). One that got an HTTP answer
 * makes the scope reachable here too (`PolicyContext.reached`): a tab whose own attempts found it unreachable, its
 * queries paused on it (`followReachability`), would make none to find out; a message without a tab's counts does not.
 * Its status, when `classify()` does not call it transient, is `scope:back` here too where this tab's own attempts
 * failed or a copy answered (once per such episode: `Reach.answered`; no message of its own, the outcome's carries it).
 * A failure heard counts only with the counts a tab's own message carries (`shareCount`: its failures in a row, its
 * ratio window's failures, at most its calls); a message without them (another build's word, a script's) is no failure.
 * A success likewise (no failures in a row, a window with more calls than failures). A flood of well-formed successes
 * ends failures in a row as a tab's own successes do (a script of the origin can make them by calling the API too).
 * Heard outcomes count as this tab's own do, and open it at a threshold: failures spread over tabs that reach it at once
 * (each tab's own count short of it) open every tab (a script of the origin that posts failures can open it so, as it
 * can by calling the API; the open period is bounded by `maxOpenMs`). The ratio is the tabs': a tab's window that holds
 * more calls than this one's (calls made before this tab started, or met the scope), in the same closed state, is merged into it (`takeWindow`), so the
 * failures of a tab that also had many successes do not open a tab that heard only those failures. The other way round,
 * a tab whose window holds more calls than the one an outcome carries tells its own back (a closed record with its
 * counts, no `outcome`; at most once a second per scope, `Circuit.answered`), taken by the tabs likewise: a tab opened
 * after another tab's successes counts its own failures over the tabs' calls once that answer landed (a message is
 * faster than a call; failures counted before it, within ms of its first, count over its own calls).
 */
const hear = (circuits: Circuits, circuit: Circuit, received: BreakerRecord, value: unknown, kept: number): void => {
	const { outcome, unanswered, window, failures, status } = value as Partial<BreakerRecord>;
	// An outcome a tab could have had: a failure's message gives its failures in a row and its window's failures (this
	// one at least, at most the window's calls), a success's none in a row and a window holding it (more calls than
	// failures), whole counts as a tab's own are; one that does not is no outcome of a tab (nor of reachability).
	const failed = bounded(window?.failures, 1e6);
	const calls = bounded(window?.calls, 1e6);
	const current = received.state === 'closed' && circuit.record.state === 'closed' && Number(window?.at) >= Math.max(circuits.cleared, circuit.record.at - clearLeadMs);
	// Its window only from this tab's closed state (a newer one is taken first, `receive`), not one from before this tab's
	// `clear()` (a scope met since starts closed as of 0): one counted in an older state holds the calls a `reset()` or a
	// `clear()` here ended, and the told outcome counts without them.
	const same = current && received.at === circuit.record.at && received.at >= circuits.cleared;
	// This tab's closed state just gave way to that tab's newer one (a clear, a closing this tab had not taken): its failures
	// in a row (`kept`, counted in the older state, which that tab counted too) go on, at most as many as that tab counted
	// before the outcome it tells (none for a reset's or a clear's record): a message raises no tab's count above its own.
	if (circuit.record === received && received.state === 'closed') {
		circuit.consecutive = Math.min(kept, Math.max(0, bounded(failures, 1e6) - Number(outcome === 1)));
	}

	if (outcome === 0 ? failures === undefined && calls > failed : outcome === 1 && bounded(failures, 1) && failed && failed <= calls) {
		if (!unanswered) {
			// With that answer's status (an HTTP status, else none): a good one after this tab's failures or a copy that
			// answered here is `scope:back` here too, once (`Reach.answered`), so `refetchWhenBack` refetches now.
			const code = bounded(status, 599);
			circuits.context.reached?.(received.scope, code >= 200 ? code : undefined);
		}

		if (current) {
			// The window that tab counted before this outcome, when it holds more calls than this one's: the calls this tab did
			// not hear (made before it started, or met the scope) count here too, so its ratio is the tabs' (`takeWindow`).
			if (same) {
				takeWindow(circuits, circuit, { calls: calls - 1, failures: failed - outcome!, at: window!.at });
			}

			circuits.count(circuit, circuit.record, circuits.clock.now(), outcome === 1, 0, undefined, unanswered === true);
			// This tab's window holds more calls than that tab's (which did not hear those this one counted before it started):
			// told back, at most once a second per scope (`Circuit.answered`), so that tab's ratio is the tabs' too.
			const now = circuits.clock.now();
			if (circuit.record.state === 'closed' && circuit.window.sums(now)[0] > calls && !(Math.abs(now - circuit.answered!) < askMs)) {
				circuit.answered = now;
				circuits.channel!.post(counted(circuits, circuit));
			}
		}
	} else if (outcome === undefined && same) {
		// Another tab's window told back to this tab's outcome: taken when it holds more calls, as an outcome's is.
		takeWindow(circuits, circuit, window);
	}
};

/**
 * The half-open probe's Web Lock across tabs (`Circuits.probeLock`, which probe.ts's `claim` takes for
 * the probe admitted at `started`): the first free one of the scope's `halfOpenProbes` locks, then the
 * stored state read again under it (another tab's probe may just have settled). Resolves with what
 * gives the lock back, or `undefined`: other tabs hold every slot. A lock manager that fails lets the
 * probe go without one. A probe still unsettled at its limit (a caller's request with `timeout` and
 * `totalTimeout` false) counts as failed then (`probe-timeout`, as `expire` tells it) and gives the lock
 * back: while it hangs, no tab could probe the scope again. The client's `close()` gives it back too and stops that
 * timer (no count, no write from it after the close).
 */
const lockProbe = async (circuits: Circuits, locks: LockManagerLike, circuit: Circuit, started: number): Promise<(() => void) | undefined> => {
	const { record } = circuit;
	let release: (() => void) | undefined;
	// Slot by slot, on purpose: the first free one wins.
	for (let slot = 0; !release && slot < circuits.settings.halfOpenProbes; slot++) {
		release = await tryLock(locks, `steadfetch:${circuits.context.name}:breaker:${record.scope}:${slot}`);
	}

	if (!release) {
		return undefined;
	}

	// Given back at the latest by the client's `close()` (`Circuits.wake`): its timer stops, and no write follows it.
	const give = (): void => {
		clearTimeout(timer);
		circuits.wake.delete(give);
		release();
	};
	const timer = setTimeout(() => {
		// Past its limit by the clock too: re-opened as where no tab shares it (`probe-timeout`), else counted failed.
		circuits.snapshot(circuit, circuits.clock.now());
		tally(circuits, circuit, record, started, true);
		give();
	}, circuit.probeMs || circuits.settings.probeTimeoutMs);
	circuits.wake.add(give);
	if (circuits.store) {
		await load(circuits, circuit, 'shared');
	}

	return give;
};

/**
 * `Circuits.behind`: the calls of a page wait for its early probe whichever of its clients made them. The probe of
 * `circuit`'s scope another breaker over the same `stores` (`peers`) has in flight, let through early (`reloaded`),
 * is waited for (at most the probe timeout); then the state it left is taken (`receive`), before its message comes. Also
 * a probe of a scope that breaker knows only from the other tabs and forgot (`known`): a recovery trigger probes those too.
 */
const behind: NonNullable<Circuits['behind']> = (circuits, circuit, signal) => {
	const twin = [...circuits.peers].map((ref) => ref.deref()).map((peer) => peer && known(peer, circuit.record.scope)).find((peer) => peer?.probes.length && peer.reloaded === peer.record);
	return twin && untilClosed(pause(circuits.paused, circuits.settings.probeTimeoutMs, signal, twin.probing), circuits.wake).then(() => receive(circuits, twin.record));
};

/**
 * A recovery trigger for one scope (`recover`, `start`): open because of attempts that got no HTTP answer, it turns
 * half-open at once; with `breaker.probe`, its probe goes now, also for one whose open period is already over
 * (half-open, no probe of this context in flight: marked `early` as a reload marks it, `load`). This context's calls
 * made while that early probe is in flight wait for it (`reloaded`, breaker.ts), as a reloaded page's do. `tell`: the
 * contexts of the name without a page (a service worker, a web worker: no `visibilitychange`) are told first, and
 * recover the scope too (`start`): the page's probe through its service worker is not refused by the worker's breaker.
 */
const recoverScope = (circuits: Circuits, circuit: Circuit, now: number, reason: string, tell?: boolean): void => {
	const { record } = circuit;
	const over = record.unanswered && now >= record.reopensAt;
	if (over && !circuit.probes.length) {
		record.early = record.reopensAt; // this context's only (`readRecord` leaves it out): the record stays the same
	}

	if (circuits.recover(circuit, now, reason) || over) {
		if (tell) {
			circuits.channel?.post({ recover: record.scope });
		}

		circuit.reloaded = circuit.record;
		poke(circuits, circuit, now);
	}
};

/**
 * A recovery trigger (`online`, the page visible again): every breaker open because of attempts that got no HTTP
 * answer turns half-open at once (`recoverScope`). Also one this tab knows only from the other tabs and forgot
 * (`Circuits.forgot`, at most `maxScopes`): it told its `breaker:open`, and the tab that opened it may be gone.
 */
const recover = (circuits: Circuits, reason: string): void => {
	const now = circuits.clock.now();
	for (const [, circuit] of [...circuits.scopes.entries(), ...circuits.forgot]) {
		recoverScope(circuits, circuit, now, reason, true);
	}
};

/**
 * A page restored from the back/forward cache (`pageshow`, `persisted`): its channel got none of the other tabs' messages
 * while it was there (another tab's reset or probe that closed a scope, an opening), so each scope it has read reads its
 * stored state again and takes it if newer (`load`, as under the probe's lock); one it knows only from the other tabs'
 * messages (never read: also one it forgot, `Circuits.forgot`) is read now as its first call would read it (`restore` does: `load`, `restored`),
 * not kept as told before (shown, and told a tab that asks, until that call). A scope the store holds nothing of
 * (another tab's `clear()` deleted it) whose state is still the open one (or the failures in a row) from before, which
 * was stored then, is closed as the tabs that heard the clear closed it (a kill switch stays: a clear deletes none).
 */
const restored = (circuits: Circuits): void => {
	for (const [, circuit] of [...circuits.scopes.entries(), ...circuits.forgot]) {
		const { record } = circuit;
		void load(circuits, circuit, circuit.read ? 'shared' : 'restored').then((none) => {
			// The same state (turned half-open by the `visibilitychange` that follows a restore too: dated as it was).
			if (none && circuit.record.at === record.at && !record.isolated && (record.state === 'open' || circuit.consecutive > 0)) {
				circuits.adopt(circuit, { ...closed(record.scope, record.at + 1), cleared: true }, 'shared');
			}
		});
	}
};

/**
 * `start()`: the channel to the other tabs (where there are any, or with `share: true`), the counts
 * told on it (`shareCount`) and their Web Locks (the half-open probe's, `lockProbe`), and the
 * recovery triggers (a page's start too: `Circuits.restores`); with a store, a page's return from the back/forward cache (`restored`).
 */
export const start = (circuits: Circuits): void => {
	const { context } = circuits;
	// A page's first client of this name and store starts (a reload); a client `extend()` made shares its
	// `stores` (those of one name and store only: no need to name it), and with them the scopes read since.
	const started = (context.stores.get('breaker:started') ?? (typeof document !== 'undefined' && new Set<string>())) as Set<string> | false;
	context.stores.set('breaker:started', started);
	circuits.restores = started;
	const paged = typeof document !== 'undefined';
	if (circuits.options.share === true || (circuits.store && hasTabs())) {
		// A malformed message (any script of the origin can post one) is ignored and reported, once
		// per message, without its content (it may be large); a newer build's word (another version, no
		// record nor question) is ignored quietly.
		circuits.channel = openChannel(`steadfetch:${context.name}:breaker`, (data) => {
			// A tab whose read of the scope's stored state failed asks for it: a tab that knows it open (or isolated) tells it,
			// also one it knows only from the other tabs and forgot (`Circuits.forgot`): the tab that opened it may be gone.
			// At most once a second per scope (`Circuit.answered`): a flood of asks (any script of the origin can post them)
			// has every tab answer no more often.
			const { ask, recover: back, scope } = Object(data) as { ask?: unknown; recover?: unknown; scope?: unknown };
			// A page's recovery trigger (`recoverScope`), taken where there is no page (a service worker gets no `online` nor
			// `visibilitychange`): for a scope this context holds, at most once a second (`Circuit.recovered`: a flood of them,
			// which any script of the origin can post, lets no more probes through). A page has triggers of its own.
			if (typeof back === 'string') {
				const circuit = !paged && known(circuits, back);
				const now = circuits.clock.now();
				if (circuit && !(Math.abs(now - circuit.recovered!) < askMs)) {
					circuit.recovered = now;
					recoverScope(circuits, circuit, now, 'shared');
				}

				return;
			}

			if (typeof ask === 'string') {
				const circuit = known(circuits, ask);
				const now = circuits.clock.now();
				if (circuit && circuit.record.state !== 'closed' && !(Math.abs(now - circuit.answered!) < askMs)) {
					circuit.answered = now;
					circuits.channel!.post(circuit.record);
				}

				return;
			}

			// The failures in a row of the closed state this tab is in, before a newer one is taken from the message (`hear`).
			const was = typeof scope === 'string' ? known(circuits, scope) : undefined;
			const kept = was?.record.state === 'closed' ? was.consecutive : 0;
			const record = receive(circuits, data);
			if (record) {
				const circuit = circuits.scopes.scope(record.scope);
				if (circuit.asked !== undefined) {
					// The first record told since this reload's read failed, promptly (`Circuit.asked`): read as the stored one (`load`).
					if (circuits.clock.now() - circuit.asked <= storageMs(context)) {
						reloaded(circuits, circuit, record);
					}

					circuit.asked = undefined;
				}

				// Opened (or re-opened by its probe) on an HTTP answer there: reachable here too, as a closing tells it (circuits.ts).
				if (circuit.record === record && record.state === 'open' && !record.unanswered && !record.isolated) {
					context.reached?.(record.scope);
				}

				hear(circuits, circuit, record, data, kept);
			} else if (!isNewer(data, ({ v, scope, ask }) => ask !== undefined || ((v === 1 || v === 2) && scope !== undefined))) {
				storageError(context, 'breaker', 'channel', new TypeError('Ignored a malformed breaker record from another tab'));
			}
		});
		const locks = webLocks();
		// Not in a service worker: a page's probe it runs holds the page's lock (the worker's breaker would refuse it for good);
		// the worker's own probe slots (`halfOpenProbes`) bound the probes of every page whose requests it runs.
		circuits.probeLock = locks && !serviceWorker() ? (circuit, started) => lockProbe(circuits, locks, circuit, started) : undefined;
		circuits.shareCount = shareCount;
		circuits.ask = ask;
	}

	circuits.behind = behind;

	circuits.unlisten = listenBack(() => recover(circuits, 'online'), () => recover(circuits, 'visible'));
	if (circuits.channel && circuits.store) {
		circuits.unlisten.push(listen(globalThis, 'pageshow', (event) => (event as PageTransitionEvent).persisted && restored(circuits)));
	}
};

/** `close()`: no probe starts, the channel and the triggers go, a pending `waitForHealthy` wakes. */
export const close = (circuits: Circuits): void => {
	closeCircuits(circuits);
	for (const off of circuits.unlisten.splice(0)) {
		off();
	}

	circuits.channel?.close();
	circuits.channel = undefined;
};
