/**
 * Defect hunt, twelfth round (area T, an open pipeline with one owner per call, ky as the engine, bad
 * input, the newcomer). API.md "Option values": "`undefined` means "not given" (the default applies)",
 * and "ky compatibility": "every ky option works unchanged"; API.md "Outbox": a queued write is
 * replayed as it was sent.
 */
import { describe, expect, it, vi } from 'vitest';
import { classify, createClient, type InvalidRequestError, memoryStore, outbox, type OutboxPolicy } from '../../src/entries/index.js';
import type { Client } from '../../src/entries/index.js';
import { createClient as createCore } from '../../src/entries/core.js';
import type { Policy, PolicyCall } from '../../src/entries/policy.js';
import { statusOrClass } from '../helpers/outcome.js';
import { recordingFetch } from '../helpers/recording-fetch.js';

let sends = 0;
const ok = (async () => {
	sends++;
	return new Response('{}');
}) as typeof fetch;

/** Queue a write while the transport is down, then bring it back and replay it now: what each send was. */
const queuedThenReplayed = async (api: Client<{ outbox: OutboxPolicy }>, state: { down: boolean; sent: string[] }, send: () => Promise<Response>) => {
	state.down = true;
	const queued = await statusOrClass(send());
	const first = [...state.sent];
	state.sent.length = 0;
	state.down = false;
	const flushed = await api.outbox.flush();
	return { queued, first, replayed: [...state.sent], flushed: flushed.sent, stored: (await api.outbox.list()).map((entry) => entry.url) };
};

describe('a queued write of a client with `searchParams` is replayed to the URL its first attempt went to', () => {
	const forms: Array<[string, unknown]> = [['an object', { v: '1' }], ['a string', 'v=1'], ['pairs', [['v', '1']]], ['URLSearchParams', new URLSearchParams({ v: '1' })]];

	it('the client\'s searchParams (each form) are not added a second time by the replay', async () => {
		for (const [form, searchParams] of forms) {
			const state = { down: false, sent: [] as string[] };
			const api = createClient({ fetch: recordingFetch(state, { contentType: false }), prefix: 'https://api.example.com/', searchParams: searchParams as never, retry: 0, breaker: false, store: memoryStore, name: `t12-sp-${form}`, outbox: outbox() });
			const seen = await queuedThenReplayed(api, state, () => api.post('todos', { json: { title: 'x' } }));
			expect([form, seen.queued, seen.first]).toEqual([form, 'OutboxQueuedError', ['POST https://api.example.com/todos?v=1 {"title":"x"}']]);
			// before: 'POST https://api.example.com/todos?v=1&v=1 {"title":"x"}' (the client's parameters added again to the stored URL)
			expect([form, seen.replayed, seen.flushed]).toEqual([form, ['POST https://api.example.com/todos?v=1 {"title":"x"}'], 1]);
			api.close();
		}
	});

	it('with the call\'s own searchParams too (and given as `undefined`: not given), the replay sends the first attempt\'s URL', async () => {
		for (const [own, url] of [[{ w: '2' }, 'https://api.example.com/todos?v=1&w=2'], [undefined, 'https://api.example.com/todos?v=1']] as const) {
			const state = { down: false, sent: [] as string[] };
			const api = createClient({ fetch: recordingFetch(state, { contentType: false }), prefix: 'https://api.example.com/', searchParams: { v: '1' }, retry: 0, breaker: false, store: memoryStore, name: `t12-sp-own-${String(own)}`, outbox: outbox() });
			const seen = await queuedThenReplayed(api, state, () => api.post('todos', { json: { title: 'x' }, searchParams: own }));
			expect(seen.first).toEqual([`POST ${url} {"title":"x"}`]);
			// before: '…?v=1&w=2&v=1', '…?v=1&v=1'
			expect(seen.replayed).toEqual([`POST ${url} {"title":"x"}`]);
			api.close();
		}
	});
});

