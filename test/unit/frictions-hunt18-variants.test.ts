/**
 * Defect hunt, eighteenth round (area W1, the core's frictions: no sync throws, clear messages).
 * README "Differences from ky": "No call throws synchronously: where ky throws at once (an invalid URL or
 * option, an `init` hook that throws), the call returns a promise rejected with `InvalidRequestError`".
 * API.md "Your own policies": "A policy's faults stay its own … a layer or wrap that throws fails that call
 * only, typed by `classify()`".
 */
import { describe, expect, it } from 'vitest';
import { unhandledDuring } from '../helpers/unhandled.js';
import { auth } from '../../src/entries/auth.js';
import { breaker } from '../../src/entries/breaker.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { classify, createClient } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { createClient as presetClient } from '../../src/entries/index.js';
import type { FetchLike, Policy } from '../../src/entries/policy.js';
import { shown } from '../../src/entries/tanstack-query.js';
import { trace } from '../../src/entries/trace.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

/** Settles with its status and body, or with its error's class, code and message; a synchronous throw says so. */
const settled = (call: () => Promise<Response>): Promise<string> | string => {
	try {
		return call().then(async (response) => `${response?.status} ${await response?.text()}`, (error: Error) => `${error?.constructor?.name} ${classify(error).code} ${error?.message}`);
	} catch (error) {
		return `threw ${(error as Error)?.message}`;
	}
};

/** An app's layer whose `layer(next)` does `fault()` from its `from`-th composition on (the client's own is the first). */
const composing = (band: number | undefined, fault: () => unknown, from = 2): Policy<'odd'> => ({
	slot: 'odd',
	...(band === undefined ? {} : { at: { layer: band } }),
	create: () => {
		let n = 0;
		return { layer: (next: FetchLike) => (++n >= from ? fault() : next) };
	},
} as never);

describe('a call with its own fetch: a layer that fails as the call composes it rejects that call, never throws', () => {
	const faults: [string, () => unknown, string][] = [
		['throws', () => { throw new Error('compose boom'); }, 'Error UNKNOWN compose boom'],
		['gives back no function', () => 5, "TypeError UNKNOWN The `odd` policy's `layer` must return a function"],
	];
	for (const [name, fault, expected] of faults) {
		it(`a layer(next) that ${name}, at each band, with bulkhead() and breaker() around it`, async () => {
			for (const band of [50, 500, 650, undefined]) {
				let sent = 0;
				const api = createClient({ fetch: async () => (sent++, new Response('client')), retry: 0, bulkhead: bulkhead({ maxConcurrent: 1, maxQueue: 0 }), breaker: breaker({ consecutiveFailures: 3 }), odd: composing(band, fault) } as never);
				// before: 'threw compose boom' (api.get threw synchronously)
				expect([band, await settled(() => api.get('https://api.test/a', { fetch: async () => (sent++, new Response('own')) }))]).toEqual([band, expected]);
				// The call's fault is its own: the next call goes out (a bulkhead slot given back), nothing was sent.
				expect([band, sent, await settled(() => api.get('https://api.test/b'))]).toEqual([band, 0, '200 client']);
			}
		});
	}

	it('the preset\'s client too, and on every method (a write with an Idempotency-Key, a call of a request context)', async () => {
		const api = presetClient({ fetch: async () => new Response('client'), retry: 0, odd: composing(undefined, () => { throw new Error('compose boom'); }) } as never);
		const own = { fetch: async () => new Response('own') };
		expect(await settled(() => api.get('https://api.test/a', own))).toBe('Error UNKNOWN compose boom');
		expect(await settled(() => api.post('https://api.test/a', { ...own, json: {}, idempotencyKey: true }))).toBe('Error UNKNOWN compose boom');
		expect(await settled(() => api('https://api.test/a', { ...own, method: 'DELETE' }))).toBe('Error UNKNOWN compose boom');
		expect(await settled(() => api.withContext({ waitUntil: () => undefined } as never).get('https://api.test/a', own))).toBe('Error UNKNOWN compose boom');
		expect(await settled(() => api.get('https://api.test/b'))).toBe('200 client');
	});
});

