/**
 * The open pipeline (issue 45, API.md "Your own policies: an open pipeline"): each policy brings its
 * bands; the built-ins' bands (src/bands/bands.ts) reproduce the two orders the library had;
 * an app's own policy fills its own slot, is placed by its band, is turned off per call with
 * `{ [slot]: false }`; a policy's faults stay its own.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { auth } from '../../src/auth/index.js';
import { breaker } from '../../src/breaker/index.js';
import { bulkhead } from '../../src/bulkhead/index.js';
import { staleCache } from '../../src/cache/index.js';
import type { Policy, PolicyParts } from '../../src/entries/policy.js';
import { dedupe } from '../../src/dedupe/index.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { classify, createClient, CircuitOpenError, InvalidRequestError, isStale, SteadfetchError, ThrottledError, type SteadfetchErrorCode } from '../../src/entries/index.js';
import { failover } from '../../src/failover/index.js';
import { health } from '../../src/health/index.js';
import { hedge } from '../../src/hedge/index.js';
import { logger } from '../../src/logger/index.js';
import { outbox } from '../../src/outbox/index.js';
import { rateLimit } from '../../src/rate-limit/index.js';
import { adaptiveThrottle } from '../../src/throttle/index.js';
import { trace } from '../../src/trace/index.js';
import { outcomeOf } from '../helpers/outcome.js';

const sink = { info() {}, warn() {}, error() {} };
const builtIns: Policy[] = [
	auth({ token: () => 't', refresh: async () => 't' }), trace(), outbox(), staleCache(), failover({ mirrors: { 'https://api.test': ['https://mirror.test'] } }), dedupe(), hedge(), adaptiveThrottle(),
	bulkhead({ maxConcurrent: 1 }), rateLimit({ perSecond: 1 }), breaker(), logger(sink), health(),
];

/** Slot names ordered by a band, lower outside, ties by name. */
const orderBy = (which: 'wrap' | 'layer') => builtIns
	.map((policy) => ({ slot: policy.slot, band: policy.at?.[which] ?? 1_000 }))
	.sort((a, b) => a.band - b.band || (a.slot < b.slot ? -1 : 1))
	.map(({ slot }) => slot);

/** A policy of `slot` whose layer notes `name` in `seen` on each attempt. */
const noting = (slot: string, seen: string[], at?: Policy['at'], more: Partial<PolicyParts> = {}): Policy => ({
	slot,
	...(at ? { at } : {}),
	create: () => ({
		layer: (next) => (request, init) => {
			seen.push(slot);
			return next(request, init);
		},
		...more,
	}),
});

const ok = (async () => new Response('ok')) as typeof fetch;
const down = (async () => new Response('down', { status: 503 })) as typeof fetch;

describe('the open pipeline: bands', () => {
	it('the built-ins\' bands reproduce the wrappers\' order and the layers\' order the library had', () => {
		expect(orderBy('wrap')).toEqual(['auth', 'trace', 'outbox', 'staleCache', 'failover', 'dedupe', 'hedge', 'adaptiveThrottle', 'bulkhead', 'rateLimit', 'breaker', 'logger', 'health']);
		expect(orderBy('layer')).toEqual(['logger', 'auth', 'outbox', 'staleCache', 'failover', 'dedupe', 'hedge', 'trace', 'adaptiveThrottle', 'bulkhead', 'rateLimit', 'breaker', 'health']);
		for (const policy of builtIns) {
			expect([policy.slot, policy.at!.wrap! >= 100 && policy.at!.wrap! <= 900 && policy.at!.layer! >= 100 && policy.at!.layer! <= 900]).toEqual([policy.slot, true]);
		}
	});

	it('an app\'s layers sit by their bands, whatever the order of the options; without a band, at 1 000; ties by slot name', async () => {
		const seen: string[] = [];
		const api = createCore({ fetch: ok, zeta: noting('zeta', seen, { layer: 5 }), late: noting('late', seen), alpha: noting('alpha', seen, { layer: 5 }), mid: noting('mid', seen, { layer: 999 }) } as never);
		await api.get('https://api.test/a');
		expect(seen).toEqual(['alpha', 'zeta', 'mid', 'late']);
	});

	it('a layer band places an app\'s layer against a built-in: outside the breaker (650) it sees a refused attempt, inside (750) it does not', async () => {
		for (const [band, reached] of [[650, 3], [750, 2]] as const) {
			const seen: string[] = [];
			const api = createCore({ fetch: down, retry: 0, breaker: breaker({ consecutiveFailures: 2 }), probe: noting('probe', seen, { layer: band }) } as never);
			await expect(api.get('https://api.test/a')).rejects.toThrow();
			await expect(api.get('https://api.test/a')).rejects.toThrow();
			await expect(api.get('https://api.test/a')).rejects.toBeInstanceOf(CircuitOpenError);
			expect([band, seen.length]).toEqual([band, reached]);
		}
	});

	it('wrappers sit by their wrap bands: lower outside', async () => {
		const seen: string[] = [];
		const wrapping = (slot: string, band: number): Policy => ({
			slot,
			at: { wrap: band },
			create: () => ({
				wrap: async (_call, next) => {
					seen.push(`${slot} in`);
					const response = await next();
					seen.push(`${slot} out`);
					return response;
				},
			}),
		});
		const api = createCore({ fetch: ok, inner: wrapping('inner', 2), outer: wrapping('outer', 1) } as never);
		await api.get('https://api.test/a');
		expect(seen).toEqual(['outer in', 'inner in', 'inner out', 'outer out']);
	});
});

