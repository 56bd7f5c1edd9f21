/**
 * Defect hunt, fifth round (area M): variants of the open pipeline's "one owner per call" and of
 * its claims that earlier rounds missed.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Policy } from '../../src/entries/policy.js';
import { createClient as createCore } from '../../src/entries/core.js';
import { thrown } from './thrown.js';

const ok = (async () => new Response('ok')) as typeof fetch;
const ctx = { waitUntil() {} };

describe('membersFor: a request context\'s members never replace the client\'s own or another policy\'s', () => {
	it('a membersFor() member named like one the client has (its own `get`, `stats`, ky\'s `stop`, another policy\'s) is a TypeError naming the slot and the member, never a silent replacement', () => {
		const other: Policy = { slot: 'other', create: () => ({ members: { thing: 'other\'s' } }) };
		for (const name of ['get', 'stats', 'extend', 'stop', 'thing']) {
			const hijack: Policy = { slot: 'hijack', create: () => ({ membersFor: () => ({ [name]: 'hijacked' }) }) };
			const api = createCore({ fetch: ok, other, hijack } as never);
			expect([name, thrown(() => api.withContext(ctx))]).toEqual([name, `TypeError: The \`hijack\` policy's member \`${name}\` is already the client's`]);
			api.close();
		}
	});

	it('two policies\' membersFor() giving one name: a TypeError naming the second, never the later one silently winning', () => {
		const first: Policy = { slot: 'first', create: () => ({ membersFor: () => ({ thing: 1 }) }) };
		const second: Policy = { slot: 'second', create: () => ({ membersFor: () => ({ thing: 2 }) }) };
		const api = createCore({ fetch: ok, first, second } as never);
		expect(thrown(() => api.withContext(ctx))).toBe('TypeError: The `second` policy\'s member `thing` is already the client\'s');
		api.close();
	});

	it('a membersFor() member in place of the policy\'s own `members` (as the outbox\'s) is the request context\'s', async () => {
		const own: Policy = { slot: 'own', create: () => ({ members: { thing: 'client' }, membersFor: () => ({ thing: 'context', more: 'context only' }) }) };
		const api = createCore({ fetch: ok, own } as never) as unknown as { thing: string; withContext(c: object): { thing: string; more: string; get(url: string): Promise<Response> } };
		const bound = api.withContext(ctx);
		expect([api.thing, bound.thing, bound.more, await (await bound.get('https://api.test/')).text()]).toEqual(['client', 'context', 'context only', 'ok']);
	});
});

describe('one owner per call: the options a policy sees are the call\'s, as given when it started', () => {
	/** A policy of `slot` whose layer notes each attempt in `seen`. */
	const noting = (slot: string, seen: string[]): Policy => ({ slot, create: () => ({ layer: (next) => (request, init) => {
		seen.push(slot);
		return next(request, init);
	} }) });

	it('a policy that writes the call\'s options (read-only in its type) never writes the caller\'s object', async () => {
		const writer: Policy = { slot: 'writer', create: () => ({ wrap: (call, next) => {
			(call.options as Record<string, unknown>)['audit'] = false;
			return next();
		} }) };
		const api = createCore({ fetch: ok, writer } as never);
		const given = { headers: { 'x-a': '1' } };
		await api.get('https://api.test/', given);
		expect(given).toEqual({ headers: { 'x-a': '1' } });
		api.close();
	});

	it('a caller that changes its options object after the call started (reused for the next call) does not change that call: its retry still skips the policy it turned off', async () => {
		const seen: string[] = [];
		let attempts = 0;
		const flaky = (async () => (++attempts === 1 ? new Response('down', { status: 503 }) : new Response('ok'))) as typeof fetch;
		const api = createCore({ fetch: flaky, retry: { limit: 1, delay: () => 0 }, audit: noting('audit', seen) } as never);
		const reused: Record<string, unknown> = { audit: false };
		const first = api.get('https://api.test/', reused);
		reused['audit'] = undefined; // The next call's options.
		expect([await (await first).text(), attempts, seen]).toEqual(['ok', 2, []]);
		api.close();
	});
});

describe('a slot is never one of the client\'s own options', () => {
	const down = (async () => new Response('down', { status: 503 })) as typeof fetch;

	it('a policy under a key the client reads as its own option (`fallback`, `retry`, `retryBudget`, `hooks`) is a TypeError naming the key at createClient: never read as that option too (per call `{ fallback: false }` answered the call with `false`)', () => {
		for (const key of ['fallback', 'retry', 'retryBudget', 'hooks']) {
			const mine: Policy = { slot: key, create: () => ({ wrap: (_call, next) => next() }) };
			expect([key, thrown(() => createCore({ fetch: down, [key]: mine } as never))]).toEqual([key, `TypeError: \`${key}\` is the client's own option, not a slot`]);
		}
	});

	it('an app\'s slot of any other name (`audit`, `constructor`) is filled, and `{ [slot]: false }` per call turns it off', async () => {
		for (const key of ['audit', 'constructor']) {
			let wrapped = 0;
			const mine: Policy = { slot: key, create: () => ({ wrap: (_call, next) => {
				wrapped++;
				return next();
			} }) };
			const api = createCore({ fetch: ok, [key]: mine } as never);
			await api.get('https://api.test/');
			await api.get('https://api.test/', { [key]: false } as never);
			expect([key, wrapped]).toEqual([key, 1]);
			api.close();
		}
	});
});

describe('ky\'s retry options with the client\'s injected `random`', () => {
	it('`retry.jitter: true` (the documented default, given explicitly, at createClient or per call) draws from the client\'s `random`, as the default does, never from Math.random', async () => {
		const spy = vi.spyOn(Math, 'random').mockReturnValue(0.99);
		try {
			for (const [client, call] of [[{ jitter: true }, undefined], [{}, { limit: 1, delay: () => 60_000, jitter: true }]] as const) {
				let attempts = 0;
				const flaky = (async () => (++attempts === 1 ? new Response('down', { status: 503 }) : new Response('ok'))) as typeof fetch;
				const api = createCore({ fetch: flaky, random: () => 0, retry: { limit: 1, delay: () => 60_000, ...client } } as never);
				// With the client's random (0) the retry waits 0 ms; with Math.random (0.99) it would wait ~30 s (backoffLimit).
				const text = await Promise.race([api.get('https://api.test/', call ? { retry: call } : undefined).text(), new Promise((resolve) => {
					setTimeout(resolve, 3_000, 'still waiting');
				})]);
				expect([client, text, attempts]).toEqual([client, 'ok', 2]);
				api.close();
			}
		} finally {
			spy.mockRestore();
		}
	});
});
