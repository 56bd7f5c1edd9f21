/** The rate limiter's channel to other tabs (rate-limit/tabs.ts): another tab's word is distrusted. */
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { breaker } from '../../src/entries/breaker.js';
import { RateLimitedError, rateLimit } from '../../src/entries/rate-limit.js';
import { ManualClock } from '../helpers/manual-clock.js';

const t0 = 1_700_000_000_000;

describe('rate limit: another tab\'s word', () => {
	it('only a message of the expected shape blocks a scope (v 1, a string scope of at most 2,048 characters, a finite time), bounded by maxResetMs; the others are reported as storage:error', async () => {
		const clock = new ManualClock(t0);
		const name = `rl-tabs-${Math.random()}`;
		const sent: string[] = [];
		// Scopes named by the host (a custom scope, the breaker's): `long` is 2,049 characters, `edge` 2,048.
		const long = 'l'.repeat(2049);
		const edge = 'e'.repeat(2048);
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
				null, 'https://a.test', [1, 'https://a.test', far],
				{ v: 2, scope: 'https://a.test', blockedUntil: far },
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
});