describe('an invalid referrer: the error names it, with no hint about the request URL', () => {
	// The hint "give the client an absolute `baseUrl` or `prefix`" is for a path no base resolves (scope.ts `pathHint`).
	const hint = 'give the client an absolute `baseUrl` or `prefix`';
	for (const [name, options] of [['prefix', { prefix: 'https://api.test/v1' }], ['baseUrl', { baseUrl: 'https://api.test/v1/' }]] as const) {
		it(`a client with an absolute ${name}, a path as input`, async () => {
			const api = createClient({ fetch: async () => new Response('x'), ...options });
			for (const referrer of ['5', 'http://[', 'about']) {
				const got = await settled(() => api.get('users', { referrer }));
				// before: 'InvalidRequestError INVALID_REQUEST Invalid request: Referrer "5" is not a valid URL.; give the client an absolute `baseUrl` or `prefix`'
				expect([referrer, got.includes(hint), got.startsWith('InvalidRequestError INVALID_REQUEST'), /referrer/i.test(got)]).toEqual([referrer, false, true, true]);
			}
		});
	}

	it('a path no base resolves still gets the hint, whatever the referrer; an absolute URL never does', async () => {
		const api = createClient({ fetch: async () => new Response('x') });
		expect(String(await settled(() => api.get('users', { referrer: '5' })))).toContain(hint);
		expect(String(await settled(() => api.get('users')))).toContain(hint);
		expect(String(await settled(() => api.get('https://api.test/users', { referrer: '5' })))).not.toContain(hint);
	});
});

describe('an option that takes a URL refuses a host typed without its scheme at creation, as `prefix` does', () => {
	// API.md "Option values": a value of the wrong type or out of range "is a RangeError or TypeError naming the option
	// where it is given (`createClient`, …)"; round 18's F made `prefix: 'localhost:3000/api'` such a RangeError.
	const refused = (make: () => unknown): string => {
		try {
			make();
			return 'accepted';
		} catch (error) {
			return `${(error as Error).constructor.name} ${(error as Error).message}`;
		}
	};

	it('breaker({ probe }): a host and port without a scheme, a scheme fetch does not send, a URL that does not parse', () => {
		for (const probe of ['localhost:3000/health', '127.0.0.1:8080/health', 'api.test:443', 'ftp://api.test/health', 'mailto:ops@api.test', 'http://[', 'https://']) {
			// before: 'accepted' (every half-open probe failed: the breaker never closed by its probe)
			expect([probe, refused(() => createClient({ fetch: async () => new Response('x'), breaker: breaker({ probe }) }))]).toEqual([probe, expect.stringMatching(/^RangeError `breaker\.probe` must be a URL/)]);
			expect([probe, refused(() => presetClient({ fetch: async () => new Response('x') }).extend({ breaker: breaker({ probe }) }))]).toEqual([probe, expect.stringMatching(/^RangeError `breaker\.probe`/)]);
		}
	});

	it('breaker({ probe }): a path, a relative URL and an http(s) URL stay accepted; a function too', () => {
		for (const probe of ['/health', 'health', './v1/health?deep=1', 'https://api.test/health', 'HTTP://api.test:8080/health', '/health?next=https://api.test/x', () => new Request('https://api.test/health')]) {
			expect([String(probe), refused(() => createClient({ fetch: async () => new Response('x'), breaker: breaker({ probe }) }))]).toEqual([String(probe), 'accepted']);
		}
	});

	it('a probe path whose query holds a URL goes to the scope, as every path does', async () => {
		const clock = new ManualClock(1_000_000);
		const sent: string[] = [];
		let down = true;
		const api = createClient({ clock, random: () => 0.5, retry: 0, fetch: async (request: Request) => (sent.push(request.url), new Response('x', { status: down ? 503 : 200 })), breaker: breaker({ consecutiveFailures: 1, openMs: 1_000, probe: '/health?next=https://api.test/x' }) } as never);
		expect(await settled(() => api.get('https://api.test/a'))).toMatch(/^HTTPError HTTP_5XX/);
		down = false;
		clock.advance(2_000);
		// The call past the open period lets the probe through (callers fail fast while it is in flight).
		expect(await settled(() => api.get('https://api.test/a'))).toMatch(/^CircuitOpenError CIRCUIT_OPEN/);
		// before: the probe was read as an absolute URL (it holds "://") and failed to be made: never sent, the breaker re-opened
		await waitFor(() => api.breaker('https://api.test').state === 'closed', 'the probe to close the breaker', 5_000);
		expect(sent).toEqual(['https://api.test/a', 'https://api.test/health?next=https://api.test/x']);
		expect(await settled(() => api.get('https://api.test/a'))).toBe('200 x');
	}, 15_000);

	it('the neighbours that take a URL already refuse it: failover mirrors, auth and trace origins', () => {
		expect(refused(() => failover({ mirrors: { 'https://api.test': ['localhost:3000'] } }))).toMatch(/^RangeError `failover\.mirrors/);
		expect(refused(() => failover({ mirrors: { 'localhost:3000': ['https://b.test'] } }))).toMatch(/^RangeError `failover\.mirrors/);
		expect(refused(() => auth({ token: () => 'x', refresh: async () => 'y', origins: ['localhost:3000'] } as never))).toMatch(/^RangeError `auth\.origins`/);
		expect(refused(() => trace({ propagateTo: ['localhost:3000'] } as never))).toMatch(/^RangeError `trace\.propagateTo`/);
	});
});

