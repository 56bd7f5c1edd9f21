/**
 * The simulated world: the network of this browser and the state of the fake API origins.
 *
 * It lives in localStorage so that every tab of the playground sees the same "server" (the same
 * applied writes, the same outage) and the same network: a change made in one tab reaches the
 * others through the `storage` event, like a real server and a real network would.
 */

/** Fault settings of the API origin. */
export interface Faults {
	/** Connections fail (a network error), as if the origin were down. */
	down: boolean;
	/** Requests are taken and never answered (a captive portal, one bar of signal, an origin stuck under load). */
	hang: boolean;
	/** Share of requests answered 503, 0–100. */
	errorRate: number;
	/** Added to every answer, ms. */
	latencyMs: number;
	/** Answer 429 Too Many Requests with `Retry-After: retryAfterS`. */
	rateLimit: boolean;
	retryAfterS: number;
	/** Answer writes 422 (the server refuses them: replays become dead letters). */
	rejectWrites: boolean;
}

/** What the server did, counted by the server. */
export interface ServerCounters {
	/** Requests that reached a server (both origins). */
	requests: number;
	/** Writes applied (a new Idempotency-Key). */
	applied: number;
	/** Writes whose Idempotency-Key was already applied: answered again, not applied twice. */
	duplicates: number;
}

/** A note two devices edit (`/notes/1`): its version (the ETag is `"v<version>"`), text, and the 412s answered. */
export interface Note {
	version: number;
	text: string;
	conflicts: number;
}

export interface SimState {
	online: boolean;
	faults: Faults;
	counters: ServerCounters;
	/** Idempotency-Key → id of the item the write created. */
	applied: Record<string, number>;
	note: Note;
	/** What the client's `onConflict` does with a queued edit that meets a newer note: a dead letter, or a rebase on it. */
	resolver: 'dead' | 'rebase';
}

const key = 'steadfetch-playground:sim';

export const defaultFaults = (): Faults => ({ down: false, hang: false, errorRate: 0, latencyMs: 0, rateLimit: false, retryAfterS: 5, rejectWrites: false });

const initial = (): SimState => ({
	online: true,
	faults: defaultFaults(),
	counters: { requests: 0, applied: 0, duplicates: 0 },
	applied: {},
	note: { version: 1, text: 'Buy milk', conflicts: 0 },
	resolver: 'dead',
});

export const readSim = (): SimState => {
	try {
		const raw = localStorage.getItem(key);
		if (raw) {
			const parsed = JSON.parse(raw) as Partial<SimState>;
			const fresh = initial();
			return {
				online: parsed.online ?? true,
				faults: { ...fresh.faults, ...parsed.faults },
				counters: { ...fresh.counters, ...parsed.counters },
				applied: parsed.applied ?? {},
				note: { ...fresh.note, ...parsed.note },
				resolver: parsed.resolver === 'rebase' ? 'rebase' : 'dead',
			};
		}
	} catch {
		// A corrupt record: start over.
	}

	return initial();
};

const listeners = new Set<(state: SimState) => void>();

/** Change the simulated world (read-modify-write of the shared record) and tell this tab's views. */
export const updateSim = (change: (state: SimState) => void): SimState => {
	const state = readSim();
	change(state);
	localStorage.setItem(key, JSON.stringify(state));
	for (const listener of listeners) {
		listener(state);
	}

	return state;
};

export const resetSim = (): SimState => updateSim((state) => Object.assign(state, initial()));

/** Called with the new state on every change, from this tab or another one. */
export const onSimChange = (listener: (state: SimState) => void): (() => void) => {
	listeners.add(listener);
	return () => listeners.delete(listener);
};

addEventListener('storage', (event) => {
	if (event.key === key || event.key === null) {
		const state = readSim();
		for (const listener of listeners) {
			listener(state);
		}
	}
});
