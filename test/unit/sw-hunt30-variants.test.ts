/**
 * The thirtieth round on the service worker (`fetchHandler`), how a page's client reads its answers, auth and the
 * TanStack Query helpers (defect hunt).
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import type { createClient } from '../../src/entries/index.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { readmeRecipe, throughWorker as throughWorkerOf } from '../helpers/through-worker.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}

	vi.unstubAllGlobals();
});

type Isolating = { breaker: { isolate(url: string): Promise<void>; reset(url: string): Promise<void> } };
type Options = Parameters<typeof createClient>[0];

/** A page whose calls go through a service worker, the page without retries. */
const throughWorker = (origin: (request: Request) => Promise<Response>, worker: Options = {}, page: Options = {}) => throughWorkerOf(made, 'h30', origin, worker, { retry: 0, ...page } as never);

const codeOf = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: { code?: string; response?: Response }) => error.response?.headers.get('steadfetch-error') ?? error.code ?? String(error));

describe('the page\'s own breaker and the worker\'s refusals', () => {
	it('an isolated scope in the worker: the page\'s breaker does not open on its 503s (the origin never failed)', async () => {
		let origin = 0;
		const { api, client, asked } = throughWorker(async () => {
			origin++;
			return Response.json({ ok: true });
		}, { breaker: breaker() } as never, { breaker: breaker({ consecutiveFailures: 2 }) } as never);
		await (api as unknown as Isolating).breaker.isolate('https://api.test');
		const refused = [];
		for (let index = 0; index < 3; index++) {
			refused.push(await codeOf(client.get('https://api.test/todos')));
		}

		await (api as unknown as Isolating).breaker.reset('https://api.test');
		const after = await codeOf(client.get('https://api.test/todos'));
		// Before: [[…, 'CIRCUIT_OPEN'], 'CIRCUIT_OPEN', 2, 0] (the page's breaker opened on two refusals, and stayed open after the reset).
		expect([refused, after, asked(), origin]).toEqual([['CIRCUIT_OPEN', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN'], 'OK', 4, 1]);
	});

	it('its neighbours: the origin\'s own 503 and the worker\'s NETWORK or TIMEOUT still open the page\'s breaker', async () => {
		for (const [origin, expected] of [
			[async () => new Response('down', { status: 503 }), '503'],
			[async () => {
				throw new TypeError('fetch failed');
			}, 'NETWORK'],
		] as const) {
			const { client, asked } = throughWorker(origin, {}, { breaker: breaker({ consecutiveFailures: 2 }) } as never);
			const codes = [];
			for (let index = 0; index < 3; index++) {
				codes.push(await client.get('https://api.test/todos').then(() => 'OK', (error: { code?: string; response?: Response }) => error.response?.headers.get('steadfetch-error') ?? error.response?.status.toString() ?? error.code));
			}

			expect([codes, asked()]).toEqual([[expected, expected, 'CIRCUIT_OPEN'], 2]);
		}
	});
});

describe('the page\'s own adaptive throttle and the worker\'s refusals', () => {
	it('an isolated scope in the worker: the page\'s throttle does not count its 503s as the origin\'s rejections', async () => {
		let origin = 0;
		const { api, client, asked } = throughWorker(async () => {
			origin++;
			return Response.json({ ok: true });
		}, { breaker: breaker() } as never, { random: () => 0, adaptiveThrottle: adaptiveThrottle({ minRequests: 1 }) } as never);
		await (api as unknown as Isolating).breaker.isolate('https://api.test');
		const refused = await codeOf(client.get('https://api.test/todos'));
		await (api as unknown as Isolating).breaker.reset('https://api.test');
		const after = await codeOf(client.get('https://api.test/todos'));
		// Before: ['CIRCUIT_OPEN', 'THROTTLED', 1, 0] (the page's throttle took the worker's refusal for the origin's rejection).
		expect([refused, after, asked(), origin]).toEqual(['CIRCUIT_OPEN', 'OK', 2, 1]);
	});
});

describe('README "Conflicts and app updates": a write queued offline is never delivered as the next user\'s', () => {
	const recipe = async <T>(heading: string, index: number): Promise<T> => readmeRecipe<T>(made, 'h30', heading, index);

	const network = { online: false };
	const delivered: string[] = [];
	const session = new Map<string, string>();
	const server = setupServer(
		http.put('https://api.example.com/v1/todos/:id', ({ params }) => network.online ? (delivered.push(`PUT todos/${params['id']} as ${session.get('userId')}`), HttpResponse.json({}, { headers: { etag: '"2"' } })) : HttpResponse.error()),
	);
	/** A new browser, its network down; `become(who)` signs someone in (the page's storage and the origin's session alike). */
	const start = () => {
		const stored = new Map<string, string>();
		vi.stubGlobal('localStorage', { getItem: (key: string) => stored.get(key) ?? null, setItem: (key: string, value: string) => void stored.set(key, value), removeItem: (key: string) => void stored.delete(key) });
		session.clear();
		network.online = false;
		delivered.length = 0;
		server.listen();
		return (who: string): void => {
			stored.set('userId', who);
			session.set('userId', who);
		};
	};

	afterEach(() => {
		server.close();
	});

	type Outbox = { api: { put(url: string, options: object): Promise<unknown>; outbox: { flush(): Promise<unknown>; size(): Promise<number> } } };
	for (const [index, name, write] of [
		[0, 'the conflicts block (onConflict, migrate)', (module: Outbox) => module.api.put('todos/1', { json: { title: 'milk' } })],
		[1, 'the If-Match block (saveTodo)', (module: Outbox & { saveTodo(id: string, todo: object): Promise<void> }) => module.saveTodo('1', { title: 'milk' })],
	] as const) {
		it(`${name}: alice's queued edit is not delivered as bob's`, async () => {
			const become = start();
			become('alice');
			const module = await recipe<Outbox & { saveTodo(id: string, todo: object): Promise<void> }>('Conflicts and app updates', index);
			expect(await write(module).then(() => 'sent', (error: { code?: string }) => error.code)).toBe('QUEUED');
			become('bob');
			network.online = true;
			await module.api.outbox.flush();
			// Before: ['PUT todos/1 as bob'] (alice's edit made in bob's account).
			expect(delivered).toEqual([]);
			become('alice');
			await module.api.outbox.flush();
			expect([delivered, await module.api.outbox.size()]).toEqual([['PUT todos/1 as alice'], 0]);
		});
	}
});
