/**
 * Defect hunt, thirteenth round (area T, an open pipeline with one owner per call, ky as the engine, bad
 * input, the newcomer). API.md "ky compatibility": "every ky option works unchanged" and a client "behaves
 * as in ky"; API.md "Offline writes for real apps": "the first attempt and every replay send those bytes".
 */
import ky, { type Options } from 'ky';
import { describe, expect, it } from 'vitest';
import { type Client, createClient, memoryStore, outbox, type OutboxPolicy } from '../../src/entries/index.js';
import type { Policy } from '../../src/entries/policy.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { statusOrClass } from '../helpers/outcome.js';
import { downAtFirst, recordingFetch } from '../helpers/recording-fetch.js';

type InitHook = NonNullable<NonNullable<Options['hooks']>['init']>[number];

describe('a `json` body an `init` hook (ky\'s) sets or changes is sent as ky sends it, also by a client with `outbox()`', () => {
	const hooks: Array<[string, InitHook, Options]> = [
		['adds a field', (options) => {
			options.json = { ...options.json as object, tenant: 't' };
		}, { json: { a: 1 } }],
		['replaces it', (options) => {
			options.json = { tenant: 't' };
		}, { json: { a: 1 } }],
		['gives one to a call without a body', (options) => {
			options.json ??= { tenant: 't' };
		}, {}],
	];

	it('the first attempt sends what ky sends (a good answer), with and without the outbox', async () => {
		for (const [label, hook, call] of hooks) {
			const state = { down: false, sent: [] as string[] };
			const base = { fetch: recordingFetch(state), prefix: 'https://api.example.com/', retry: 0, hooks: { init: [hook] } };
			await ky.post('todos', { ...base, ...call });
			await createClient({ ...base, breaker: false }).post('todos', call as never);
			const api = createClient({ ...base, breaker: false, store: memoryStore, name: `t13-init-json-${label}`, outbox: outbox() });
			await api.post('todos', call as never);
			const [asKy, ...ours] = state.sent;
			// before (`outbox()`, 'adds a field'): 'POST https://api.example.com/todos application/json {"a":1}' (the hook's change dropped)
			expect([label, ...ours]).toEqual([label, asKy, asKy]);
			api.close();
		}
	});

	it('the call\'s own `init` hook too', async () => {
		for (const [label, hook, call] of hooks) {
			const state = { down: false, sent: [] as string[] };
			const base = { fetch: recordingFetch(state), prefix: 'https://api.example.com/', retry: 0 };
			await ky.post('todos', { ...base, ...call, hooks: { init: [hook] } });
			const api = createClient({ ...base, breaker: false, store: memoryStore, name: `t13-init-call-${label}`, outbox: outbox() });
			await api.post('todos', { ...call, hooks: { init: [hook] } } as never);
			expect([label, state.sent[1]]).toEqual([label, state.sent[0]]);
			api.close();
		}
	});

	it('a write queued when that attempt fails is stored with the body its first attempt sent', async () => {
		for (const [label, hook, call] of hooks) {
			const state = { down: true, sent: [] as string[] };
			const api = createClient({ fetch: recordingFetch(state), prefix: 'https://api.example.com/', retry: 0, hooks: { init: [hook] }, breaker: false, store: memoryStore, name: `t13-init-stored-${label}`, outbox: outbox() });
			expect(await statusOrClass(api.post('todos', call as never))).toBe('OutboxQueuedError');
			const [first] = state.sent;
			// before ('adds a field'): sent and stored '{"a":1}' (7 bytes)
			expect([label, first]).toEqual([label, expect.stringContaining('"tenant":"t"')]);
			expect([label, (await api.outbox.list())[0]?.bodyBytes]).toEqual([label, first!.length - first!.indexOf('{')]);
			api.close();
		}
	});

	it('a body the hook makes larger than `maxBodyBytes` is sent, and refused with OutboxFullError (`size`) when it fails', async () => {
		const state = { down: false, sent: [] as string[] };
		const hook: InitHook = (options) => {
			options.json = { ...options.json as object, pad: 'x'.repeat(64) };
		};
		const api = createClient({ fetch: recordingFetch(state), prefix: 'https://api.example.com/', retry: 0, hooks: { init: [hook] }, breaker: false, store: memoryStore, name: 't13-init-size', outbox: outbox({ maxBodyBytes: 32 }) });
		expect(await statusOrClass(api.post('todos', { json: { a: 1 } }))).toBe('200');
		state.down = true;
		const refused = await api.post('todos', { json: { a: 1 } }).then(() => undefined, (error: unknown) => error as { reason?: string });
		expect([refused?.constructor.name, refused?.reason, await api.outbox.size()]).toEqual(['OutboxFullError', 'size', 0]);
		expect(state.sent).toHaveLength(2);
		api.close();
	});
});