describe('the open pipeline: slots', () => {
	it('an app\'s own slot works in the core and in the preset; per call `{ [slot]: false }` turns it off, wrapper and layer', async () => {
		for (const make of [createCore, createClient as unknown as typeof createCore]) {
			const seen: string[] = [];
			const wrapped: string[] = [];
			const api = make({ fetch: ok, mine: noting('mine', seen, undefined, { wrap: (call, next) => {
				wrapped.push(call.method);
				return next();
			} }) } as never);
			await api.get('https://api.test/a');
			await api.get('https://api.test/b', { mine: false } as never);
			expect([seen, wrapped]).toEqual([['mine'], ['GET']]);
		}
	});

	it('a built-in is turned off per call the same way (`{ dedupe: false }`)', async () => {
		let sent = 0;
		const slow = (async () => {
			sent++;
			await new Promise((resolve) => setTimeout(resolve, 20));
			return new Response('ok');
		}) as typeof fetch;
		const api = createCore({ fetch: slow, dedupe: dedupe() });
		await Promise.all([api.get('https://api.test/a'), api.get('https://api.test/a')]);
		expect(sent).toBe(1);
		await Promise.all([api.get('https://api.test/a', { dedupe: false }), api.get('https://api.test/a', { dedupe: false })]);
		expect(sent).toBe(3);
	});

	it('a policy under another key, built-in or not, is a TypeError naming both', () => {
		expect(() => createCore({ mine: noting('yours', []) } as never)).toThrow(TypeError);
		expect(() => createCore({ mine: noting('yours', []) } as never)).toThrow(/`mine`.*`yours`/);
		expect(() => createCore({ bulkhead: breaker() } as never)).toThrow(/`bulkhead`.*`breaker`/);
		expect(() => createClient({ audit: dedupe() } as never)).toThrow(/`audit`.*`dedupe`/);
	});
});

