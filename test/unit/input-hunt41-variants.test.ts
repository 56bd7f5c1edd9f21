/**
 * Neighbours of test/unit/input-hunt41.test.ts (defect hunt, forty-first round), against a real loopback server.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { createClient as createCoreClient } from '../../src/entries/core.js';
import { serve } from '../helpers/node-server.js';
import { notingOriginForFile } from '../helpers/noting-origin.js';
import { thrownBy } from '../helpers/outcome.js';
import { loadBuild, type Build } from './edge-body-kit.js';

const origin = notingOriginForFile('h41-input-v');
const { outcome, client } = origin;
const custom = (value: unknown): string => `custom:${JSON.stringify(value)}`;

describe('a client\'s `json` body: its neighbours', () => {
	it('a call\'s own `json` is merged into it as ky merges it, serialized by the client\'s `stringifyJson`; a call\'s own `stringifyJson` serializes the client\'s', async () => {
		expect(await outcome(client({ json: { a: 1 }, stringifyJson: custom }).post('x', { json: { b: 2 } }))).toBe('200; sent: POST application/json "custom:{\\"a\\":1,\\"b\\":2}"');
		expect(await outcome(client({ json: { a: 1 } }).post('x', { stringifyJson: custom }))).toBe('200; sent: POST application/json "custom:{\\"a\\":1}"');
		// An extend() child's own `stringifyJson` serializes the parent's body; a client without one, JSON.stringify.
		expect(await outcome(client({ json: { a: 1 } }).extend({ stringifyJson: custom }).patch('x'))).toBe('200; sent: PATCH application/json "custom:{\\"a\\":1}"');
		expect(await outcome(client({ json: { a: 1 } }).post('x'))).toBe('200; sent: POST application/json "{\\"a\\":1}"');
	});

	it('a BigInt or a cycle: refused in the words a call\'s own gets, also from steadfetch/core and the function form of extend()', async () => {
		const cycle: Record<string, unknown> = {};
		cycle['self'] = cycle;
		// Before: 'Invalid request: Do not know how to serialize a BigInt' (ky's JSON.stringify's words, naming no option).
		expect(await outcome(client({ json: 5n }).post('x'))).toBe('InvalidRequestError INVALID_REQUEST Invalid request: The `json` body cannot be serialized: Do not know how to serialize a BigInt; sent: nothing');
		const core = createCoreClient({ prefix: origin.url, retry: 0, json: cycle });
		expect(await outcome(core.post('x'))).toMatch(/^InvalidRequestError INVALID_REQUEST Invalid request: The `json` body cannot be serialized: Converting circular structure to JSON.*; sent: nothing$/s);
		expect(await outcome(core.extend(() => ({ json: Symbol('x') })).delete('x'))).toBe('InvalidRequestError INVALID_REQUEST Invalid request: The `json` body cannot be serialized: it has no JSON form (a function, a Symbol): give the value to send; sent: nothing');
		core.close();
	});
});

describe('a call\'s own option at createClient() or extend(): its neighbours', () => {
	it('refused by steadfetch/core and by the function form of extend(); `undefined` is not given (made)', () => {
		expect(thrownBy(() => createCoreClient({ waitUntil: () => undefined } as never))).toMatch(/^RangeError `waitUntil` must be given to a call or to withContext\(ctx\)/);
		expect(thrownBy(() => createCoreClient({ idempotencyKey: true } as never))).toMatch(/^RangeError `idempotencyKey` must be given to a call/);
		expect(thrownBy(() => client({}).extend(() => ({ idempotencyKey: 'k' }) as never))).toMatch(/^RangeError `idempotencyKey` must be given to a call/);
		expect(thrownBy(() => client({ waitUntil: undefined, idempotencyKey: undefined }))).toBe('made');
	});

	it('given where they go, they work (a guard): a call\'s `idempotencyKey`, a call\'s and withContext(ctx)\'s `waitUntil`', async () => {
		const keys: Array<string | null> = [];
		const keyed = await serve((request) => {
			keys.push(request.headers.get('idempotency-key'));
			return Response.json({});
		});
		const api = createClient({ prefix: keyed.url, store: memoryStore, name: origin.name(), retry: 0 });
		await api.post('x', { idempotencyKey: 'key-1', json: {} });
		await api.post('x', { idempotencyKey: true, json: {} });
		expect(keys[0]).toBe('key-1');
		expect(keys[1]).toMatch(/^[\da-f-]{36}$/);
		const held: unknown[] = [];
		await api.get('y', { waitUntil: (promise) => void held.push(promise) });
		const called = held.length;
		expect(called).toBeGreaterThan(0);
		await api.withContext({ waitUntil: (promise) => void held.push(promise) }).get('z');
		expect(held.length).toBeGreaterThan(called);
		api.close();
		await keyed.close();
	});
});

describe('`cache` given a Symbol: its neighbours', () => {
	const said = "`cache` is fetch's RequestCache mode (as 'no-store'); the stale cache is configured with `staleCache` (got symbol)";

	it('from a wrapper\'s next({ cache }) and from steadfetch/core: named, nothing sent', async () => {
		const wrapping = { slot: 'h41wrap', create: () => ({ wrap: (_call: unknown, next: (extra: object) => Promise<Response>) => next({ cache: Symbol('reload') }) }) };
		expect(await outcome(client({ h41wrap: wrapping }).get('x'))).toMatch(/^InvalidRequestError INVALID_REQUEST .*\(got symbol\); sent: nothing$/);
		expect(() => createCoreClient({ cache: Symbol('x') } as never)).toThrow(new TypeError(said));
		const core = createCoreClient({ prefix: origin.url, retry: 0 });
		expect(await outcome(core.get('x', { cache: Symbol('x') as never }))).toBe(`InvalidRequestError INVALID_REQUEST ${said}; sent: nothing`);
		core.close();
	});

	it('a mode fetch takes, a String object\'s too, still goes out (a guard)', async () => {
		expect(await outcome(client({}).get('x', { cache: 'no-store' }))).toBe('200; sent: GET null ""');
		expect(await outcome(client({ cache: Object('reload') }).get('x'))).toBe('200; sent: GET null ""');
	});
});

describe('`referrer` and `window` fetch refuses: refused in every build, in one set of words (workerd\'s Request ignores them: test/workerd/input-hunt41.test.ts)', () => {
	const builds: Build[] = ['node', 'browser', 'edge'];
	/** A call's end through `build`'s src/ (its client's `fetch` counted, nothing sent), or what createClient threw. */
	const through = async (build: Build, call: (api: any) => Promise<Response>, options: object = {}): Promise<string> => {
		const { classify, createClient: create } = await loadBuild(build);
		let fetched = 0;
		let api: any;
		try {
			api = create({ store: memoryStore, name: origin.name(), retry: 0, fetch: async () => {
				fetched++;
				return new Response('ok');
			}, ...options } as never);
		} catch (error) {
			return `createClient throws ${(error as Error).constructor.name} ${(error as Error).message}`;
		}

		const result = await call(api).then((response) => String(response.status), (error: unknown) => `${classify(error).code} ${(error as Error).message}`);
		api.close();
		return `${result}; fetch ${fetched}`;
	};

	it.each([['referrer', 'x', 'Referrer "x" is not a valid URL.'], ['referrer', Symbol('r'), 'Cannot convert a Symbol value to a string'], ['window', {}, "'window' option 'client' must be null"]])('%s: %s', async (name, value, words) => {
		for (const build of builds) {
			expect(`${build} ${await through(build, (api) => api.get('https://api.test/x', { [name]: value }))}`).toBe(`${build} INVALID_REQUEST Invalid request: \`${name}\` is refused by fetch: ${words}; fetch 0`);
			expect(await through(build, async () => new Response(), { [name]: value })).toBe(`createClient throws TypeError \`${name}\` is refused by fetch: ${words}`);
		}
	});

	it('Node\'s and the browser\'s builds name a path no base resolves first, with its hint, whatever the referrer (a guard)', async () => {
		for (const build of ['node', 'browser'] as const) {
			expect(await through(build, (api) => api.get('users', { referrer: 'x' }))).toMatch(/give the client an absolute `baseUrl` or `prefix`; fetch 0$/);
		}
	});

	it('a value fetch takes goes out in every build (a guard)', async () => {
		for (const build of builds) {
			expect(await through(build, (api) => api.get('https://api.test/x', { referrer: 'https://app.test/', window: null }))).toBe('200; fetch 1');
			expect(await through(build, (api) => api.get('https://api.test/x'), { referrer: '' })).toBe('200; fetch 1');
		}
	});
});

