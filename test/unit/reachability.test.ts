/**
 * Per-scope reachability (API.md "Reachability and recovery"): from what the client's own attempts
 * see, `navigator.onLine` only a hint.
 */
import type { Input } from 'ky';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError, type ReachabilityEvent } from '../../src/entries/core.js';
import { breaker } from '../../src/entries/breaker.js';
import { classify } from '../../src/errors/classify.js';
import type { Policy } from '../../src/entries/policy.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { scripted, setOnLine } from '../helpers/scripted-origins.js';

const a = 'https://a.test';
const b = 'https://b.test';

afterEach(() => {
	setOnLine(undefined);
});

describe('client.reachability(urlOrScope)', () => {
	it('unknown before any attempt; reachable once an attempt got any HTTP answer (a 503 too); one failure changes nothing; two in a row: unreachable', async () => {
		const plan: Record<string, number | 'down'> = { [a]: 503 };
		const api = createClient({ fetch: scripted(plan), retry: 0, retryBudget: false });
		const events: ReachabilityEvent[] = [];
		api.on('reachability', (event) => events.push(event));
		expect(api.reachability(`${a}/x`)).toBe('unknown');
		await api.get(`${a}/x`).catch(() => undefined);
		expect(api.reachability(a)).toBe('reachable');
		plan[a] = 'down';
		await api.get(`${a}/x`).catch(() => undefined);
		expect(api.reachability(`${a}/y?z=1`)).toBe('reachable');
		await api.get(`${a}/x`).catch(() => undefined);
		expect(api.reachability(a)).toBe('unreachable');
		plan[a] = 200;
		await api.get(`${a}/x`);
		expect(api.reachability(a)).toBe('reachable');
		expect(api.reachability(b)).toBe('unknown');
		expect(events.map(({ scope, state, previous }) => [scope, previous, state])).toEqual([
			[a, 'unknown', 'reachable'], [a, 'reachable', 'unreachable'], [a, 'unreachable', 'reachable'],
		]);
		api.close();
	});

	it('a timeout counts as a failure; the caller\'s abort does not', async () => {
		const hang = async (input: Input): Promise<Response> => new Promise((_, reject) => {
			const { signal } = input as Request;
			signal.addEventListener('abort', () => reject(signal.reason), { once: true });
		});
		const api = createClient({ fetch: hang, retry: 0, timeout: 20 });
		await api.get(`${a}/1`).catch(() => undefined);
		expect(api.reachability(a)).toBe('unknown');
		await api.get(`${a}/2`).catch(() => undefined);
		expect(api.reachability(a)).toBe('unreachable');
		const quiet = createClient({ fetch: hang, retry: 0, timeout: false });
		for (let index = 0; index < 2; index++) {
			const controller = new AbortController();
			const call = quiet.get(`${a}/${index}`, { signal: controller.signal }).catch(() => undefined);
			controller.abort();
			await call;
		}

		expect(quiet.reachability(a)).toBe('unknown');
		api.close();
		quiet.close();
	});

	it('an error the app\'s own fetch throws that is no network failure of the platform\'s says nothing about the origin (UNKNOWN); the platform\'s network errors count, as ky\'s NetworkError', async () => {
		const thrown: Record<string, () => Error> = {
			[a]: () => new TypeError('Cannot read properties of undefined (reading \'token\')'),
			[b]: () => new Error('wrapper failed'),
		};
		const wrapper = async (input: Input): Promise<Response> => {
			throw thrown[new URL((input as Request).url).origin]!();
		};
		const api = createClient({ fetch: wrapper, retry: 0, retryBudget: false, breaker: breaker({ consecutiveFailures: 2 }) });
		for (const origin of [a, b]) {
			for (let index = 0; index < 3; index++) {
				await api.get(`${origin}/x`).catch(() => undefined);
			}

			expect(api.reachability(origin)).toBe('unknown');
			expect(api.breaker(origin).state).toBe('closed');
		}

		expect(api.stats()[a]?.failures).toEqual({ UNKNOWN: 3 });
		for (const message of ['Failed to fetch', 'Failed to fetch (api.example.com)', 'fetch failed', 'network error', 'NetworkError when attempting to fetch resource.', 'error sending request for url (https://a.test/): connection refused']) {
			thrown[a] = () => new TypeError(message);
			const platform = createClient({ fetch: wrapper, retry: 0, retryBudget: false });
			await platform.get(`${a}/x`).catch(() => undefined);
			await platform.get(`${a}/x`).catch(() => undefined);
			expect(platform.reachability(a), message).toBe('unreachable');
			expect(platform.stats()[a]?.failures, message).toEqual({ NETWORK: 2 });
			platform.close();
		}

		api.close();
	});

	it('classify() calls NETWORK what ky would wrap in its NetworkError, and UNKNOWN any other TypeError', () => {
		expect(classify(new TypeError('Failed to fetch'))).toEqual({ code: 'NETWORK', transient: true });
		expect(classify(new TypeError('Cannot read properties of undefined'))).toEqual({ code: 'UNKNOWN', transient: false });
		const safari = new TypeError('Load failed (api.example.com)');
		expect(classify(safari).code).toBe('UNKNOWN'); // with a stack: an app's error, as ky reads it
		Object.defineProperty(safari, 'stack', { value: undefined });
		expect(classify(safari).code).toBe('NETWORK');
	});

	it('navigator.onLine false is a hint: offline (also before any attempt) until an attempt gets an HTTP answer', async () => {
		const api = createClient({ fetch: scripted({}), retry: 0 });
		setOnLine(false);
		expect(api.reachability(a)).toBe('offline');
		await api.get(`${a}/x`);
		expect(api.reachability(a)).toBe('reachable');
		expect(api.reachability(b)).toBe('offline');
		setOnLine(true);
		expect(api.reachability(b)).toBe('unknown');
		api.close();
	});

	it('a URL resolves as a call\'s does (baseUrl, prefix); a bad one is an InvalidRequestError', async () => {
		const api = createClient({ fetch: scripted({}), baseUrl: `${a}/v1/` });
		expect(() => api.reachability('http://[::1')).toThrow(InvalidRequestError);
		await api.get('users/1');
		expect(api.reachability('users/2')).toBe('reachable');
		expect(api.reachability(new URL(`${a}/other`))).toBe('reachable');
		api.close();
	});
});