describe('a queued write is replayed as its first attempt went out, whatever the client\'s `init` hooks do to a replay\'s options', () => {
	const hooks: Array<[string, InitHook]> = [
		['adds a query parameter', (options) => {
			options.searchParams = { v: 'k' };
		}],
		['replaces the headers', (options) => {
			options.headers = { 'x-app': 'web' };
		}],
		['sets `json` from the call\'s', (options) => {
			options.json = { ...options.json as object, tenant: 't' };
		}],
		['sets a prefix', (options) => {
			options.prefix = 'https://api.example.com/v2/';
		}],
	];

	it('the replay sends the URL, Content-Type and body its first attempt sent (and stored)', async () => {
		for (const [label, hook] of hooks) {
			const state = { down: true, sent: [] as string[] };
			const api = createClient({ fetch: recordingFetch(state), prefix: 'https://api.example.com/', retry: 0, hooks: { init: [hook] }, breaker: false, store: memoryStore, name: `t13-init-replay-${label}`, outbox: outbox() });
			expect(await statusOrClass(api.post('todos', { json: { a: 1 } }))).toBe('OutboxQueuedError');
			const [first] = state.sent;
			state.sent.length = 0;
			state.down = false;
			expect((await api.outbox.flush()).sent).toBe(1);
			// before: '…/todos?v=k&v=k …', '… null {"a":1}' (no Content-Type), '… {"tenant":"t"}' (the stored body lost)
			expect([label, state.sent]).toEqual([label, [first]]);
			api.close();
		}
	});

	it('a credential the hook adds is sent with the replay (never stored), beside the headers stored and the entry\'s Idempotency-Key', async () => {
		const seen: string[] = [];
		let down = true;
		let token = 'one';
		const fetch = (async (request: Request) => {
			seen.push(`${request.headers.get('authorization')} ${request.headers.get('x-app')} ${request.headers.get('content-type')} ${request.headers.has('idempotency-key')}`);
			if (down) {
				throw new TypeError('fetch failed');
			}

			return new Response('{}');
		}) as typeof globalThis.fetch;
		const hook: InitHook = (options) => {
			options.headers = { authorization: `Bearer ${token}`, 'x-app': 'web' };
		};
		const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, hooks: { init: [hook] }, breaker: false, store: memoryStore, name: 't13-init-credential', outbox: outbox() });
		expect(await statusOrClass(api.post('todos', { json: { a: 1 } }))).toBe('OutboxQueuedError');
		expect(Object.keys((await api.outbox.list())[0]!.headers).sort()).toEqual(['content-type', 'x-app']);
		down = false;
		token = 'two';
		expect((await api.outbox.flush()).sent).toBe(1);
		// before: 'Bearer two web null false' (no Content-Type, no Idempotency-Key)
		expect(seen[1]).toBe('Bearer two web application/json true');
		api.close();
	});
});

describe('a replay that a `beforeRequest` hook fails before any I/O is no attempt (API.md "Outbox": attempts count only attempts that reached the network)', () => {
	it('its entry keeps its attempts, stays pending past `maxAttempts` replays, and goes out once the hook lets it', async () => {
		const { state, fetch } = downAtFirst();
		const hook = () => {
			if (state.failing) {
				throw new Error('the token service is down');
			}
		};
		const clock = new ManualClock();
		const api = createClient({ fetch, clock, prefix: 'https://api.example.com/', retry: 0, hooks: { beforeRequest: [hook] }, breaker: false, store: memoryStore, name: 't13-hook-replay', outbox: outbox({ maxAttempts: 3 }) });
		expect(await statusOrClass(api.post('todos', { json: { a: 1 } }))).toBe('OutboxQueuedError');
		state.down = false;
		state.failing = true;
		for (let pass = 0; pass < 3; pass++) {
			clock.advance(600_000); // past any backoff: the entry is due
			expect((await api.outbox.flush()).sent).toBe(0);
		}

		// before: [3, 'UNKNOWN', 1] after the first two passes, then a dead letter ('max-attempts') at the third: never sent
		expect([(await api.outbox.list()).map((entry) => [entry.attempts, entry.lastError?.code]), await api.outbox.deadLetters(), state.sends]).toEqual([[[1, 'UNKNOWN']], [], 1]);
		state.failing = false;
		clock.advance(600_000);
		expect((await api.outbox.flush()).sent).toBe(1);
		expect(state.sends).toBe(2);
		api.close();
	});

	it('so is one an app policy\'s layer fails before it calls `next` (its band inside the outbox\'s layer)', async () => {
		const { state, fetch } = downAtFirst();
		const signing: Policy<'signing'> = {
			slot: 'signing',
			create: () => ({ layer: (next) => (request, init) => {
				if (state.failing) {
					throw new Error('no signing key yet');
				}

				return next(request, init);
			} }),
		};
		const clock = new ManualClock();
		const api = createClient({ fetch, clock, prefix: 'https://api.example.com/', retry: 0, breaker: false, store: memoryStore, name: 't13-layer-replay', outbox: outbox({ maxAttempts: 2 }), signing } as never) as unknown as Client<{ outbox: OutboxPolicy }>;
		expect(await statusOrClass(api.post('todos', { json: { a: 1 } }))).toBe('OutboxQueuedError');
		state.down = false;
		state.failing = true;
		for (let pass = 0; pass < 2; pass++) {
			clock.advance(600_000);
			await api.outbox.flush();
		}

		// before: a dead letter ('max-attempts', attempts 2) at the first such pass
		expect([(await api.outbox.list()).map((entry) => entry.attempts), (await api.outbox.deadLetters()).length, state.sends]).toEqual([[1], 0, 1]);
		state.failing = false;
		clock.advance(600_000);
		expect((await api.outbox.flush()).sent).toBe(1);
		api.close();
	});

	it('a hook that fails after the request went out (`afterResponse`) counts it, as any attempt that reached the network', async () => {
		const { state, fetch } = downAtFirst();
		const hook = () => {
			if (!state.down) {
				throw new Error('cannot read it');
			}
		};
		const api = createClient({ fetch, prefix: 'https://api.example.com/', retry: 0, hooks: { afterResponse: [hook] }, breaker: false, store: memoryStore, name: 't13-after-replay', outbox: outbox() });
		expect(await statusOrClass(api.post('todos', { json: { a: 1 } }))).toBe('OutboxQueuedError');
		state.down = false;
		await api.outbox.flush();
		expect([(await api.outbox.list()).map((entry) => entry.attempts), state.sends]).toEqual([[2], 2]);
		api.close();
	});
});