describe('a write whose call gives `prefix`, `baseUrl` or `searchParams` as `undefined` (not given) is the outbox\'s as any other', () => {
	it('queued when it fails, stored with the URL it went to, replayed there', async () => {
		const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, string]> = [
			['prefix', { prefix: 'https://api.example.com/' }, { prefix: undefined }, 'https://api.example.com/todos'],
			['baseUrl', { baseUrl: 'https://api.example.com/' }, { baseUrl: undefined }, 'https://api.example.com/todos'],
			['both', { prefix: 'https://api.example.com/v1', baseUrl: 'https://other.example.com/' }, { prefix: undefined, baseUrl: undefined }, 'https://api.example.com/v1/todos'],
		];
		for (const [label, client, own, url] of cases) {
			const state = { down: false, sent: [] as string[] };
			const api = createClient({ fetch: recordingFetch(state, { contentType: false }), retry: 0, breaker: false, store: memoryStore, name: `t12-undefined-${label}`, outbox: outbox(), ...client });
			const seen = await queuedThenReplayed(api, state, () => api.post('todos', { json: { title: 'x' }, ...own }));
			expect([label, seen.first]).toEqual([label, [`POST ${url} {"title":"x"}`]]);
			// before: 'NetworkError', nothing stored (the outbox read the call's `undefined` as "no prefix": a URL it cannot replay)
			expect([label, seen.queued, seen.replayed]).toEqual([label, 'OutboxQueuedError', [`POST ${url} {"title":"x"}`]]);
			api.close();
		}
	});

	it('the client\'s sensitive searchParams stay the client\'s when the call gives `searchParams: undefined`: never stored', async () => {
		const state = { down: true, sent: [] as string[] };
		const api = createClient({ fetch: recordingFetch(state, { contentType: false }), prefix: 'https://api.example.com/', searchParams: { token: 'SECRET-12' }, retry: 0, breaker: false, store: memoryStore, name: 't12-undefined-secret', outbox: outbox() });
		expect(await statusOrClass(api.put('todos/1', { body: 'x', searchParams: undefined }))).toBe('NetworkError');
		expect(state.sent).toEqual(['PUT https://api.example.com/todos/1?token=SECRET-12 x']);
		expect(await api.outbox.list()).toEqual([]);
		api.close();
	});
});

describe('per call `{ [slot]: false }` turns an app\'s policy off for the call, its `settled` too', () => {
	it('a policy made of `settled` alone (an outcome counter) is not told of a call that turned it off; one with `ownSwitch` still is', async () => {
		const told: string[] = [];
		const counter = (slot: string, ownSwitch?: true): Policy => ({
			slot,
			create: () => ({ ...ownSwitch && { ownSwitch }, settled: (call: PolicyCall, response: Response | undefined) => told.push(`${slot} ${new URL(call.request!.url).pathname} ${response?.status}`) }),
		});
		for (const entry of [createCore, createClient] as Array<(options: never) => ReturnType<typeof createCore>>) {
			told.length = 0;
			const api = entry({ fetch: (async () => new Response('ok')) as typeof fetch, prefix: 'https://api.example.com/', store: memoryStore, counted: counter('counted'), own: counter('own', true) } as never) as ReturnType<typeof createCore>;
			await api.get('on').text();
			await api.get('off', { counted: false, own: false } as never).text();
			// before: ['counted /on 200', 'own /on 200', 'counted /off 200', 'own /off 200'] (told of the call that turned it off)
			expect(told.sort()).toEqual(['counted /on 200', 'own /off 200', 'own /on 200']);
			api.close();
		}
	});
});

describe('a `json` body that cannot be serialized is refused naming `json`, on every path', () => {
	it('a BigInt, a cycle, a stringifyJson that throws: InvalidRequestError "The `json` body cannot be serialized: …", the thrown error among its causes, nothing sent', async () => {
		const cycle: Record<string, unknown> = {};
		cycle['self'] = cycle;
		const thrown = new Error('no JSON today');
		const cases: Array<[string, Record<string, unknown>, string]> = [
			['BigInt', { json: { n: 1n } }, 'Do not know how to serialize a BigInt'],
			['cycle', { json: cycle }, 'Converting circular structure to JSON'],
			['stringifyJson throws', { json: {}, stringifyJson: () => {
				throw thrown;
			} }, 'no JSON today'],
		];
		const clients: Array<[string, () => ReturnType<typeof createCore>]> = [
			['core', () => createCore({ fetch: ok, prefix: 'https://api.example.com/' })],
			['preset', () => createClient({ fetch: ok, prefix: 'https://api.example.com/', store: memoryStore }) as never],
			['preset + outbox', () => createClient({ fetch: ok, prefix: 'https://api.example.com/', store: memoryStore, outbox: outbox() }) as never],
		];
		for (const [name, make] of clients) {
			for (const [label, options, reason] of cases) {
				const api = make();
				const error = await api.post('todos', options).then(() => undefined, (failure: unknown) => failure as InvalidRequestError);
				// before (core, preset): 'Invalid request: Do not know how to serialize a BigInt' (naming no option)
				expect([name, label, error?.code, error?.message.startsWith(`Invalid request: The \`json\` body cannot be serialized: ${reason}`) || error?.message.startsWith(`The \`json\` body cannot be serialized: ${reason}`)]).toEqual([name, label, 'INVALID_REQUEST', true]);
				// What was thrown is in its causes (the outbox's error has it as its own).
				const causes = [error?.cause, (error?.cause as Error | undefined)?.cause];
				expect([name, label, causes.includes(thrown) || label !== 'stringifyJson throws']).toEqual([name, label, true]);
				api.close();
			}
		}

		expect(sends).toBe(0);
	});
});

