/**
 * What this tab has seen: the outcome of its calls, the stale cache entries it stored and served,
 * and the event log (newest first, capped). Views subscribe with `onModelChange`.
 */

export interface Calls {
	readsFresh: number;
	readsStale: number;
	readsFailed: number;
	/** Writes the server acknowledged: at once, or when the outbox replayed them (in any tab). */
	writesSent: number;
	/** Writes waiting in the outbox now (they will be replayed). */
	writesQueued: number;
	/** Writes that failed with an error the user must handle, or that the outbox gave up on (dead letters). */
	writesFailed: number;
}

export interface CacheEntry {
	url: string;
	storedAt: number;
	bytes: number;
	hits: number;
	lastReason?: string;
}

export type Tone = 'good' | 'bad' | 'warn' | 'info' | 'muted';

export interface LogLine {
	id: number;
	time: number;
	/** An event type (`breaker:open`…) or `call`. */
	kind: string;
	text: string;
	tone: Tone;
}

export const logCap = 150;

export const model = {
	calls: { readsFresh: 0, readsStale: 0, readsFailed: 0, writesSent: 0, writesQueued: 0, writesFailed: 0 } satisfies Calls as Calls,
	cache: new Map<string, CacheEntry>(),
	log: [] as LogLine[],
	/** Events seen since the page loaded (the log keeps only the newest `logCap`). */
	events: 0,
};

let nextId = 0;
const listeners = new Set<() => void>();
let scheduled = false;

/** Tell the views (once per task at most; not per animation frame, which a background tab does not get). */
export const changed = (): void => {
	if (scheduled) {
		return;
	}

	scheduled = true;
	setTimeout(() => {
		scheduled = false;
		for (const listener of listeners) {
			listener();
		}
	}, 0);
};

export const onModelChange = (listener: () => void): void => {
	listeners.add(listener);
};

export const log = (kind: string, text: string, tone: Tone, time = Date.now()): void => {
	if (kind !== 'call') {
		model.events++;
	}

	model.log.unshift({ id: nextId++, time, kind, text, tone });
	model.log.length = Math.min(model.log.length, logCap);
	changed();
};

export const resetModel = (): void => {
	Object.assign(model.calls, { readsFresh: 0, readsStale: 0, readsFailed: 0, writesSent: 0, writesQueued: 0, writesFailed: 0 });
	model.cache.clear();
	model.log.length = 0;
	model.events = 0;
	changed();
};
