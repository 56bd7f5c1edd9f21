/**
 * Defect hunt, seventeenth round (recovery and the breaker), in real Chromium (IndexedDB, BroadcastChannel): a tab
 * whose read of the breaker's stored state fails takes the open state the other tabs know (API.md: the breaker's
 * state is "shared by the tabs of one name"; `isolate` is "shared across tabs"). Two clients of one name in the
 * page are two tabs (one BroadcastChannel each, one IndexedDB).
 */
import { describe, expect, it } from 'vitest';
import { createClient, indexedDbStore, type KeyValueStore } from '../../src/entries/index.js';
import { until } from '../helpers/wait-for.js';

const origin = 'https://api.test';

const outcome = async (promise: Promise<Response>): Promise<string> => promise.then((response) => String(response.status), (error: { code?: string; name: string }) => error.code ?? error.name);

/** `inner`, but every `get` fails (an IndexedDB blocked by another tab's upgrade). */
const failingReads = (inner: KeyValueStore): KeyValueStore => ({
	get: async () => {
		throw new DOMException('blocked', 'InvalidStateError');
	},
	set: async (key, value) => inner.set(key, value),
	delete: async (key) => inner.delete(key),
	keys: async () => inner.keys(),
	clear: async () => inner.clear(),
});

describe('breaker: a tab whose read of the stored state fails takes the state the other tabs know (Chromium)', () => {
	for (const how of ['opened by 503s', 'isolated by hand'] as const) {
		it(`${how} in another tab: the new tab's calls fail fast once the tabs answered`, async () => {
			const name = `h17-ask-${Math.random().toString(36).slice(2)}`;
			const store = indexedDbStore(name);
			const options = { name, retry: 0, staleCache: false, breaker: { openMs: 30_000 } } as const;
			const other = createClient({ ...options, store: () => store, fetch: (async () => new Response('{}', { status: 503 })) as typeof fetch });
			let sent = 0;
			let tab: ReturnType<typeof createClient> | undefined;
			try {
				if (how === 'opened by 503s') {
					for (let i = 0; i < 5; i++) {
						await outcome(other.get(`${origin}/x`));
					}
				} else {
					await other.breaker.isolate(origin);
				}

				expect(other.breaker(origin).state).toBe('open');
				// Opened once the state was stored and told: a reload of another tab, whose store read fails.
				await until(async () => (await store.get<{ state?: string }>(origin))?.state === 'open');
				const made = createClient({ ...options, store: () => failingReads(store), fetch: (async () => {
					sent++;
					return Response.json({ ok: true });
				}) as typeof fetch });
				tab = made;
				await outcome(made.get(`${origin}/x`)); // its read fails: it asks the tabs
				await until(() => made.breaker(origin).state === 'open'); // before: closed, and its calls went out
				const before = sent;
				expect(await outcome(made.get(`${origin}/x`))).toBe('CIRCUIT_OPEN');
				expect(sent).toBe(before);
			} finally {
				other.close();
				tab?.close();
			}
		});
	}
});
