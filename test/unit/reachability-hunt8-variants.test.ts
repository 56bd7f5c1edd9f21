/**
 * Variants of `scope:back` (API.md Events: "an attempt to a scope got an answer classify() does not call
 * transient after failures"), which `refetchWhenBack` waits for.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';

const origin = 'https://back.test';

afterEach(() => {
	Object.defineProperty(globalThis.navigator, 'onLine', { value: undefined, configurable: true });
});

describe('scope:back', () => {
	it('is not told for a scope\'s first answers (no failure before them); it is after a failure', async () => {
		let down = false;
		const api = createClient({ fetch: async () => (down ? Promise.reject(new TypeError('fetch failed')) : new Response('{}')), retry: 0, staleCache: false, breaker: false });
		const back: number[] = [];
		api.on('scope:back', ({ status }) => back.push(status));
		await api.get(`${origin}/a`);
		await api.get(`${origin}/b`);
		// Before: [200] (the client's first answer of the scope was told as the scope coming back).
		expect(back).toEqual([]);
		down = true;
		await api.get(`${origin}/a`).catch(() => undefined);
		down = false;
		await api.get(`${origin}/a`);
		expect(back).toEqual([200]);
		api.close();
	});

	it('is told when the scope answers after a read was answered by its copy because the scope was offline (what refetchWhenBack waits for)', async () => {
		const held: Array<(response: Response) => void> = [];
		let hold = false;
		const api = createClient({ fetch: async () => (hold ? new Promise<Response>((resolve) => held.push(resolve)) : new Response('{"v":1}', { headers: { 'cache-control': 'max-age=0' } })), retry: 0, store: memoryStore, name: 'back-offline', staleCache: { networkTimeoutMs: false }, breaker: false });
		const back: number[] = [];
		const stale: string[] = [];
		api.on('scope:back', ({ status }) => back.push(status));
		api.on('cache:stale', ({ reason }) => stale.push(reason));
		const stored = new Promise((resolve) => api.on('cache:stored', resolve));
		await api.get(`${origin}/a`);
		await stored;
		back.length = 0;
		Object.defineProperty(globalThis.navigator, 'onLine', { value: false, configurable: true });
		hold = true;
		// Answered by its copy (the scope is offline), while the one attempt per 10 s goes out behind it to find out.
		await api.get(`${origin}/a`);
		await vi.waitFor(() => expect(held).toHaveLength(1));
		expect(stale).toEqual(['offline']);
		held[0]!(new Response('{"v":2}'));
		await vi.waitFor(() => expect(api.reachability(origin)).toBe('reachable'));
		// Before: [] (no failure was seen, so the scope's answer was not told: the query shown 'offline' waits on).
		expect(back).toEqual([200]);
		api.close();
	});
});