describe('the open pipeline: a policy\'s faults stay its own', () => {
	it('a band that is not a finite number, or an `at` that is not an object, is a TypeError naming the slot', () => {
		for (const at of [{ layer: Number.NaN }, { wrap: Infinity }, { layer: '5' }, { wrap: null }, 5, 'x', null]) {
			// `at` given as it is (null too: only `undefined` is "not given").
			const mine = { slot: 'mine', at, create: () => ({ layer: (next: unknown) => next }) };
			expect(() => createCore({ mine } as never)).toThrow(TypeError);
			expect(() => createCore({ mine } as never)).toThrow(/`mine`/);
		}
	});

	it('a band given as a string reads as one in the message (not as the number it is not)', () => {
		const mine = { slot: 'mine', at: { layer: '450' }, create: () => ({ layer: (next: unknown) => next }) };
		// Before: "… `at.layer` must be a finite number; got 450".
		expect(() => createCore({ mine } as never)).toThrow('The `mine` policy\'s `at.layer` must be a finite number; got "450"');
	});

	it('an `at` given as a string (a band written without its object) reads as one in the message too', () => {
		const mine = { slot: 'mine', at: '450', create: () => ({ layer: (next: unknown) => next }) };
		expect(() => createCore({ mine } as never)).toThrow('The `mine` policy\'s `at` must be an object of bands ({ wrap?, layer? }), not "450"');
	});

	it('a create() that throws makes createClient throw it, the parts already made closed', () => {
		const closed: string[] = [];
		const fault = new Error('cannot');
		const made = (slot: string): Policy => ({ slot, create: () => ({ close: () => closed.push(slot) }) });
		const api = () => createCore({ first: made('first'), broken: { slot: 'broken', create: () => { throw fault; } }, last: made('last') } as never);
		expect(api).toThrow(fault);
		expect(closed).toEqual(['first']);
	});

	it('a create() that returns no object (undefined, null, a number, a string) is a TypeError naming the slot at createClient, the parts already made closed', () => {
		for (const returned of [undefined, null, 5, 'parts']) {
			const closed: string[] = [];
			const made = (slot: string): Policy => ({ slot, create: () => ({ close: () => closed.push(slot) }) });
			let error: unknown;
			try {
				createCore({ first: made('first'), broken: { slot: 'broken', create: () => returned as never }, last: made('last') } as never);
			} catch (caught) {
				error = caught;
			}

			expect([returned, error instanceof TypeError && (error as Error).message]).toEqual([returned, expect.stringMatching(/^The `broken` policy's create\(\) must return its parts/)]);
			expect(closed).toEqual(['first']);
		}
	});

	it('close() calls every part\'s close() once, even when one throws, and does not throw', () => {
		const closed: string[] = [];
		const part = (slot: string, fails = false): Policy => ({
			slot,
			create: () => ({
				close: () => {
					closed.push(slot);
					if (fails) {
						throw new Error('close failed');
					}
				},
			}),
		});
		const api = createCore({ a: part('a', true), b: part('b'), breaker: breaker() } as never);
		expect(() => api.close()).not.toThrow();
		api.close();
		expect(closed.sort()).toEqual(['a', 'b']);
	});

	it('a substituted() that throws changes nothing of a failed call: the caller gets its error (or its fallback), the watchers are told, no unhandled rejection, direct or wrapped', async () => {
		const seen: unknown[] = [];
		const confused: Policy = {
			slot: 'confused',
			create: () => ({
				substituted: () => {
					throw new Error('cannot tell');
				},
				settled: (_call, response, error) => seen.push(response?.status ?? classify(error).code),
			}),
		};
		const api = createCore({ fetch: down, retry: 0, confused } as never);
		expect(classify(await api.get('https://api.test/a').catch((error: unknown) => error)).code).toBe('HTTP_5XX');
		expect(classify(await createClient({ fetch: down, retry: 0, confused } as never).get('https://api.test/b').catch((error: unknown) => error)).code).toBe('HTTP_5XX');
		expect(await api.get('https://api.test/a', { fallback: 'degraded' }).text()).toBe('"degraded"');
		expect(seen).toEqual(['HTTP_5XX', 'HTTP_5XX', 'HTTP_5XX']);
		expect(api.stats()['https://api.test']?.failures).toEqual({ HTTP_5XX: 2 });
	});

	it('a layer that answers a call no wrapper of its applies to (ky\'s own promise) fails it with the error it answered, or a TypeError saying so: never an object that is no Error', async () => {
		const refusal = new Error('not today');
		let outcome: Response | Error = refusal;
		const answering: Policy = { slot: 'answering', create: (context) => ({ layer: () => (_request, init) => context.answer(init!.steadfetch!, outcome) }) };
		const api = createCore({ fetch: ok, retry: 0, answering } as never);
		expect(await api.get('https://api.test/a').catch((error: unknown) => error)).toBe(refusal);
		outcome = new Response('from the layer');
		const error = await api.get('https://api.test/a').catch((caught: unknown) => caught);
		expect([error instanceof TypeError, (error as Error).message]).toEqual([true, expect.stringContaining('answer()')]);
	});

	it('an answer() made after the attempt went out (its next() resolved) ends nothing: the call\'s own outcome stands (its HTTPError, an afterResponse hook\'s error, its response)', async () => {
		// A layer that calls answer() once its attempt is back, without returning it: no attempt was ended without I/O.
		const late: Policy = {
			slot: 'late',
			create: (context) => ({
				wrap: async (_call, next) => next(),
				layer: (next) => async (request, init) => next(request, init).then((response) => {
					context.answer(init!.steadfetch!, new Response('late answer')).catch(() => undefined);
					return response;
				}),
			}),
		};
		const outcome = async (promise: Promise<Response>) => promise.then(async (response) => [response.status, await response.text()], (error: unknown) => classify(error).code);
		expect(await outcome(createCore({ fetch: down, retry: 0, late } as never).get('https://api.test/a'))).toBe('HTTP_5XX');
		const refused = createCore({ fetch: ok, retry: 0, late, hooks: { afterResponse: [() => { throw new Error('refused by a hook'); }] } } as never);
		expect(await refused.get('https://api.test/a').catch((error: unknown) => (error as Error).message)).toBe('refused by a hook');
		expect(await outcome(createCore({ fetch: ok, retry: 0, late } as never).get('https://api.test/a'))).toEqual([200, 'ok']);
	});

	it('two layers answering one attempt: the first answer (the inner layer\'s, made without I/O) is the call\'s; an outer layer cannot replace it unseen', async () => {
		const outer: Policy = {
			slot: 'outer',
			at: { layer: 400 },
			create: (context) => ({ wrap: async (_call, next) => next(), layer: (next) => async (request, init) => next(request, init).catch(() => context.answer(init!.steadfetch!, new Response('from the outer layer'))) }),
		};
		const inner: Policy = {
			slot: 'inner',
			at: { layer: 500 },
			create: (context) => ({ wrap: async (_call, next) => next(), layer: () => async (_request, init) => context.answer(init!.steadfetch!, new Response('from the inner layer')) }),
		};
		expect(await createCore({ fetch: ok, retry: 0, outer, inner } as never).get('https://api.test/a').text()).toBe('from the inner layer');
	});

	it('a stats() that throws leaves the client\'s stats() whole: the counters and the other policies\' views', async () => {
		const viewing: Policy = { slot: 'viewing', create: () => ({ stats: () => ({ seen: 1 }) }) };
		const failing: Policy = { slot: 'failing', create: () => ({ stats: () => { throw new Error('cannot count'); } }) };
		const api = createCore({ fetch: ok, failing, viewing } as never);
		await api.get('https://api.test/a');
		expect(api.stats()['https://api.test']).toMatchObject({ requests: 1, successes: 1, seen: 1 });
		api.close();
	});

	it('a layer, or a custom fetch, that throws synchronously fails that call only: the built-ins above it keep nothing of it (a bulkhead slot, the breaker\'s probe)', async () => {
		let throws = true;
		const fault = new Error('thrown at once');
		const sync = (): never => {
			throw fault;
		};
		const inner: Policy = { slot: 'inner', create: () => ({ layer: (next) => (request, init) => (throws ? sync() : next(request, init)) }) };
		const fetchThrowing = ((request: Request) => (throws ? sync() : ok(request))) as typeof fetch;
		for (const options of [{ fetch: ok, inner }, { fetch: fetchThrowing }]) {
			throws = true;
			const api = createCore({ ...options, retry: 0, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }), breaker: breaker({ share: false }) } as never);
			const error = await api.get('https://api.test/a').catch((caught: unknown) => caught);
			expect([error, classify(error).code]).toEqual([fault, 'UNKNOWN']);
			throws = false;
			expect((await api.get('https://api.test/a')).status).toBe(200); // the bulkhead's one slot is free again
			api.close();
		}

		// The breaker's half-open probe that throws at once (in a layer inside it, or in the fetch) frees its slot,
		// counted as nothing: the next call is the probe.
		for (const own of [{ inner }, {}]) {
			let now = 0;
			let down = true;
			const below = (async (request: Request) => (down ? Promise.reject(new TypeError('Failed to fetch')) : ok(request))) as typeof fetch;
			const transport = own.inner ? below : ((request: Request) => (throws ? sync() : below(request))) as typeof fetch;
			const api = createCore({ fetch: transport, ...own, retry: 0, clock: { now: () => now }, breaker: breaker({ share: false, consecutiveFailures: 1, openMs: 1_000 }) } as never);
			throws = false;
			await api.get('https://api.test/a').catch(() => undefined);
			expect(api.breaker('https://api.test').state).toBe('open');
			now = 2_000;
			down = false;
			throws = true;
			expect(await api.get('https://api.test/a').catch((caught: unknown) => caught)).toBe(fault);
			throws = false;
			expect((await api.get('https://api.test/a')).status).toBe(200);
			expect(api.breaker('https://api.test').state).toBe('closed');
			api.close();
		}
	});
});

describe('the open pipeline: a wrapper\'s faults', () => {
	it('a wrap or an appliesTo that throws at once rejects that call (never a throw from the client method), in the core and the preset, a read and a write; the next call is answered', async () => {
		const fault = new Error('thrown at once');
		let throws = true;
		const sync = (): never => {
			throw fault;
		};
		const wrapping: Policy = { slot: 'wrapping', create: () => ({ wrap: (_call, next) => (throws ? sync() : next()) }) };
		const applying: Policy = { slot: 'applying', create: () => ({ wrap: (_call, next) => next(), appliesTo: () => (throws ? sync() : true) }) };
		for (const own of [{ wrapping }, { applying }]) {
			for (const make of [createCore, createClient] as Array<(options: object) => ReturnType<typeof createCore>>) {
				const api = make({ fetch: ok, retry: 0, ...own });
				for (const method of ['get', 'post'] as const) {
					throws = true;
					expect(await outcomeOf(() => api[method]('https://api.test/a'))).toEqual(['rejected', fault]);
					throws = false;
					expect(await outcomeOf(() => api[method]('https://api.test/a'))).toEqual(['resolved', 200]);
				}

				api.close();
			}
		}
	});

	it('a wrap that throws at once inside another wrapper is a rejection to it: the outer wrapper\'s fallback answers, the caller\'s body shortcut rejects with it', async () => {
		const fault = new Error('thrown at once');
		const inner: Policy = { slot: 'inner', at: { wrap: 20 }, create: () => ({ wrap: () => { throw fault; } }) };
		const seen: unknown[] = [];
		const outer: Policy = { slot: 'outer', at: { wrap: 10 }, create: () => ({ wrap: (_call, next) => next().catch((error: unknown) => { seen.push(error); return new Response('outer'); }) }) };
		const api = createCore({ fetch: ok, inner, outer } as never);
		expect(await api.get('https://api.test/a').text()).toBe('outer');
		expect(seen).toEqual([fault]);
		const alone = createCore({ fetch: ok, inner } as never);
		expect(await outcomeOf(() => alone.get('https://api.test/a').json())).toEqual(['rejected', fault]);
	});
	it('a wrap that answers after the caller\'s abort (it recovered from it) does not answer the caller: the call rejects with the caller\'s reason, counted ABORTED, its watchers told so', async () => {
		const seen: unknown[] = [];
		const recovering: Policy = {
			slot: 'recovering',
			create: () => ({
				wrap: (_call, next) => next().catch(() => new Response('recovered')),
				settled: (_call, response, error) => seen.push(response?.status ?? error),
			}),
		};
		const hanging = ((request: Request) => new Promise((_resolve, reject) => {
			request.signal.addEventListener('abort', () => reject(request.signal.reason));
		})) as typeof fetch;
		const api = createCore({ fetch: hanging, retry: 0, recovering } as never);
		const reason = new Error('the caller went away');
		const controller = new AbortController();
		const call = api.get('https://api.test/a', { signal: controller.signal });
		controller.abort(reason);
		expect(await outcomeOf(() => call)).toEqual(['rejected', reason]);
		expect(seen).toEqual([reason]);
		expect(api.stats()['https://api.test']?.failures).toEqual({ ABORTED: 1 });
	});
});

describe('the open pipeline: a policy\'s faults at createClient', () => {
	it('a start() that throws makes createClient throw it, every part closed (the started ones too)', () => {
		const fault = new Error('cannot start');
		const closed: string[] = [];
		const made = (slot: string, fails = false): Policy => ({
			slot,
			create: () => ({
				start: () => {
					if (fails) {
						throw fault;
					}
				},
				close: () => closed.push(slot),
			}),
		});
		expect(() => createCore({ first: made('first'), broken: made('broken', true), last: made('last') } as never)).toThrow(fault);
		expect(closed.sort()).toEqual(['broken', 'first', 'last']);
	});

	it('a member a policy gives that the client has already (its own, ky\'s, another policy\'s) is a TypeError naming the slot and the member, every part closed', () => {
		for (const [name, make] of [['get', createCore], ['close', createCore], ['stats', createCore], ['cache', createClient], ['thing', createCore]] as Array<[string, (options: object) => unknown]>) {
			const closed: string[] = [];
			const giving = (slot: string): Policy => ({ slot, create: () => ({ members: { [name]: () => slot }, close: () => closed.push(slot) }) });
			const options = name === 'thing' ? { first: giving('first'), second: giving('second') } : { second: giving('second') };
			let error: unknown;
			try {
				make({ fetch: ok, ...options } as never);
			} catch (caught) {
				error = caught;
			}

			expect([name, error instanceof TypeError && (error as Error).message]).toEqual([name, `The \`second\` policy's member \`${name}\` is already the client's`]);
			expect(closed.sort()).toEqual(name === 'thing' ? ['first', 'second'] : ['second']);
		}
	});
});

/** API.md's worked example (and the README's): an app's own policy, in its own file, its own slot. */
const audit = (): Policy<'audit'> => ({
	slot: 'audit',
	at: { layer: 450 },
	create: (context) => ({
		layer: (next) => (request, init) => {
			context.emit('audit:sent', { url: request.url });
			return next(request, init);
		},
	}),
});

declare module 'steadfetch/core' {
	interface Slots {
		audit: Policy<'audit'>;
	}

	interface EventMap {
		'audit:sent': { url: string };
	}

	interface CallOptions {
		audit?: false;
	}
}

describe('the open pipeline: the worked example (audit)', () => {
	it('fills its slot in the core and in the preset, typed: its event (with type, time and scope added), its per-call `audit: false`', async () => {
		for (const api of [createCore({ fetch: ok, audit: audit() }), createClient({ fetch: ok, audit: audit() })]) {
			const sent: Array<{ url: string; type: string; scope: string }> = [];
			api.on('audit:sent', (event) => {
				const url: string = event.url;
				sent.push({ url, ...event as unknown as { type: string; scope: string } });
			});
			await api.get('https://api.test/a');
			await api.get('https://api.test/b', { audit: false });
			expect(sent).toEqual([{ url: 'https://api.test/a', type: 'audit:sent', scope: 'https://api.test', time: expect.any(Number) }]);
			api.close();
		}
	});

	it('its band (layer 450) places it inside dedupe (400), outside the breaker (700)', async () => {
		const seen: string[] = [];
		const api = createCore({ fetch: down, retry: 0, audit: audit(), breaker: breaker({ consecutiveFailures: 1 }), dedupe: dedupe() });
		api.on('audit:sent', (event) => seen.push(event.url));
		await expect(api.get('https://api.test/a')).rejects.toThrow();
		await expect(api.get('https://api.test/a')).rejects.toBeInstanceOf(CircuitOpenError);
		expect(seen).toEqual(['https://api.test/a', 'https://api.test/a']);
	});
});

describe('the open pipeline: types of the worked example', () => {
	it('the app\'s slot, event and per-call option are typed like a built-in\'s (type-checked by tsc -p test/tsconfig.json)', () => {
		const api = createCore({ audit: audit() });
		api.on('audit:sent', (event) => {
			expectTypeOf(event.url).toEqualTypeOf<string>();
			expectTypeOf(event.type).toEqualTypeOf<'audit:sent'>();
			expectTypeOf(event.scope).toEqualTypeOf<string>();
		});
		const typed = () => {
			// @ts-expect-error the per-call option is `false` only
			void api.get('https://api.test/a', { audit: true });
			// @ts-expect-error the slot takes the audit policy, not another slot's
			createCore({ audit: dedupe() });
			// @ts-expect-error the event has no such field
			api.on('audit:sent', (event) => event.status);
		};
		expect(typeof typed).toBe('function');
		api.close();
	});
});

describe('the open pipeline: the docs', () => {
	it('the README\'s table of the built-ins\' bands is the bands their factories carry', async () => {
		const { readFileSync } = await import('node:fs');
		const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
		const rows = [...readme.matchAll(/^\| `(\w+)` \| (\d+) \| (\d+) \|$/gm)].map(([, slot, wrap, layer]) => [slot, { wrap: Number(wrap), layer: Number(layer) }]);
		expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(builtIns.map((policy) => [policy.slot, policy.at])));
	});
});

