/** The rate limiter's channel to other tabs (rate-limit/tabs.ts): another tab's word is distrusted. */
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { breaker } from '../../src/entries/breaker.js';
import { RateLimitedError, rateLimit } from '../../src/entries/rate-limit.js';
import { ManualClock } from '../helpers/manual-clock.js';

const t0 = 1_700_000_000_000;

describe('rate limit: another tab\'s word', () => {
	it('only a message of the expected shape blocks a scope (v 1, a string scope of at most 8,192 characters, a finite time), bounded by maxResetMs; the others are reported as storage:error', async () => {
		const clock = new ManualClock(t0);
		const name = `rl-tabs-${Math.random()}`;
		const sent: string[] = [];
		// Scopes named by the host (a custom scope, the breaker's): `long` is 8,193 characters, `edge` 8,192.
		const long = 'l'.repeat(8193);
		const edge = 'e'.repeat(8192);
		const api = createClient({
			clock, name, timeout: 100, retry: 0, rateLimit: rateLimit({ share: true, maxResetMs: 10_000 }),
			breaker: breaker({ share: false, scope: (url) => ({ long, edge } as Record<string, string>)[new URL(url).hostname.split('.')[0]!] ?? new URL(url).origin }),
			fetch: (async (request: Request) => {
				sent.push(new URL(request.url).hostname);
				return new Response('');
			}) as typeof fetch,
		});
		const errors: string[] = [];
		api.on('storage:error', ({ part, operation }) => errors.push(`${part} ${operation}`));
		// Another tab of the same name (a second BroadcastChannel of the name in this process).
		const other = new BroadcastChannel(`steadfetch:${name}:ratelimit`);
		const far = t0 + 3_600_000;
		try {
			// The scope the last message names is one the client knows (its stats list it).
			expect(await api.get('https://d.test/first').text()).toBe('');
			for (const bad of [
				null, 'https://a.test', 42,
				{ v: 1, scope: 'https://a.test', blockedUntil: null },
				{ v: 1, scope: 42, blockedUntil: far },
				{ v: 1, scope: 'https://b.test', blockedUntil: String(far) },
				{ v: 1, scope: 'https://c.test', blockedUntil: Number.POSITIVE_INFINITY },
				{ v: 1, scope: long, blockedUntil: far },
			]) {
				other.postMessage(bad);
			}

			other.postMessage({ v: 1, scope: edge, blockedUntil: far });
			// Not a time: ignored (taken, it would undo the block just heard).
			other.postMessage({ v: 1, scope: edge, blockedUntil: Number.NaN });
			// Then a good one: messages of one sender arrive in order, so once it counts, the others were heard.
			other.postMessage({ v: 1, scope: 'https://d.test', blockedUntil: far });
			await vi.waitFor(() => expect((api.stats()['https://d.test']?.rateLimit as { blockedUntil?: number } | undefined)?.blockedUntil).toBe(t0 + 10_000), { timeout: 10_000, interval: 10 });
			for (const host of ['d.test', 'edge.test']) {
				const error = await api.get(`https://${host}/x`).catch((caught: unknown) => caught);
				expect(error, host).toBeInstanceOf(RateLimitedError);
				expect((error as RateLimitedError).retryAfterMs).toBe(10_000);
			}

			for (const host of ['a.test', 'b.test', 'c.test', 'long.test']) {
				expect(await api.get(`https://${host}/x`).text()).toBe('');
			}

			expect(sent).toEqual(['d.test', 'a.test', 'b.test', 'c.test', 'long.test']);
			// API.md 'Sensitive data': 'a malformed record is ignored and reported as storage:error': each of the
			// 8 bad messages and the NaN one, once, without its content.
			expect(errors).toEqual(Array(9).fill('rateLimit channel'));
		} finally {
			other.close();
			api.close();
		}
	}, 15_000);
	it('a flood of messages naming new scopes makes buckets for at most 64 of them (as the throttle\'s tabs); a scope the client knows is still blocked', async () => {
		const clock = new ManualClock(t0);
		const name = `rl-flood-${Math.random()}`;
		const api = createClient({
			clock, name, timeout: 100, retry: 0, rateLimit: rateLimit({ share: true, maxResetMs: 10_000 }), breaker: false,
			fetch: (async () => new Response('')) as typeof fetch,
		});
		const other = new BroadcastChannel(`steadfetch:${name}:ratelimit`);
		try {
			expect(await api.get('https://known.test/first').text()).toBe('');
			for (let index = 0; index < 500; index++) {
				other.postMessage({ v: 1, scope: `https://flood-${index}.test`, blockedUntil: t0 + 3_600_000 });
			}

			// Messages of one sender arrive in order: once the last one counts, the flood was heard.
			other.postMessage({ v: 1, scope: 'https://known.test', blockedUntil: t0 + 3_600_000 });
			await vi.waitFor(() => expect((api.stats()['https://known.test']?.rateLimit as { blockedUntil?: number } | undefined)?.blockedUntil).toBe(t0 + 10_000), { timeout: 10_000, interval: 10 });
			// The 63 first new scopes (64 with the known one) were blocked; past them, none got a bucket: calls to them go.
			const outcomes: Record<string, string> = {};
			for (const host of ['known', 'flood-0', 'flood-62', 'flood-63', 'flood-499']) {
				outcomes[host] = await api.get(`https://${host}.test/x`).text().catch((caught: unknown) => (caught as Error).name);
			}

			// Before: every one blocked (500 buckets made, each kept for maxResetMs: never forgotten while blocked).
			expect(outcomes).toEqual({ known: 'RateLimitedError', 'flood-0': 'RateLimitedError', 'flood-62': 'RateLimitedError', 'flood-63': '', 'flood-499': '' });
		} finally {
			other.close();
			api.close();
		}
	}, 15_000);
});