describe('a call\'s `signal` that is no AbortSignal: its neighbours', () => {
	it('on a client with a signal of its own, an extend() child and a request context: named the same, nothing sent', async () => {
		const own = client({ signal: new AbortController().signal });
		for (const api of [own, own.extend({}), own.withContext({ waitUntil: () => undefined })]) {
			expect(await outcome(api.get('x', { signal: { aborted: false } as never }))).toMatch(/^InvalidRequestError INVALID_REQUEST Invalid request: `signal` is refused by fetch: .*; sent: nothing$/);
		}

		own.close();
	});

	it('an AbortSignal still ends the call, and a falsy one is none, as in ky (a guard)', async () => {
		const api = client({});
		const controller = new AbortController();
		controller.abort();
		expect(await outcome(api.get('x', { signal: controller.signal }))).toMatch(/^\w+ ABORTED .*; sent: nothing$/);
		expect(await outcome(api.get('x', { signal: AbortSignal.timeout(60_000) }))).toBe('200; sent: GET null ""');
		expect(await outcome(api.get('x', { signal: null }))).toBe('200; sent: GET null ""');
		api.close();
	});
});

describe('a deadline already past when its wait starts: no negative timer (Node warns on stderr for one)', () => {
	it('outbox({ networkTimeoutMs }) whose time passed before the attempt (an injected clock that moved on): no TimeoutNegativeWarning', async () => {
		const warnings: string[] = [];
		const warned = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
		process.on('warning', warned);
		// Each reading of the clock 1 s later: the write's deadline (100 ms) is long past when its wait starts.
		let now = 1_000_000;
		const api = client({ clock: { now: () => (now += 1000) }, outbox: outbox({ networkTimeoutMs: 100 }) });
		await api.post('x', { json: { a: 1 } }).catch(() => undefined);
		api.close();
		// Node emits the warning on the next tick of its timers: give it one.
		await new Promise((resolve) => setTimeout(resolve, 20));
		process.off('warning', warned);
		// Before: ['TimeoutNegativeWarning: -3900 is a negative number.\nTimeout duration was set to 1.'].
		expect(warnings.filter((warning) => warning.startsWith('Timeout'))).toEqual([]);
	});
});