describe('the open pipeline: a policy checks its own per-call option (checkCall)', () => {
	it('a checkCall that throws rejects that call with InvalidRequestError (its cause the thrown error) before any I/O; `false` and no value are not checked', async () => {
		let sent = 0;
		const counting = (async () => {
			sent++;
			return new Response('ok');
		}) as typeof fetch;
		const fault = new RangeError('`strict` must be true');
		const strict: Policy = { slot: 'strict', create: () => ({ checkCall: (value) => {
			if (value !== true) {
				throw fault;
			}
		} }) };
		const api = createCore({ fetch: counting, strict } as never);
		const error = await api.get('https://api.test/a', { strict: 'yes' } as never).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(InvalidRequestError);
		expect([(error as Error).message, (error as Error).cause]).toEqual(['`strict` must be true', fault]);
		expect(sent).toBe(0);
		await api.get('https://api.test/a', { strict: true } as never);
		await api.get('https://api.test/a', { strict: false } as never);
		await api.get('https://api.test/a');
		expect(sent).toBe(3);
	});

	it('a slot named as an Object.prototype member (`constructor`) checks only its own per-call option given: not the prototype\'s value every options object has', async () => {
		const checked: unknown[] = [];
		const policy: Policy = {
			slot: 'constructor',
			create: () => ({
				checkCall: (value) => {
					checked.push(value);
					if (value !== false) {
						throw new TypeError('`constructor` must be false');
					}
				},
			}),
		};
		for (const make of [createCore, createClient] as Array<(options: object) => ReturnType<typeof createCore>>) {
			const api = make({ fetch: ok, constructor: policy });
			expect((await api.get('https://api.test/a', { timeout: 1_000 })).status).toBe(200);
			expect(await api.get('https://api.test/a', { constructor: 'off' } as never).catch((error: unknown) => error)).toBeInstanceOf(InvalidRequestError);
		}

		expect(checked).toEqual(['off', 'off']);
	});

	it('the stale cache checks its own `staleCache: { networkTimeoutMs }` (the core no longer does)', async () => {
		const api = createCore({ fetch: ok, staleCache: staleCache() });
		for (const bad of [{ networkTimeoutMs: -1 }, { networkTimeoutMs: 'x' }, 5, []]) {
			const error = await api.get('https://api.test/a', { staleCache: bad } as never).catch((caught: unknown) => caught);
			expect([bad, error instanceof InvalidRequestError, (error as Error).cause instanceof RangeError, (error as Error).message]).toEqual([bad, true, true, expect.stringMatching(/staleCache/)]);
		}
		expect((await api.get('https://api.test/a', { staleCache: { networkTimeoutMs: 50 } })).status).toBe(200);
		api.close();
	});

	it('a built-in whose only per-call value is `false` refuses any other (`breaker: \'off\'`, `true`, `0`, `null`) with InvalidRequestError naming it, before any I/O, instead of staying on', async () => {
		let sent = 0;
		const counting = (async () => {
			sent++;
			return new Response('ok');
		}) as typeof fetch;
		const policies = { breaker: breaker(), dedupe: dedupe(), hedge: hedge(), failover: failover({ mirrors: { 'https://api.test': ['https://mirror.test'] } }), auth: auth({ token: () => 't', refresh: async () => 't' }) };
		const api = createCore({ fetch: counting, ...policies });
		for (const slot of Object.keys(policies)) {
			for (const bad of ['off', true, 0, null]) {
				const error = await api.get('https://api.test/a', { [slot]: bad } as never).catch((caught: unknown) => caught);
				expect([slot, bad, error instanceof InvalidRequestError && (error as Error).message]).toEqual([slot, bad, expect.stringContaining(`\`${slot}\` must be false`)]);
			}

			await api.get('https://api.test/a', { [slot]: false } as never);
		}

		expect(sent).toBe(5);
		api.close();
	});

	it('the outbox\'s per-call value is a boolean: anything else (`\'yes\'`, `1`, `0`, `null`, `{}`) is an InvalidRequestError naming it before any I/O, never read as on (queued) or off', async () => {
		let sent = 0;
		const down = (async () => {
			sent++;
			throw new TypeError('fetch failed');
		}) as typeof fetch;
		const api = createCore({ fetch: down, retry: 0, outbox: outbox() });
		for (const bad of ['yes', 1, 0, null, {}]) {
			const error = await api.post('https://api.test/a', { json: { n: 1 }, outbox: bad } as never).catch((caught: unknown) => caught);
			expect([bad, error instanceof InvalidRequestError && (error as Error).message]).toEqual([bad, expect.stringContaining('`outbox` must be true or false')]);
		}

		expect([sent, await api.outbox.size()]).toEqual([0, 0]);
		// The two values it takes: `true` queues a method outside `methods`, `false` never queues.
		await expect(api.put('https://api.test/b', { json: { n: 2 }, outbox: true })).rejects.toMatchObject({ code: 'QUEUED' });
		expect(await api.post('https://api.test/c', { json: { n: 3 }, outbox: false }).then(() => 'sent', (error: unknown) => classify(error).code)).toBe('NETWORK');
		expect(await api.outbox.size()).toBe(1);
		api.close();
	});
});

