/**
 * The client is a ky instance: its members, `extend()` merging exactly as ky's, retry events
 * through ky's documented `beforeRetry` hook on every path, and substituted responses parsed by ky.
 */
import ky, { ForceRetryError, HTTPError, NetworkError, SchemaValidationError, TimeoutError, replaceOption } from 'ky';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { createClient, InvalidRequestError, isStale, memoryStore, outbox, type RetryEvent } from '../../src/entries/index.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { createHandler, createState } from '../helpers/server-handler.js';

let server: RunningServer;
const state = createState();
beforeAll(async () => {
	server = await serve(createHandler(state));
});
afterAll(async () => server.close());

/** A transport that answers with what `answer` returns and records each request. */
const transport = (answer: (request: Request, index: number) => Response | Promise<Response>) => {
	const seen: Request[] = [];
	const fetch = async (request: Request) => {
		seen.push(request);
		return answer(request, seen.length - 1);
	};

	return { seen, fetch: fetch as typeof globalThis.fetch };
};

describe('ky parity: members and construction', () => {
	it('has every member of a ky instance', () => {
		const api = createClient({ store: memoryStore });
		for (const method of ['get', 'post', 'put', 'patch', 'delete', 'head', 'query', 'extend', 'create']) {
			expect(api[method as 'get'], method).toBeTypeOf('function');
		}

		expect(api.stop).toBe(ky.stop);
		expect(api.retry).toBe(ky.retry);
		api.close();
	});

	it('createClient takes an options object or nothing; anything else is a TypeError', () => {
		for (const entry of [createClient, createCore] as Array<(options?: object) => { close(): void }>) {
			for (const bad of ['x', null, 42, [], true]) {
				expect(() => entry(bad as never), String(bad)).toThrow(TypeError);
			}

			entry().close();
			entry(undefined).close();
		}
	});

	it('query() sends the QUERY method', async () => {
		const { seen, fetch } = transport(() => new Response('{}'));
		const api = createCore({ fetch, prefix: 'https://api.test/' });
		await api.query('search', { body: 'q' }).text();
		expect(seen[0]!.method).toBe('QUERY');
	});

	it('create() starts from its options alone', async () => {
		const { seen, fetch } = transport(() => new Response('ok'));
		const api = createCore({ headers: { 'x-parent': '1' }, fetch });
		const fresh = api.create({ fetch });
		await fresh.get('https://api.test/a').text();
		expect(seen[0]!.headers.has('x-parent')).toBe(false);
	});
});

describe('ky parity: a hook that calls again with ky\'s options', () => {
	it('a call made from an afterResponse hook with `{ ...options }` is a call of its own (attempt 1, its own request id), never the first call continued', async () => {
		const { fetch } = transport((request) => new Response('', { status: request.headers.get('x-again') ? 200 : 401 }));
		const { trace } = await import('../../src/entries/trace.js');
		const starts: Array<[string, number]> = [];
		let again: (url: string, options: object) => Promise<Response>;
		const api = createCore({
			fetch, retry: 0, prefix: 'https://api.test/', trace: trace(),
			hooks: {
				afterResponse: [async ({ request, options, response }): Promise<Response | undefined> => response.status === 401
					// The common ky pattern: the same request again, with the options ky handed the hook.
					? again(request.url, { ...options, prefix: undefined, retry: 0, headers: { 'x-again': '1' } })
					: undefined],
			},
		});
		again = async (url, options) => api(url, options as never);
		api.on('attempt:start', ({ requestId, attempt }) => starts.push([requestId, attempt]));
		expect((await api.get('me')).status).toBe(200);
		expect(starts.map(([, attempt]) => attempt)).toEqual([1, 1]);
		expect(new Set(starts.map(([id]) => id)).size).toBe(2);
	});
});

