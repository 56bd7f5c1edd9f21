/**
 * Tabs of a client name in a Chromium page: clients of one name over one IndexedDB store are tabs (they share the breaker
 * through the store and the name's channel), each over a transport the test switches. The recovery tests' set-up.
 */
import { createClient, indexedDbStore, type BreakerOptions, type Client, type ClientOptions } from '../../src/entries/index.js';
import { expect } from 'vitest';
import { until } from './wait-for.js';

/** How a switched transport answers: a network failure, a 503, not until `release`, or 200. */
export type Answering = 'down' | '503' | 'hang' | 'up';

/** How a switched transport starts and what its 200s carry: `initial` mode (down unless given), a `Cache-Control` header when given. */
export interface SwitchedOptions {
	readonly initial?: Answering;
	readonly cacheControl?: string;
}

/** Up at first, its answers `Cache-Control: max-age=0` (a copy kept, stale at once): the scope:back tests' transport. */
export const upFirst: SwitchedOptions = { initial: 'up', cacheControl: 'max-age=0' };

/**
 * A transport whose answers the test switches (`set`, down at first unless `initial`); up, it answers `{"ok":true}` as
 * JSON with the status `set` gave (200 unless given; 204 without a body); hanging requests answer at `release`; counts
 * what it was sent.
 */
export const switchedTransport = ({ initial = 'down', cacheControl }: SwitchedOptions = {}) => {
	let mode: Answering = initial;
	let status = 200;
	const pending: Array<(status: number) => void> = [];
	let sent = 0;
	const fetch = async (): Promise<Response> => {
		sent++;
		if (mode === 'down') {
			throw new TypeError('Failed to fetch');
		}

		if (mode === '503') {
			return new Response('{}', { status: 503 });
		}

		if (mode === 'hang') {
			const released = await new Promise<number>((resolve) => {
				pending.push(resolve);
			});
			return new Response('{}', { status: released });
		}

		const headers: Record<string, string> = { 'content-type': 'application/json' };
		if (cacheControl) {
			headers['cache-control'] = cacheControl;
		}

		return new Response(status === 204 ? null : '{"ok":true}', { status, headers });
	};

	return {
		fetch: fetch as typeof globalThis.fetch,
		/** Answer as `next` from now on; up, with `answer`. */
		set: (next: Answering, answer = 200) => {
			mode = next;
			status = answer;
		},
		/** Answer every hanging request with `status`. */
		release: (status = 200) => {
			for (const resolve of pending.splice(0)) {
				resolve(status);
			}
		},
		pending,
		get sent() {
			return sent;
		},
	};
};

export type SwitchedTransport = ReturnType<typeof switchedTransport>;

/** What a call ends in: its status, or its error's code (its name when it has none). */
export const outcome = async (promise: Promise<Response>): Promise<string> => promise.then((response) => String(response.status), (error: { code?: string; name: string }) => error.code ?? error.name);

/** What a client tells of `scope:back`, in order: `<scope> <status>` each. */
export const backsOf = (client: Client): string[] => {
	const seen: string[] = [];
	client.on('scope:back', (event) => seen.push(`${event.scope} ${event.status}`));
	return seen;
};

/**
 * A name of its own (`tabs-<what>-…`) over one IndexedDB store, the options of its tabs (no retry, no stale cache,
 * `breaker`, then `extra`) and two switched transports (made with `transport`). `open(net)` opens one more tab over `net`
 * (`netA` unless given); `close()` closes every tab opened, then answers what still hangs (200).
 */
export const tabsOf = (what: string, breaker: BreakerOptions | false, extra: Partial<ClientOptions> = {}, transport: SwitchedOptions = {}) => {
	const name = `tabs-${what}-${Math.random().toString(36).slice(2)}`;
	const store = indexedDbStore(name);
	const options = { name, store: () => store, retry: 0, staleCache: false, breaker, ...extra } satisfies ClientOptions;
	const netA = switchedTransport(transport);
	const netB = switchedTransport(transport);
	const opened: Client[] = [];
	const open = (net: SwitchedTransport = netA): Client => {
		const tab = createClient({ ...options, fetch: net.fetch });
		opened.push(tab);
		return tab;
	};

	const close = (): void => {
		for (const tab of opened) {
			tab.close();
		}

		netA.release();
		netB.release();
	};

	return { name, store, options, netA, netB, open, close };
};

/**
 * `tabsOf` with two tabs open: `a` over `netA`, `b` over `netB` (over `netA` too when `shared`: one network for both);
 * `transport` makes the two transports.
 */
export const twoTabs = (what: string, breaker: BreakerOptions | false, { shared = false, transport, ...extra }: Partial<ClientOptions> & { shared?: boolean; transport?: SwitchedOptions } = {}) => {
	const tabs = tabsOf(what, breaker, extra, transport);
	return { ...tabs, a: tabs.open(tabs.netA), b: tabs.open(shared ? tabs.netA : tabs.netB) };
};

/**
 * Call `call` until one is still unanswered 50 ms on (its request hangs: the probe in flight), then hand back how it
 * ends, to await later (in an object: a promise returned from an async function would be awaited).
 */
export const hangingCall = async (call: () => Promise<Response>): Promise<{ late: Promise<string> }> => {
	let late: Promise<string> | undefined;
	await until(async () => {
		const ends = outcome(call());
		const first = await Promise.race([ends, new Promise<string>((resolve) => setTimeout(() => resolve('pending'), 50))]);
		if (first === 'pending') {
			late = ends;
		}

		return first === 'pending';
	});
	return { late: late! };
};

/**
 * Tab B keeps a copy of `<origin>/todos` (its read answered 200, the copy stored), then tab A's network fails twice: the
 * breaker (open at two failures in a row) is open in B too, on A's attempts.
 */
export const copyThenOpenedByA = async ({ a, b, netA }: { a: Client; b: Client; netA: SwitchedTransport }, origin: string): Promise<void> => {
	let stored = 0;
	b.on('cache:stored', () => stored++);
	expect(await outcome(b.get(`${origin}/todos`))).toBe('200');
	await until(() => stored === 1);
	netA.set('down');
	await outcome(a.get(`${origin}/x`));
	await outcome(a.get(`${origin}/x`));
	await until(() => b.breaker(origin).state === 'open', 10_000, 'open in B');
};