describe('the Idempotency-Key steadfetch gives a call is sent on every attempt, also when an `init` hook replaces the call\'s headers', () => {
	const replacing: InitHook = (options) => {
		options.headers = { 'x-app': 'web' };
	};

	/** A transport answering 503 to its first request, then 200; it records each request's method and key. */
	const flaky = (seen: string[]) => (async (request: Request) => {
		seen.push(`${request.method} ${request.headers.get('idempotency-key')} ${request.headers.get('x-app')}`);
		return new Response('', { status: seen.length === 1 ? 503 : 200 });
	}) as typeof fetch;

	it('a POST `retry.methods` lists (steadfetch adds a fresh key) and one given `idempotencyKey` are retried with their key', async () => {
		const cases: Array<[string, Options, Record<string, unknown>]> = [
			['retry.methods', { retry: { limit: 1, methods: ['post'], delay: () => 0 } }, {}],
			['idempotencyKey: true', { retry: { limit: 1, delay: () => 0 } }, { idempotencyKey: true }],
			['idempotencyKey: k1', { retry: { limit: 1, delay: () => 0 } }, { idempotencyKey: 'k1' }],
		];
		for (const [label, client, call] of cases) {
			const seen: string[] = [];
			const api = createClient({ fetch: flaky(seen), prefix: 'https://api.example.com/', breaker: false, hooks: { init: [replacing] }, ...client });
			// before: [HTTPError, ['POST null web']] (no key, so no retry)
			expect([label, await statusOrClass(api.post('todos', call))]).toEqual([label, '200']);
			expect([label, seen.length, new Set(seen).size, seen[0]]).toEqual([label, 2, 1, expect.stringMatching(label === 'idempotencyKey: k1' ? /^POST k1 web$/ : /^POST [\da-f-]{36} web$/)]);
			api.close();
		}
	});

	it('and when a `beforeRequest` hook gives ky a new Request with headers of its own', async () => {
		const seen: string[] = [];
		const api = createClient({
			fetch: flaky(seen), prefix: 'https://api.example.com/', breaker: false, retry: { limit: 1, methods: ['post'], delay: () => 0 },
			hooks: { beforeRequest: [({ request }) => new Request(request.url, { method: request.method, headers: { 'x-app': 'web' } })] },
		});
		// before: HTTPError, ['POST null web']
		expect(await statusOrClass(api.post('todos'))).toBe('200');
		expect([seen.length, new Set(seen).size, seen[0]]).toEqual([2, 1, expect.stringMatching(/^POST [\da-f-]{36} web$/)]);
		api.close();
	});

	it('a write the outbox queues sends its entry\'s key on its first attempt, and the replay the same one', async () => {
		const seen: string[] = [];
		const api = createClient({ fetch: flaky(seen), prefix: 'https://api.example.com/', retry: 0, breaker: false, hooks: { init: [replacing] }, store: memoryStore, name: 't13-init-key', outbox: outbox() });
		expect(await statusOrClass(api.post('todos', { json: { a: 1 } }))).toBe('OutboxQueuedError');
		const [entry] = await api.outbox.list();
		expect((await api.outbox.flush()).sent).toBe(1);
		// before: ['POST null web', 'POST <key> web'] (the first attempt without the key the replay then sent)
		expect(seen).toEqual([`POST ${entry!.idempotencyKey} web`, `POST ${entry!.idempotencyKey} web`]);
		api.close();
	});
});
