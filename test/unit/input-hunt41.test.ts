/**
 * Defect hunt, forty-first round (bad input and the newcomer's frictions), against a real loopback server.
 *
 * - A `json` body given to `createClient` or `extend()` (a default body for every call, as ky takes one) was serialized
 *   by ky's `JSON.stringify`, not by the client's own `stringifyJson` (ky uses it: `custom` sent as '{"a":1}'), and one
 *   that cannot be serialized (a Symbol, a function) went out as `Content-Type: application/json` with an empty body,
 *   where the same `json` given to the call is an `InvalidRequestError` naming `json` before any I/O.
 * - A call's own option given to `createClient()` or `extend()` was taken and never read: `waitUntil` (checked as a
 *   function, then no call's background work went to it: the stale copy written behind the call dropped in a Worker)
 *   and `idempotencyKey` (no call keyed, and a string would be one key for every call). Now a RangeError naming it,
 *   as a client's own option given to a call is an `InvalidRequestError` naming it.
 * - `cache: Symbol()` threw the engine's "Cannot convert a Symbol value to a string" at `createClient` (and rejected a call
 *   with it), naming no option, where any other value fetch has no `RequestCache` mode for is named.
 * - A call's `signal` that is no AbortSignal (`{}`, `'x'`, `5`) rejected with "Invalid request: signals[0] is not of type
 *   AbortSignal." (`AbortSignal.any`'s words inside ky), naming no option, where the same value given to `createClient`
 *   is "`signal` is refused by fetch: …". Now the call's error names `signal` in those words.
 * - `breaker({ windowMs: Infinity })` said it "must be a positive number of ms" (Infinity is one), where every other
 *   window (`retryBudget`, `health()`, `adaptiveThrottle()`) says "a positive finite number of ms".
 * - Options that cannot be read (a Proxy whose `get` trap throws): `extend()` threw the trap's own error (`Error: trap`)
 *   where `createClient()` and `create()` throw "TypeError: The client's options could not be read: trap", and
 *   `outbox.clear(options)` rejected with it (`UNKNOWN`) where `client.clear(options)` rejects `InvalidRequestError`.
 * - `fetchHandler(client, 5)` (options that are no object) said "`fetchHandler.match` must be a URLPattern or a function of
 *   the request; got undefined", naming what it did not get, where every factory says "`logger()` takes an options
 *   object; got 5".
 */
import ky from 'ky';
import { describe, expect, it } from 'vitest';
import { breaker, classify, createClient, InvalidRequestError, memoryStore, outbox } from '../../src/entries/index.js';
import { health } from '../../src/entries/health.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { logger } from '../../src/entries/logger.js';
import { notingOriginForFile } from '../helpers/noting-origin.js';
import { thrownBy } from '../helpers/outcome.js';

const origin = notingOriginForFile('h41-input');
const { outcome, client } = origin;
const custom = (value: unknown): string => `custom:${typeof value}`;

describe('a `json` body given to createClient() or extend(): serialized as a call\'s own is', () => {
	it('with the client\'s `stringifyJson`, as ky does', async () => {
		// ky's own behaviour, the reference.
		expect(await outcome(ky.create({ prefix: origin.url, json: { a: 1 }, stringifyJson: custom }).post('x'))).toBe('200; sent: POST application/json "custom:object"');
		// Before: 'POST application/json "{\"a\":1}"' (ky's JSON.stringify: the client's own was not given to ky).
		expect(await outcome(client({ json: { a: 1 }, stringifyJson: custom }).post('x'))).toBe('200; sent: POST application/json "custom:object"');
		expect(await outcome(client({ stringifyJson: custom }).extend({ json: { b: 2 } }).post('x'))).toBe('200; sent: POST application/json "custom:object"');
	});

	it.each([['a Symbol', Symbol('x')], ['a function', () => 1]])('one that cannot be serialized (%s): InvalidRequestError naming `json`, nothing sent', async (_, json) => {
		const refused = 'InvalidRequestError INVALID_REQUEST Invalid request: The `json` body cannot be serialized: it has no JSON form (a function, a Symbol): give the value to send; sent: nothing';
		// The same json given to the call: refused (the reference).
		expect(await outcome(client({}).post('x', { json }))).toBe(refused);
		// Before: '200; sent: POST application/json ""' (an empty body).
		expect(await outcome(client({ json }).post('x'))).toBe(refused);
		expect(await outcome(client({}).extend({ json }).put('x'))).toBe(refused);
	});
});

describe('a call\'s own option given to createClient() or extend(): a RangeError naming it, never taken and ignored', () => {
	it('waitUntil: no call\'s background work went to it', async () => {
		const held: unknown[] = [];
		const waitUntil = (promise: Promise<unknown>): void => void held.push(promise);
		// The reference: given to the call, the copy's write behind it goes to it.
		const api = client({});
		expect(await outcome(api.get('x', { waitUntil }))).toBe('200; sent: GET null ""');
		expect(held.length).toBeGreaterThan(0);
		api.close();
		const said = 'RangeError `waitUntil` must be given to a call or to withContext(ctx), not to createClient() or extend(); got function';
		// Before: 'made', and its calls' background work went to none (held 0 after a call).
		expect(thrownBy(() => client({ waitUntil }))).toBe(said);
		expect(thrownBy(() => client({}).extend({ waitUntil } as never))).toBe(said);
	});

	it.each([[true], ['key-1']])('idempotencyKey: %j keyed no call', (idempotencyKey) => {
		const said = `RangeError \`idempotencyKey\` must be given to a call (one key per write), not to createClient() or extend(); got ${JSON.stringify(idempotencyKey)}`;
		// Before: 'made', and a POST went out with no Idempotency-Key.
		expect(thrownBy(() => client({ idempotencyKey }))).toBe(said);
		expect(thrownBy(() => client({}).extend({ idempotencyKey } as never))).toBe(said);
	});
});

