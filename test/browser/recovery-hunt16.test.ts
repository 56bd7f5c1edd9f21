/**
 * Defect hunt, sixteenth round (recovery and the breaker), in real Chromium (IndexedDB, Web Locks, BroadcastChannel):
 * a client `extend()` made shares its page's early probe (API.md "Recovery without waiting").
 */
import { describe, expect, it } from 'vitest';
import { createClient, indexedDbStore } from '../../src/entries/index.js';
import { until } from '../helpers/wait-for.js';

const origin = 'https://api.test';

/** A transport whose answers the test switches: down (a network failure), hanging (until `release`), or up. */
const transport = () => {
	let mode: 'down' | 'hang' | 'up' = 'down';
	const pending: Array<() => void> = [];
	let sent = 0;
	const fetch = async (): Promise<Response> => {
		sent++;
		if (mode === 'down') {
			throw new TypeError('Failed to fetch');
		}

		if (mode === 'hang') {
			await new Promise<void>((resolve) => {
				pending.push(resolve);
			});
		}

		return Response.json({ ok: true });
	};

	return {
		fetch,
		set: (next: typeof mode) => {
			mode = next;
		},
		release: () => {
			for (const resolve of pending.splice(0)) {
				resolve();
			}
		},
		pending,
		get sent() {
			return sent;
		},
	};
};

const outcome = async (promise: Promise<Response>): Promise<string> => promise.then((response) => String(response.status), (error: { code?: string; name: string }) => error.code ?? error.name);

describe('breaker: a client extend() made waits for the early probe `online` let through in its page (Chromium)', () => {
	for (const probe of [undefined, '/health']) {
		it(`${probe ? 'with breaker.probe' : 'the first call is the probe'}: the calls of the parent and of the child get fresh data`, async () => {
			const name = `h16-extend-${Math.random().toString(36).slice(2)}`;
			const origin_ = transport();
			const store = indexedDbStore(name);
			const api = createClient({ name, store: () => store, fetch: origin_.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { openMs: 30_000, ...(probe && { probe }) } });
			const child = api.extend({ headers: { 'x-child': '1' } });
			try {
				for (let i = 0; i < 5; i++) {
					await outcome(api.get(`${origin}/x`));
				}

				await until(() => child.breaker(origin).state === 'open');
				origin_.set('hang');
				const before = origin_.sent;
				globalThis.dispatchEvent(new Event('online'));
				const calls = [outcome(child.get(`${origin}/x`)), outcome(api.get(`${origin}/x`))];
				await until(() => origin_.pending.length === 1); // the probe (one)
				await new Promise((resolve) => setTimeout(resolve, 50));
				origin_.set('up');
				origin_.release();
				expect(await Promise.all(calls)).toEqual(['200', '200']); // before: one of them CIRCUIT_OPEN
				expect(origin_.sent - before).toBeLessThanOrEqual(3);
			} finally {
				api.close();
				child.close();
			}
		});
	}
});