describe('ky parity: the call a policy sees is read-only in fact', () => {
	it('a policy can neither assign nor define a field over the call\'s getters (replay, idempotencyKey)', async () => {
		const tries: string[] = [];
		const meddler = {
			slot: 'logger' as const,
			create: () => ({
				layer: (next: (request: Request, init?: RequestInit) => Promise<Response>) => async (request: Request, init?: RequestInit & { steadfetch?: object }) => {
					const call = init!.steadfetch as Record<string, unknown>;
					for (const attempt of [() => { call['replay'] = true; }, () => Object.defineProperty(call, 'replay', { value: true }), () => Object.defineProperty(call, 'idempotencyKey', { value: 'forged' })]) {
						try {
							attempt();
							tries.push('allowed');
						} catch (error) {
							tries.push((error as Error).name);
						}
					}

					expect([call['replay'], call['idempotencyKey']]).toEqual([false, undefined]);
					return next(request, init);
				},
			}),
		};
		const { fetch } = transport(() => new Response('ok'));
		const api = createCore({ fetch, retry: 0, logger: meddler as never });
		expect(await api.get('https://api.test/').text()).toBe('ok');
		expect(tries).toEqual(['TypeError', 'TypeError', 'TypeError']);
	});
});

describe('ky parity: extend() merges exactly as ky', () => {
	it('context and searchParams merge, hooks append, headers merge', async () => {
		const { seen, fetch } = transport(() => new Response('ok'));
		const contexts: unknown[] = [];
		const base = createCore({
			fetch,
			prefix: 'https://api.test/',
			context: { a: 1 },
			searchParams: { x: '1' },
			headers: { 'x-one': '1' },
			hooks: { beforeRequest: [({ options }) => void contexts.push({ ...options.context })] },
		});
		const child = base.extend({ context: { b: 2 }, searchParams: { y: '2' }, headers: { 'x-two': '2' }, hooks: { beforeRequest: [() => void contexts.push('second')] } });
		await child.get('r').text();
		const url = new URL(seen[0]!.url);
		expect(url.searchParams.get('x')).toBe('1');
		expect(url.searchParams.get('y')).toBe('2');
		expect(seen[0]!.headers.get('x-one')).toBe('1');
		expect(seen[0]!.headers.get('x-two')).toBe('2');
		expect(contexts).toEqual([{ a: 1, b: 2 }, 'second']);
	});

	it('hooks set to undefined clear them; replaceOption replaces', async () => {
		const calls: string[] = [];
		const { fetch } = transport(() => new Response('ok'));
		const base = createCore({ fetch, hooks: { beforeRequest: [() => void calls.push('base')] }, headers: { 'x-a': '1' } });
		await base.extend({ hooks: { beforeRequest: undefined } as never }).get('https://api.test/').text();
		expect(calls).toEqual([]);
		await base.extend({ hooks: replaceOption({ beforeRequest: [() => void calls.push('only')] }) }).get('https://api.test/').text();
		expect(calls).toEqual(['only']);
	});

	it('the function form gets the parent options', async () => {
		const { seen, fetch } = transport(() => new Response('ok'));
		const api = createCore({ fetch, prefix: 'https://api.test/v1' });
		const users = api.extend((parent) => ({ prefix: `${String(parent.prefix)}/users` }));
		await users.get('7').text();
		expect(seen[0]!.url).toBe('https://api.test/v1/users/7');
	});

	it('the function form gets the parent options as ky\'s gets them (every hook list, headers given as pairs as a Headers), from a created client as from an extended one', () => {
		const { fetch } = transport(() => new Response('ok'));
		// What a function form sees, comparable: a function as 'fn', a Headers as its entries.
		const shown = (options: unknown): string => JSON.stringify(options, (_key, value: unknown) => typeof value === 'function' ? 'fn' : value instanceof Headers ? ['Headers', [...value]] : value);
		const seenBy = (extend: (form: (parent: object) => object) => unknown): string => {
			let parent: object = {};
			extend((given) => {
				parent = given;
				return {};
			});
			return shown(parent);
		};

		const given = { fetch, headers: [['x-a', '1']] as [string, string][], hooks: { afterResponse: [() => undefined] } };
		const api = createCore(given);
		const kys = seenBy((form) => ky.create(given).extend(form));
		expect([seenBy((form) => api.extend(form)), seenBy((form) => api.extend({}).extend(form))]).toEqual([kys, kys]);
		// A ky user's function form that reads a hook list the parent holds (none of its own given).
		expect(() => api.extend((parent) => ({ hooks: { beforeRequest: [...parent.hooks!.beforeRequest!] } })).close()).not.toThrow();
		api.close();
	});

	it('extend() with nothing, or a function form that returns nothing, is the parent\'s options again (as ky); anything else but an object is a TypeError', async () => {
		const { seen, fetch } = transport(() => new Response('ok'));
		// ky's types ask for an argument; its runtime (and ours) takes none.
		type Loose = { extend(options?: unknown): { get(url: string): { text(): Promise<string> }; close(): void }; close(): void };
		for (const make of [createCore, (options: object) => createClient({ store: memoryStore, ...options })]) {
			const api = make({ fetch, prefix: 'https://api.test/v1', headers: { 'x-a': '1' } }) as unknown as Loose;
			for (const child of [api.extend(), api.extend(undefined), api.extend(() => undefined)]) {
				seen.length = 0;
				await child.get('r').text();
				expect(seen[0]!.url).toBe('https://api.test/v1/r');
				expect(seen[0]!.headers.get('x-a')).toBe('1');
				child.close();
			}

			for (const bad of [null, 5, 'x', []]) {
				expect(() => api.extend(bad)).toThrow(new TypeError('The `options` argument must be an object'));
			}

			api.close();
		}

		// What ky itself does with the same arguments.
		expect(() => ky.create({}).extend(undefined as never)).not.toThrow();
		expect(() => ky.create({}).extend(null as never)).toThrow(TypeError);
	});

	it('a slot given anew replaces the parent policy; plain slot options merge in the main entry', () => {
		const api = createClient({ store: memoryStore, breaker: { consecutiveFailures: 2, share: false } });
		const child = api.extend({ breaker: { openMs: 1_000 } });
		// Both options apply: merged, then built anew.
		expect(child.breaker('https://api.test').state).toBe('closed');
		expect(() => api.extend({ breaker: { openMs: -1 } })).toThrow(RangeError);
		api.close();
		child.close();
	});
});