describe('the open pipeline: levels', () => {
	it('the logger writes an app policy\'s event at the level the policy declares (PolicyParts.levels); it names no policy\'s events itself', async () => {
		const records: Array<{ event: string; level: string; url?: string }> = [];
		const into = { info: (record: never) => records.push(record), warn: (record: never) => records.push(record), error: (record: never) => records.push(record) };
		const loud: Policy = {
			slot: 'loud',
			create: (context) => ({
				levels: { 'audit:sent': 'error' },
				layer: (next) => (request, init) => {
					context.emit('audit:sent', { url: request.url });
					return next(request, init);
				},
			}),
		};
		const api = createCore({ fetch: ok, loud, logger: logger(into) } as never);
		await api.get('https://api.test/a');
		expect(records.filter((record) => record.event !== 'call')).toEqual([expect.objectContaining({ event: 'audit:sent', level: 'error', url: 'https://api.test/a', scope: 'https://api.test' })]);
		api.close();
	});
});

class AuditRefusedError extends SteadfetchError {
	constructor() {
		super('audit refused the attempt', 'AUDIT_REFUSED', true);
	}
}

declare module 'steadfetch/core' {
	interface ErrorCodes {
		AUDIT_REFUSED: true;
	}
}

describe('the open pipeline: a policy\'s own error codes', () => {
	it('classify() reports its code and transient flag; a transient one lets a read with a stored copy be answered stale; stats count it by its code', async () => {
		let refuse = false;
		const refusing: Policy = { slot: 'refusing', at: { layer: 650 }, create: () => ({ layer: (next) => (request, init) => (refuse ? Promise.reject(new AuditRefusedError()) : next(request, init)) }) };
		const api = createCore({ fetch: ok, retry: 0, staleCache: staleCache(), refusing } as never);
		const code: SteadfetchErrorCode = 'AUDIT_REFUSED';
		expect(classify(new AuditRefusedError())).toEqual({ code, transient: true });
		await (await api.get('https://api.test/a')).text();
		refuse = true;
		const response = await api.get('https://api.test/a');
		expect([isStale(response), await response.text(), response.headers.get('cache-status')]).toEqual([true, 'ok', expect.stringContaining('detail=audit-refused')]);
		await expect(api.post('https://api.test/a')).rejects.toBeInstanceOf(AuditRefusedError);
		expect(api.stats()['https://api.test']?.failures).toMatchObject({ AUDIT_REFUSED: 1 });
		api.close();
	});
});

