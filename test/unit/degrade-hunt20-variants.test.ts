/**
 * Defect hunt, twentieth round (runs everywhere: feature detection and its fallbacks): a global that
 * is there but throws when read, or an event target with half its methods, degrades as a missing one
 * does; each test fails before its fix.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { autoStore, createClient } from '../../src/entries/index.js';

afterEach(() => {
	vi.unstubAllGlobals();
});

/** What a call ends with, as one string: the status and body, or the error's name and message. */
const outcome = async (promise: Promise<Response>): Promise<string> =>
	promise.then(async (response) => `${response.status} ${await response.text()}`, (error: unknown) => `${(error as Error).name} ${(error as Error).message}`);

/** A client of the default preset whose origin answers `{"a":1}`, with what it reports as storage:error. */
const client = (name: string) => {
	const errors: string[] = [];
	const api = createClient({ name, retry: 0, fetch: async () => Response.json({ a: 1 }) });
	api.on('storage:error', ({ part, operation, error }) => errors.push(`${part} ${operation}: ${(error as Error).message}`));
	return { api, errors };
};

/** Run `body` while the global `name` is a getter that throws `error` (as a browser's refusal does), then give the global back. */
const throwing = async (name: string, error: () => unknown, body: () => Promise<void>): Promise<void> => {
	const before = Object.getOwnPropertyDescriptor(globalThis, name);
	Object.defineProperty(globalThis, name, {
		get() {
			throw error();
		},
		configurable: true,
	});
	try {
		await body();
	} finally {
		if (before) {
			Object.defineProperty(globalThis, name, before);
		} else {
			delete (globalThis as Record<string, unknown>)[name];
		}
	}
};

describe('navigator.onLine that throws when read: a hint missing, never offline, every call answered', () => {
	it('a read and a write of the default client are sent and answered', async () => {
		vi.stubGlobal('navigator', {
			userAgent: 'test',
			get onLine() {
				throw new DOMException('not here', 'SecurityError');
			},
		});
		const { api, errors } = client('online-throws');
		const answers = [await outcome(api.get('https://api.example.com/x')), await outcome(api.post('https://api.example.com/x', { json: {} }))];
		expect([answers, api.reachability('https://api.example.com/x'), errors]).toEqual([['200 {"a":1}', '200 {"a":1}'], 'reachable', []]);
		await api.close();
	});

	it('neighbours: no navigator at all, and one with no onLine, answer as before', async () => {
		for (const navigator of [undefined, { userAgent: 'test' }]) {
			vi.stubGlobal('navigator', navigator);
			const { api, errors } = client('online-missing');
			expect([await outcome(api.get('https://api.example.com/x')), errors]).toEqual(['200 {"a":1}', []]);
			await api.close();
		}
	});
});

describe('indexedDB that throws when read (a browser refusing this context its storage): autoStore is memory, the client is made', () => {
	const refusal = () => new DOMException('The operation is insecure.', 'SecurityError');

	it('createClient makes the default client, whose call is answered with no storage:error', async () => {
		await throwing('indexedDB', refusal, async () => {
			const made = (() => {
				try {
					return client('idb-throws');
				} catch (error) {
					return `${(error as Error).name} ${(error as Error).message}`;
				}
			})();
			expect(typeof made === 'string' ? made : 'made').toBe('made');
			const { api, errors } = made as ReturnType<typeof client>;
			expect([await outcome(api.get('https://api.example.com/x')), errors]).toEqual(['200 {"a":1}', []]);
			await api.close();
		});
	});

	it('autoStore keeps and gives back a value (memory), as where indexedDB is null', async () => {
		await throwing('indexedDB', refusal, async () => {
			const answer = await (async () => {
				const store = autoStore('idb-throws');
				await store.set('k', { n: 1 });
				return [await store.get('k'), await store.keys()];
			})().catch((error: unknown) => `${(error as Error).name} ${(error as Error).message}`);
			expect(answer).toEqual([{ n: 1 }, ['k']]);
		});
	});
});

describe('a global with addEventListener but no removeEventListener (a polyfilled worker global): no listener, the client works', () => {
	it('createClient and a call go as where there is no addEventListener', async () => {
		const added: string[] = [];
		vi.stubGlobal('addEventListener', (type: string) => added.push(type));
		vi.stubGlobal('removeEventListener', undefined);
		const made = (() => {
			try {
				return client('half-events');
			} catch (error) {
				return `${(error as Error).name} ${(error as Error).message}`;
			}
		})();
		expect(typeof made === 'string' ? made : 'made').toBe('made');
		const { api, errors } = made as ReturnType<typeof client>;
		expect([await outcome(api.get('https://api.example.com/x')), errors, added]).toEqual(['200 {"a":1}', [], []]);
		await api.close();
	});

	it('neighbour: with both methods the online listeners are added and removed on close()', async () => {
		const listening = new Set<string>();
		vi.stubGlobal('addEventListener', (type: string) => listening.add(type));
		vi.stubGlobal('removeEventListener', (type: string) => listening.delete(type));
		const { api } = client('both-events');
		const during = [...listening].filter((type) => type === 'online' || type === 'offline').sort();
		expect(await outcome(api.get('https://api.example.com/x'))).toBe('200 {"a":1}');
		await api.close();
		expect([during, [...listening].filter((type) => type === 'online' || type === 'offline')]).toEqual([['offline', 'online'], []]);
	});
});