describe('ky parity: retry events through ky\'s beforeRetry hook', () => {
	const events = (api: ReturnType<typeof createCore>) => {
		const seen: RetryEvent[] = [];
		api.on('retry', (event) => seen.push(event));
		return seen;
	};

	it('an HTTPError retry carries ky\'s HTTPError', async () => {
		const { fetch } = transport((_, index) => new Response('', { status: index === 0 ? 503 : 200 }));
		const api = createCore({ fetch, retry: { limit: 1, delay: () => 0 } });
		const seen = events(api);
		await api.get('https://api.test/').text();
		expect(seen).toHaveLength(1);
		expect(seen[0]!.error).toBeInstanceOf(HTTPError);
		expect(seen[0]!.code).toBe('HTTP_5XX');
	});

	it('an HTTPError retry of an answer a layer made without I/O carries the HTTPError too (the call is known by the answer, not by an option)', async () => {
		const { seen: sent, fetch } = transport(() => new Response('ok'));
		let made = 0;
		const mock = {
			slot: 'mock',
			create: () => ({
				layer: (next: (request: Request, init?: RequestInit) => Promise<Response>) => async (request: Request, init?: RequestInit) => (made++ === 0 ? new Response('', { status: 503 }) : next(request, init)),
			}),
		};
		const api = createCore({ fetch, retry: { limit: 1, delay: () => 0 }, mock } as never);
		const seen = events(api);
		expect(await api.get('https://api.test/').text()).toBe('ok');
		expect(seen).toHaveLength(1);
		expect(seen[0]!.error).toBeInstanceOf(HTTPError);
		expect(seen[0]!.code).toBe('HTTP_5XX');
		expect(sent).toHaveLength(1);
	});

	it('a network error retry carries ky\'s NetworkError', async () => {
		const { fetch } = transport((_, index) => {
			if (index === 0) {
				throw new TypeError('fetch failed');
			}

			return new Response('ok');
		});
		const api = createCore({ fetch, retry: { limit: 1, delay: () => 0 } });
		const seen = events(api);
		await api.get('https://api.test/').text();
		expect(seen[0]!.error).toBeInstanceOf(NetworkError);
		expect(seen[0]!.code).toBe('NETWORK');
	});

	it('a timeout retry carries ky\'s TimeoutError', async () => {
		const api = createCore({ timeout: 50, retry: { limit: 1, delay: () => 0 } });
		const seen = events(api);
		await api.get(`${server.url}/hang?id=parity-timeout`).catch(() => undefined);
		expect(seen[0]!.error).toBeInstanceOf(TimeoutError);
		expect(seen[0]!.code).toBe('TIMEOUT');
	});

	it('a retry an afterResponse hook forces with ky.retry() carries ky\'s ForceRetryError', async () => {
		const { fetch } = transport(() => new Response('ok'));
		let forced = false;
		const api = createCore({
			fetch,
			retry: { limit: 1, delay: () => 0 },
			hooks: {
				afterResponse: [() => {
					if (!forced) {
						forced = true;
						return ky.retry();
					}

					return undefined;
				}],
			},
		});
		const seen = events(api);
		await api.get('https://api.test/').text();
		expect(seen).toHaveLength(1);
		expect(seen[0]!.error).toBeInstanceOf(ForceRetryError);
	});

	it('a beforeRetry hook returning ky.stop resolves undefined, also through the stale cache, and counts no retry', async () => {
		const { fetch } = transport(() => new Response('', { status: 503 }));
		const api = createClient({ fetch, store: memoryStore, breaker: false, retry: { limit: 2, delay: () => 0 }, hooks: { beforeRetry: [() => ky.stop] } });
		const seen = events(api as never);
		expect(await api.get('https://api.test/')).toBeUndefined();
		expect(seen).toEqual([]);
		api.close();
	});

	it('a beforeRetry hook returning ky.stop on a keyed POST resolves undefined with the outbox too: nothing queued, nothing replayed', async () => {
		const { seen, fetch } = transport(() => new Response('', { status: 503 }));
		const api = createClient({ fetch, store: memoryStore, name: 'stopped-write', outbox: outbox(), retry: { limit: 2, delay: () => 0 }, hooks: { beforeRetry: [() => ky.stop] } });
		const outcome = await api.post('https://api.test/orders', { json: { item: 1 }, idempotencyKey: true }).catch((error: unknown) => (error as Error).name);
		expect([outcome, await api.outbox.size(), seen.length]).toEqual([undefined, 0, 1]);
		api.close();
	});

	it('retry.methods listing POST is honoured, with an Idempotency-Key added', async () => {
		const { seen, fetch } = transport((_, index) => new Response('', { status: index === 0 ? 503 : 201 }));
		const api = createCore({ fetch, retry: { limit: 1, delay: () => 0, methods: ['post'] } });
		expect((await api.post('https://api.test/', { json: { a: 1 } })).status).toBe(201);
		expect(seen).toHaveLength(2);
		const key = seen[0]!.headers.get('idempotency-key');
		expect(key).toMatch(/^[\da-f-]{36}$/);
		expect(seen[1]!.headers.get('idempotency-key')).toBe(key);
	});
});