describe('`cache` given a Symbol: named as any other value that is no RequestCache mode', () => {
	const said = "`cache` is fetch's RequestCache mode (as 'no-store'); the stale cache is configured with `staleCache` (got symbol)";

	it('at createClient and extend(): a TypeError naming `cache`', () => {
		// Before: 'TypeError Cannot convert a Symbol value to a string'.
		expect(() => client({ cache: Symbol('no-store') })).toThrow(new TypeError(said));
		expect(() => client({}).extend({ cache: Symbol('no-store') } as never)).toThrow(new TypeError(said));
	});

	it('per call: InvalidRequestError naming `cache`, nothing sent', async () => {
		// Before: 'InvalidRequestError INVALID_REQUEST Cannot convert a Symbol value to a string'.
		expect(await outcome(client({}).get('x', { cache: Symbol('no-store') as never }))).toBe(`InvalidRequestError INVALID_REQUEST ${said}; sent: nothing`);
	});
});

describe('a call\'s `signal` that is no AbortSignal: its error names `signal`, as createClient\'s does', () => {
	it.each([[{}], ['x'], [5]])('%j', async (signal) => {
		let said = '';
		try {
			client({ signal });
		} catch (error) {
			said = (error as Error).message;
		}

		expect(said).toMatch(/^`signal` is refused by fetch: /);
		// Before: 'InvalidRequestError INVALID_REQUEST Invalid request: signals[0] is not of type AbortSignal.; sent: nothing'.
		expect(await outcome(client({}).get('x', { signal } as never))).toBe(`InvalidRequestError INVALID_REQUEST Invalid request: ${said}; sent: nothing`);
	});
});

describe('a window that is no positive finite number: the same words for every window option', () => {
	it.each([[Number.POSITIVE_INFINITY], [-1], ['5']])('%s', (windowMs) => {
		const said = (name: string): string => `\`${name}\` must be a positive finite number of ms; got ${typeof windowMs === 'string' ? JSON.stringify(windowMs) : windowMs}`;
		// The neighbours, the reference.
		expect(() => client({ retryBudget: { windowMs } })).toThrow(new RangeError(said('retryBudget.windowMs')));
		expect(() => health({ windowMs } as never)).toThrow(new RangeError(said('health.windowMs')));
		expect(() => adaptiveThrottle({ windowMs } as never)).toThrow(new RangeError(said('adaptiveThrottle.windowMs')));
		// Before: '`breaker.windowMs` must be a positive number of ms; got Infinity'.
		expect(() => breaker({ windowMs } as never)).toThrow(new RangeError(said('breaker.windowMs')));
		expect(() => client({ breaker: { windowMs } as never })).toThrow(new RangeError(said('breaker.windowMs')));
	});
});

describe('options that cannot be read (a Proxy whose get trap throws): refused as any bad value, never the trap\'s own error', () => {
	const unreadable = (): object => new Proxy({}, { get: () => {
		throw new Error('trap');
	} });

	it('extend(): the TypeError createClient() and create() throw', () => {
		const api = client({});
		const said = new TypeError('The client\'s options could not be read: trap');
		// The neighbours, the reference.
		expect(() => createClient(unreadable() as never)).toThrow(said);
		expect(() => api.create(unreadable() as never)).toThrow(said);
		// Before: 'Error: trap'.
		expect(() => api.extend(unreadable() as never)).toThrow(said);
		expect(() => api.extend(() => unreadable() as never)).toThrow(said);
		api.close();
	});

	it('outbox.clear(): InvalidRequestError, as client.clear(), nothing removed', async () => {
		const api = createClient({ prefix: origin.url, store: memoryStore, name: origin.name(), outbox: outbox() });
		await expect(api.clear(unreadable() as never)).rejects.toThrow(InvalidRequestError);
		// Before: rejected with 'Error: trap' (classify: UNKNOWN).
		const error = await api.outbox.clear(unreadable() as never).catch((thrown: unknown) => thrown);
		expect([(error as Error).constructor.name, classify(error).code, (error as Error).message]).toEqual(['InvalidRequestError', 'INVALID_REQUEST', '`outbox.clear()` takes nothing or `{ identity }` with a non-empty string: nothing removed']);
		api.close();
	});
});

describe('fetchHandler(client, options) given options that are no object: said as every factory says it', () => {
	it.each([[5], ['x'], [[]], [Object(5)]])('%o', (options) => {
		const api = client({});
		const sink = { info: () => undefined, warn: () => undefined, error: () => undefined };
		const got = (() => {
			try {
				logger(sink, options as never);
			} catch (error) {
				return (error as Error).message.replace(/^`logger\(\)`/, '');
			}

			return 'made';
		})();
		// Before: 'RangeError `fetchHandler.match` must be a URLPattern or a function of the request; got undefined'.
		expect(() => fetchHandler(api, options as never)).toThrow(new TypeError(`\`fetchHandler()\`${got}`));
		api.close();
	});

	it('no options, or options without match: the missing match named as before (a guard)', () => {
		const api = client({});
		expect(() => fetchHandler(api, undefined as never)).toThrow(new RangeError('`fetchHandler.match` must be a URLPattern or a function of the request; got undefined'));
		expect(() => fetchHandler(api, {} as never)).toThrow(new RangeError('`fetchHandler.match` must be a URLPattern or a function of the request; got undefined'));
		api.close();
	});
});
