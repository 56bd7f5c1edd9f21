/** Helpers for the breaker's exact-time unit tests: a scripted transport and a client on a ManualClock. */
import { afterEach, beforeEach } from 'vitest';
import { createClient, memoryStore, type ClientOptions, type EventMap, type EventType, type KeyValueStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { fakeWindow, type FakeWindow } from './outbox-helpers.js';

export const origin = 'https://api.test';

type Answer = Response | Error | 'hang';
type Script = (request: Request) => Answer;

interface Pending {
	request: Request;
	resolve(response: Response): void;
	reject(error: unknown): void;
}

/**
 * A transport whose answers the test scripts: a Response, an Error to throw, or `'hang'` (the
 * request stays pending until `settle()` or, unless `ignoreAbort`, its signal aborts).
 */
export class FakeOrigin {
	readonly requests: Request[] = [];
	readonly pending: Pending[] = [];
	script: Script = () => new Response('{}', { status: 200 });
	ignoreAbort = false;

	readonly fetch = async (request: Request): Promise<Response> => {
		this.requests.push(request);
		const answer = this.script(request);
		if (answer === 'hang') {
			return new Promise<Response>((resolve, reject) => {
				this.pending.push({ request, resolve, reject });
				if (!this.ignoreAbort) {
					request.signal.addEventListener('abort', () => reject(request.signal.reason));
				}
			});
		}

		if (answer instanceof Error) {
			throw answer;
		}

		return answer;
	};

	answer(status: number, headers: Record<string, string> = {}): void {
		this.script = () => new Response('{}', { status, headers });
	}

	down(): void {
		this.script = () => new TypeError('Failed to fetch');
	}

	hang(): void {
		this.script = () => 'hang';
	}

	up(): void {
		this.answer(200);
	}

	/** Settle every hanging request. */
	settleAll(answer: Response | Error): void {
		for (const { resolve, reject } of this.pending.splice(0)) {
			if (answer instanceof Error) {
				reject(answer);
			} else {
				resolve(answer.clone());
			}
		}
	}
}

let names = 0;

/** A client over a FakeOrigin and a ManualClock: no retries, no stale cache, no sharing unless asked. */
export const setup = (options: ClientOptions = {}) => {
	const clock = new ManualClock();
	const server = new FakeOrigin();
	const events: { type: string; reason?: string; reopensAt?: number; time: number; scope: string; operation?: string }[] = [];
	const api = createClient({
		clock,
		random: () => 0.5, // open periods without jitter (±20 % around 0.5): exact times
		fetch: server.fetch as typeof fetch,
		store: memoryStore,
		retry: 0,
		staleCache: false,
		name: `unit-${names++}`,
		...options,
		breaker: options.breaker === false ? false : { share: false, openMs: 30_000, ...options.breaker as object },
	});
	for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed', 'storage:error'] as EventType[]) {
		api.on(type, (event: EventMap[EventType]) => events.push(event as never));
	}

	/** Make a call; resolves with the status, or the error's name/code. */
	const call = async (path = '/x', callOptions: Parameters<typeof api.get>[1] = {}): Promise<string> => {
		try {
			const response = await api.get(origin + path, { throwHttpErrors: false, ...callOptions });
			return String(response.status);
		} catch (error) {
			const { code } = error as { code?: unknown };
			return typeof code === 'string' ? code : (error as Error).name;
		}
	};

	const state = () => api.breaker(origin).state;
	return { api, clock, server, events, call, state, snapshot: () => api.breaker(origin) };
};

/** Run `n` calls one after the other. */
export const times = async (n: number, run: () => Promise<string>): Promise<string[]> => {
	const results: string[] = [];
	for (let index = 0; index < n; index++) {
		results.push(await run());
	}

	return results;
};

/** Let queued microtasks and I/O callbacks run. */
export const flush = async (): Promise<void> => new Promise((resolve) => {
	setTimeout(resolve, 0);
});

/**
 * A fake window (a page) for each test of the file, handed to `use` if given; the list returned takes the
 * clients a test makes: after the test, each is closed, then the window restored.
 */
export const windowEachTest = (use?: (win: FakeWindow) => void): Array<{ close(): void }> => {
	const clients: Array<{ close(): void }> = [];
	let win: FakeWindow;
	beforeEach(() => {
		win = fakeWindow();
		use?.(win);
	});
	afterEach(() => {
		for (const client of clients.splice(0)) {
			client.close();
		}

		win.restore();
	});
	return clients;
};

/**
 * Tabs (or a page and its reloads) of one name and store, on one clock (at 1_700_000_000_000):
 * `pages(store?)` gives a name; its `open()` makes a client of it, kept in `clients` (closed after each
 * test), its breaker shared, its origin answering 503; `events` lists the breaker events it heard.
 */
export const tabPages = (clients: Array<{ close(): void }>, prefix: string) => {
	let names = 0;
	return (store: KeyValueStore = memoryStore(prefix)) => {
		const clock = new ManualClock(1_700_000_000_000);
		const name = `${prefix}-${names++}`;
		const open = (breakerOptions: object = {}, clientOptions: object = {}) => {
			const server = new FakeOrigin();
			server.answer(503);
			const events: string[] = [];
			const api = createClient({ clock, random: () => 0.5, name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, ...breakerOptions }, ...clientOptions });
			clients.push(api);
			for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed', 'storage:error'] as const) {
				api.on(type, (event) => events.push(`${type} ${'reason' in event ? event.reason : event.operation}`));
			}

			const call = async (url = `${origin}/x`): Promise<string> => api.get(url).then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));
			return { api, server, events, call, snapshot: () => api.breaker(origin) };
		};

		return { clock, store, open };
	};
};