describe('an attempt that resolves with no Response says where it came from', () => {
	const noResponses: Array<[string, unknown]> = [['undefined', undefined], ['null', null], ['a string', 'ok'], ['a plain object', { status: 200, ok: true }]];

	it('a custom `fetch` (a test\'s `vi.fn()`, a mock that forgot to return): a TypeError naming `fetch`, not "Cannot read properties of undefined (reading \'status\')"', async () => {
		for (const [label, value] of noResponses) {
			for (const [name, make] of [['core', createCore], ['preset', createClient]] as Array<[string, (options: never) => ReturnType<typeof createCore>]>) {
				const api = make({ fetch: (async () => value) as never, prefix: 'https://api.example.com/', retry: 0, store: memoryStore, name: `t12-fetch-${label}` } as never) as ReturnType<typeof createCore>;
				for (const method of ['get', 'post'] as const) {
					const error = await api[method]('x').then(() => undefined, (failure: unknown) => failure as Error);
					// before: 'Cannot read properties of undefined (reading \'status\')', 'Invalid value used as weak map key', 'Cannot read properties of undefined (reading \'get\')'
					expect([name, label, method, error?.constructor.name, error?.message]).toEqual([name, label, method, 'TypeError', `\`fetch\` resolved no Response (got ${value === null ? 'null' : typeof value})`]);
					expect(classify(error).code).toBe('UNKNOWN');
				}

				api.close();
			}
		}
	});

	it('a policy\'s layer: a TypeError naming the layer, not "Invalid value used as weak map key"', async () => {
		for (const [label, value] of noResponses) {
			const api = createCore({ fetch: ok, prefix: 'https://api.example.com/', retry: 0, audit: { slot: 'audit', create: () => ({ layer: () => async () => value }) } } as never);
			const error = await api.get('x').then(() => undefined, (failure: unknown) => failure as Error);
			expect([label, error?.constructor.name, error?.message]).toEqual([label, 'TypeError', `A policy's layer resolved no Response (got ${value === null ? 'null' : typeof value})`]);
			api.close();
		}
	});
});

describe('the preset\'s `breaker` and `staleCache` of a wrong type are refused with the forms the preset takes', () => {
	it('a number, a string, null or a list: a RangeError naming the plain options, `true` and `false` (the preset\'s forms), never "a policy (from `steadfetch/cache`)" alone', () => {
		for (const [slot, example] of [['breaker', 'consecutiveFailures'], ['staleCache', 'maxStaleMs']] as const) {
			for (const bad of [60_000, 'on', null, [], [{ openMs: 5 }]]) {
				let error: unknown;
				try {
					createClient({ store: memoryStore, [slot]: bad } as never).close();
				} catch (caught) {
					error = caught;
				}

				// before: "`staleCache` must be a policy (from `steadfetch/cache`) or false, as `staleCache: staleCache(…)`; got 60000";
				// for a list, "`breaker()` takes an options object; got []" (a factory the caller never called)
				expect([slot, bad, (error as Error)?.constructor.name, (error as Error)?.message.startsWith(`\`${slot}\` must be its options ({ ${example}, … }), true or false, or the policy ${slot}() makes; got `)]).toEqual([slot, bad, 'RangeError', true]);
			}
		}
	});
});

describe('a policy whose create() gives back a promise (an `async create`) is refused at createClient', () => {
	it('a TypeError naming the slot, the parts made closed; never a client where the policy silently does nothing', async () => {
		for (const entry of [createCore, createClient] as Array<(options: never) => ReturnType<typeof createCore>>) {
			const closed: string[] = [];
			const early: Policy = { slot: 'early', at: { wrap: 1 }, create: () => ({ close: () => closed.push('early') }) };
			const later: Policy = { slot: 'later', create: (async () => ({ layer: (next: never) => next, close: () => closed.push('later') })) as never };
			let error: unknown;
			try {
				entry({ fetch: ok, store: memoryStore, early, later } as never).close();
			} catch (caught) {
				error = caught;
			}

			// before: no error (the client made, `later`'s layer never in place)
			expect([(error as Error)?.constructor.name, (error as Error)?.message, closed]).toEqual(['TypeError', 'The `later` policy\'s create() must return its parts (an object); got a promise: create() runs synchronously', ['early']]);
			// Its parts, made after all, are closed when they come (no timer or listener of theirs left running).
			await vi.waitFor(() => expect(closed).toEqual(['early', 'later']));
		}
	});
});
