/**
 * Storage that never answers (an IndexedDB blocked by another connection's upgrade) never stalls a
 * call: every store operation on a call's path gives up after `storageTimeoutMs`, `storage:error`
 * fires, and the call goes on without that state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type KeyValueStore, type StorageErrorEvent, outbox } from '../../src/entries/index.js';
import { serve, type RunningServer } from '../helpers/node-server.js';

let server: RunningServer;
beforeAll(async () => {
	server = await serve(async (request) => new Response(JSON.stringify({ method: request.method }), { status: request.method === 'GET' ? 200 : 503, headers: { 'content-type': 'application/json' } }));
});
afterAll(async () => server.close());

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
const hanging: KeyValueStore = { get: never, set: never, delete: never, keys: never, clear: async () => undefined };

describe('storage that never answers', () => {
	it('a default GET answers within storageTimeoutMs and storage:error says why (the breaker\'s first read)', async () => {
		const api = createClient({ store: () => hanging, storageTimeoutMs: 50, breaker: { share: true }, retry: 0 });
		const errors: StorageErrorEvent[] = [];
		api.on('storage:error', (event) => errors.push(event));
		const started = performance.now();
		expect(await api.get(`${server.url}/a`).json()).toEqual({ method: 'GET' });
		expect(performance.now() - started).toBeLessThan(2_000);
		expect(errors.map(({ part, operation }) => `${part} ${operation}`)).toContain('breaker get');
		expect(String((errors[0]!.error as Error).name)).toBe('StorageTimeoutError');
		api.close();
	});

	it('an outbox POST is queued (kept in memory) instead of hanging on the key listing', async () => {
		const api = createClient({ store: () => hanging, storageTimeoutMs: 50, breaker: false, staleCache: false, retry: 0, outbox: outbox({ queuedResponse: 'accepted' }) });
		const errors: StorageErrorEvent[] = [];
		api.on('storage:error', (event) => errors.push(event));
		const response = await api.post(`${server.url}/m`, { json: { a: 1 } });
		expect(response.status).toBe(202);
		expect(errors.length).toBeGreaterThan(0);
		api.close();
	});

	it('storageTimeoutMs out of range is a RangeError naming it', () => {
		for (const value of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
			expect(() => createClient({ storageTimeoutMs: value })).toThrow(/storageTimeoutMs/);
		}
	});
});