/** An app policy's refusal that must never be retried (as the adaptive throttle's): it says so on its error. */
class AuditHaltError extends SteadfetchError {
	override readonly retriable = false as const;
	constructor() {
		super('audit halted the attempt', 'AUDIT_REFUSED', true);
	}
}

describe('the open pipeline: a policy\'s error says whether it is retried (`retriable`)', () => {
	it('an error with `retriable: false` is never retried, whatever shouldRetry says; without it the same error is retried as ky and shouldRetry decide', async () => {
		for (const [make, attempts] of [[() => new AuditHaltError(), 1], [() => new AuditRefusedError(), 3]] as const) {
			let seen = 0;
			const refusing: Policy = { slot: 'refusing', create: () => ({ layer: () => async () => {
				seen++;
				throw make();
			} }) };
			const api = createCore({ fetch: ok, retry: { limit: 2, delay: () => 0, shouldRetry: () => true }, refusing } as never);
			await expect(api.get('https://api.test/a')).rejects.toMatchObject({ code: 'AUDIT_REFUSED' });
			expect(seen).toBe(attempts);
			api.close();
		}
	});

	it('the adaptive throttle\'s refusal says so: ThrottledError is not retriable', () => {
		expect(new ThrottledError('https://api.test', 0.5).retriable).toBe(false);
		expect(new AuditRefusedError().retriable).toBeUndefined();
	});
});