describe('ky parity: responses the cache substitutes', () => {
	const stale = async (options: Parameters<typeof createClient>[0] = {}) => {
		let up = true;
		const { fetch } = transport(() => up ? new Response('{"n":1}', { headers: { 'content-type': 'application/json' } }) : new Response('', { status: 503 }));
		const api = createClient({ fetch, store: memoryStore, breaker: false, retry: 0, ...options });
		await api.get('https://api.test/item').json();
		await new Promise((resolve) => setTimeout(resolve, 20)); // The write-behind copy.
		up = false;
		return api;
	};

	it('are parsed with parseJson', async () => {
		const api = await stale({ parseJson: (text) => ({ parsed: JSON.parse(text) as unknown }) });
		const response = api.get('https://api.test/item');
		expect(isStale(await response)).toBe(true);
		expect(await api.get('https://api.test/item').json()).toEqual({ parsed: { n: 1 } });
		api.close();
	});

	it('are validated by a Standard Schema, failing with ky\'s SchemaValidationError', async () => {
		const api = await stale();
		const schema = {
			'~standard': {
				version: 1, vendor: 'test',
				validate: (value: unknown) => (value as { n?: unknown }).n === 2 ? { value } : { issues: [{ message: 'n must be 2' }] },
			},
		};
		await expect(api.get('https://api.test/item').json(schema as never)).rejects.toBeInstanceOf(SchemaValidationError);
		api.close();
	});

	it('a response the afterResponse hooks rejected is never stored, so never served', async () => {
		const { fetch } = transport(() => new Response('{"bad":true}'));
		let reject = true;
		const api = createClient({
			fetch, store: memoryStore, breaker: false, retry: 0,
			hooks: {
				afterResponse: [({ response }) => reject ? new Response('', { status: 503 }) : response],
			},
		});
		await expect(api.get('https://api.test/x')).rejects.toBeInstanceOf(HTTPError);
		await new Promise((resolve) => setTimeout(resolve, 20));
		reject = false;
		// Nothing was stored: the next failure has no stale copy to serve.
		const down = api.extend({ fetch: (async () => new Response('', { status: 503 })) as typeof globalThis.fetch, name: 'steadfetch' });
		await expect(down.get('https://api.test/x')).rejects.toBeInstanceOf(HTTPError);
		api.close();
		down.close();
	});
});