describe('a helper or member given no value of what it takes says what it takes', () => {
	// API.md "Option values": a value of the wrong type "is a RangeError or TypeError naming the option where it is given".
	const thrown = (make: () => unknown): string => {
		try {
			make();
			return 'no error';
		} catch (error) {
			return `${(error as Error).constructor.name} ${(error as Error).message}`;
		}
	};

	it('shown(result) with no query result (undefined, null, a number, a string)', () => {
		for (const result of [undefined, null, 5, 'data']) {
			// before: "TypeError Cannot destructure property 'failureReason' of 'undefined' as it is undefined." (5, 'data': no error, data undefined)
			expect([result, thrown(() => shown(result as never))]).toEqual([result, expect.stringMatching(/^TypeError `shown` needs a query's result/)]);
		}
		// A result as TanStack gives it (a plain object without refetch too) is read as before.
		expect(shown({ data: 1, dataUpdatedAt: 1_000 } as never, 1_500)).toMatchObject({ data: 1, ageMs: 500 });
	});

	it('members that take a URL (breaker(url), reachability(url)) given no string nor URL', async () => {
		const api = presetClient({ fetch: async () => new Response('x') });
		for (const url of [undefined, null, 5, {}]) {
			for (const [name, member] of [['breaker', () => api.breaker(url as never)], ['reachability', () => api.reachability(url as never)]] as const) {
				// before: 'InvalidRequestError Not a URL: object' for null and {} (what it takes unsaid)
				expect([name, url, thrown(member)]).toEqual([name, url, expect.stringMatching(/^InvalidRequestError .*a string or (a )?URL.*; got /)]);
			}
		}
		expect(thrown(() => api.breaker(null as never))).toContain('got null');
		// The members that give a promise reject with the same words.
		expect(await api.breaker.isolate(null as never).then(() => 'resolved', (error: Error) => error.message)).toMatch(/a string or (a )?URL.*; got null/);
		expect(await api.cache.delete(null as never).then(() => 'resolved', (error: Error) => error.message)).toMatch(/a string or (a )?URL.*; got null/);
		api.close();
	});
});

describe('an `async start()` that rejects is the policy\'s fault, kept to it', () => {
	// API.md "Your own policies": "A policy's faults stay its own"; PolicyParts.start: "One that throws makes `createClient` throw it".
	const starting = (start: () => unknown): Policy<'odd'> => ({ slot: 'odd', create: () => ({ start }) } as never);
	const rejecting: [string, () => unknown][] = [
		['an async start', async () => {
			throw new Error('channel refused');
		}],
	];
	for (const [name, start] of rejecting) {
		it(`${name}: createClient, extend() and create() give their clients, nothing left unhandled, the calls run`, async () => {
			const unhandled = await unhandledDuring(async () => {
				const api = createClient({ fetch: async () => new Response('net'), odd: starting(start) } as never);
				const child = api.extend({ headers: { 'x-a': '1' } });
				const fresh = api.create({ fetch: async () => new Response('fresh'), odd: starting(start) } as never);
				const preset = presetClient({ fetch: async () => new Response('net'), odd: starting(start) } as never);
				expect(await settled(() => api.get('https://api.test/a'))).toBe('200 net');
				expect(await settled(() => child.get('https://api.test/a'))).toBe('200 net');
				expect(await settled(() => fresh.get('https://api.test/a'))).toBe('200 fresh');
				expect(await settled(() => preset.get('https://api.test/a'))).toBe('200 net');
				for (const client of [api, child, fresh, preset]) {
					client.close();
				}
			});
			// before: ['channel refused', 'channel refused', 'channel refused', 'channel refused'] (Node's default --unhandled-rejections=throw exits)
			expect(unhandled).toEqual([]);
		});
	}

	it('a start that throws at once still makes createClient throw it', () => {
		expect(() => createClient({ fetch: async () => new Response('net'), odd: starting(() => {
			throw new Error('no channel');
		}) } as never)).toThrow('no channel');
	});
});

describe('a part the client reads at once (layer(next), stats, membersFor) that gives back a rejected promise is the policy\'s fault, kept to it', () => {
	const rejecting = async (): Promise<never> => {
		throw new Error('part rejected');
	};

	it('an async layer(next): createClient throws a TypeError saying so, nothing left unhandled; and per call with the call\'s own fetch', async () => {
		let thrown = '';
		const unhandled = await unhandledDuring(async () => {
			try {
				createClient({ fetch: async () => new Response('net'), odd: { slot: 'odd', create: () => ({ layer: rejecting }) } } as never);
			} catch (error) {
				thrown = (error as Error).message;
			}
		});
		expect(thrown).toMatch(/^The `odd` policy's `layer` must return a function/);
		// before: ['part rejected']
		expect(unhandled).toEqual([]);
		// The client's own composition took a function; a call's own fetch composes again and gets the promise.
		const later = await unhandledDuring(async () => {
			const api = createClient({ fetch: async () => new Response('net'), odd: composing(undefined, rejecting) } as never);
			expect(await settled(() => api.get('https://api.test/a', { fetch: async () => new Response('own') }))).toMatch(/^TypeError UNKNOWN The `odd` policy's `layer` must return a function/);
			api.close();
		});
		expect(later).toEqual([]);
	});

	it('an async stats(scope): api.stats() shows the counters, nothing left unhandled', async () => {
		const unhandled = await unhandledDuring(async () => {
			const api = createClient({ fetch: async () => new Response('net'), odd: { slot: 'odd', create: () => ({ stats: rejecting }) } } as never);
			expect(await settled(() => api.get('https://api.test/a'))).toBe('200 net');
			expect(api.stats()['https://api.test']).toMatchObject({ requests: 1, successes: 1 });
			api.close();
		});
		// before: ['part rejected']
		expect(unhandled).toEqual([]);
	});

	it('an async membersFor(waitUntil): withContext gives its client, nothing left unhandled', async () => {
		const unhandled = await unhandledDuring(async () => {
			const api = createClient({ fetch: async () => new Response('net'), odd: { slot: 'odd', create: () => ({ membersFor: rejecting }) } } as never);
			const bound = api.withContext({ waitUntil: () => undefined } as never);
			expect(await settled(() => bound.get('https://api.test/a'))).toBe('200 net');
			api.close();
		});
		// before: ['part rejected']
		expect(unhandled).toEqual([]);
	});
});
