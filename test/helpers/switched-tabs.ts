/**
 * Tabs of a client name in a Chromium page: clients of one name over one IndexedDB store are tabs (they share the breaker
 * through the store and the name's channel), each over a transport the test switches. The recovery tests' set-up.
 */
import { createClient, indexedDbStore, type BreakerOptions, type Client, type ClientOptions } from '../../src/entries/index.js';
import { until } from './wait-for.js';

/** How a switched transport answers: a network failure, a 503, not until `release`, or 200. */
export type Answering = 'down' | '503' | 'hang' | 'up';

/** A transport whose answers the test switches (`set`, down at first); hanging requests answer at `release`; counts what it was sent. */
export const switchedTransport = () => {
	let mode: Answering = 'down';
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
			const status = await new Promise<number>((resolve) => {
				pending.push(resolve);
			});
			return new Response('{}', { status });
		}

		return Response.json({ ok: true });
	};

	return {
		fetch: fetch as typeof globalThis.fetch,
		set: (next: Answering) => {
			mode = next;
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

/**
 * A name of its own (`tabs-<what>-…`) over one IndexedDB store, the options of its tabs (no retry, no stale cache,
 * `breaker`, then `extra`) and two switched transports. `open(net)` opens one more tab over `net` (`netA` unless given);
 * `close()` closes every tab opened, then answers what still hangs (200).
 */
export const tabsOf = (what: string, breaker: BreakerOptions, extra: Partial<ClientOptions> = {}) => {
	const name = `tabs-${what}-${Math.random().toString(36).slice(2)}`;
	const store = indexedDbStore(name);
	const options = { name, store: () => store, retry: 0, staleCache: false, breaker, ...extra } satisfies ClientOptions;
	const netA = switchedTransport();
	const netB = switchedTransport();
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

	return { name, store, netA, netB, open, close };
};

/** `tabsOf` with two tabs open: `a` over `netA`, `b` over `netB` (over `netA` too when `shared`: one network for both). */
export const twoTabs = (what: string, breaker: BreakerOptions, { shared = false, ...extra }: Partial<ClientOptions> & { shared?: boolean } = {}) => {
	const tabs = tabsOf(what, breaker, extra);
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