describe('PolicyContext.offline(scope): one attempt per scope per 10 s still goes out while offline', () => {
	it('true while the scope is offline, except once every 10 s; false once an attempt got an HTTP answer', async () => {
		const clock = new ManualClock(1_000_000);
		let asked: ((scope: string) => boolean) | undefined;
		const probe: Policy<'trace'> = { slot: 'trace', create: (context) => {
			asked = (scope) => context.offline(scope);
			return {};
		} };
		const api = createClient({ fetch: scripted({}), retry: 0, clock, trace: probe });
		setOnLine(false);
		expect(asked!(a)).toBe(false); // the first attempt goes out
		expect(asked!(a)).toBe(true);
		clock.advance(9_999);
		expect(asked!(a)).toBe(true);
		expect(asked!(b)).toBe(false); // per scope
		clock.advance(1);
		expect(asked!(a)).toBe(false);
		expect(asked!(a)).toBe(true);
		await api.get(`${a}/x`);
		expect(asked!(a)).toBe(false);
		setOnLine(true);
		expect(asked!(b)).toBe(false);
		api.close();
	});
});

describe('Reach.offline(scope, untried): an attempt refused before it was sent frees only its scope\'s 10-second slot', () => {
	it('a scope that got an answer while navigator.onLine was false stays reachable; another scope stays offline until its own slot', async () => {
		const { Reach } = await import('../../src/core/reachability.js');
		const clock = new ManualClock(1_000_000);
		const reach = new Reach(clock);
		setOnLine(false);
		expect(reach.offline(a)).toBe(false); // a's one attempt per 10 s
		clock.advance(1);
		reach.answered(a, 200); // it answered: a is reachable, navigator.onLine is wrong
		expect(reach.state(a)).toBe('reachable');
		clock.advance(5);
		expect(reach.offline(b)).toBe(false); // b's slot
		expect(reach.offline(b)).toBe(true);
		expect(reach.offline(b, true)).toBe(false); // b's attempt was refused before it was sent: its slot is free
		// Before (first version of the fix): when navigator.onLine turned false was forgotten, so a was offline again.
		expect(reach.state(a)).toBe('reachable');
		expect(reach.offline(a)).toBe(false);
		expect(reach.offline(b)).toBe(false); // the freed slot, taken
		expect(reach.offline(b)).toBe(true);
	});
});