describe('ky parity: what ky gets per call', () => {
	it('every layer and the transport get the call as init.steadfetch, on every attempt; ky\'s options carry no option of ours', async () => {
		const calls: unknown[] = [];
		const { fetch } = transport((_, index) => new Response('', { status: index === 0 ? 503 : 200 }));
		const seenBy = {
			slot: 'seen',
			create: () => ({
				layer: (next: (request: Request, init?: RequestInit) => Promise<Response>) => async (request: Request, init?: RequestInit & { steadfetch?: object }) => {
					calls.push(init?.steadfetch);
					return next(request, init);
				},
			}),
		};
		const inits: Array<Record<string, unknown>> = [];
		const retried: Array<Record<string, unknown>> = [];
		const api = createCore({
			fetch: (async (request: Request, init?: Record<string, unknown>) => {
				inits.push(init ?? {});
				return fetch(request);
			}) as typeof globalThis.fetch,
			retry: { limit: 1, delay: () => 0 },
			seen: seenBy,
			hooks: { beforeRetry: [({ options }: { options: object }) => {
				retried.push(options as Record<string, unknown>);
			}] },
		} as never);
		await api.get('https://api.test/').text();
		expect(calls).toHaveLength(2);
		expect(calls[0]).toBeTypeOf('object');
		expect(calls[1]).toBe(calls[0]);
		expect(inits.map((init) => init['steadfetch'])).toEqual([calls[0], calls[0]]);
		expect(Object.keys(retried[0]!)).not.toContain('steadfetch');
	});

	it('the shortcut\'s method wins over the call\'s and its Request\'s, as ky\'s shortcuts do; an init hook sees it as ky.get gives it', async () => {
		const { seen, fetch } = transport(() => new Response('ok'));
		const api = createCore({ fetch, retry: 0 });
		await api.get('https://api.test/a', { method: 'post' } as never).text();
		await api.get(new Request('https://api.test/b', { method: 'PUT' })).text();
		await api.post('https://api.test/c').text();
		await api('https://api.test/d', { method: 'delete' }).text();
		await api('https://api.test/e').text();
		expect(seen.map((request) => request.method)).toEqual(['GET', 'GET', 'POST', 'DELETE', 'GET']);

		const methods: unknown[] = [];
		const hooked = createCore({ fetch, retry: 0, hooks: { init: [(options) => methods.push(options.method)] } });
		const plain = ky.create({ fetch, retry: 0, hooks: { init: [(options) => methods.push(options.method)] } });
		await hooked.get('https://api.test/f').text();
		await plain.get('https://api.test/f').text();
		await hooked('https://api.test/g').text();
		await plain('https://api.test/g').text();
		expect(methods).toEqual(['get', 'get', undefined, undefined]);
	});

	it('an init hook that throws: ky throws at once; the client rejects with InvalidRequestError, the hook\'s error its cause, nothing sent (README "Coming from ky")', async () => {
		const { seen, fetch } = transport(() => new Response('ok'));
		const thrown = new Error('no token yet');
		const hooks = { init: [() => {
			throw thrown;
		}] };
		expect(() => ky.create({ fetch, hooks }).get('https://api.test/i')).toThrow(thrown);
		const call = createCore({ fetch, hooks }).get('https://api.test/i');
		const error = await call.catch((error_: unknown) => error_);
		expect([error instanceof InvalidRequestError, (error as Error).cause, seen]).toEqual([true, thrown, []]);
	});
});
