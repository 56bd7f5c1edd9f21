/**
 * How long a hedge's answer pauses the origin's hedges (the hedge, failover, policies and cache tests of a server's
 * Retry-After and RateLimit fields).
 */
import { expect } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { hedge } from '../../src/entries/hedge.js';
import { held } from '../unit/counting-origin-kit.js';
import { ManualClock } from './manual-clock.js';
import { waitFor } from './wait-for.js';

/**
 * Whether a call to the origin is hedged `laterMs` (the client's clock, from 1_700_000_000_000) after a hedge of an
 * earlier call was answered `status` with `headers`: told by a call to another origin made with it, whose hedge is due
 * with its own. `options` are the client's besides (a `retry` of its own).
 */
export const hedgedAfter = async (status: number, headers: Record<string, string>, laterMs: number, options: object = {}): Promise<boolean> => {
	const clock = new ManualClock();
	const { pending, fetch } = held();
	const api = createClient({ clock, fetch, retry: 0, timeout: false, retryBudget: false, hedge: hedge({ delayMs: 30 }), ...options } as never);
	const hedged: string[] = [];
	api.on('hedge', ({ url }) => hedged.push(new URL(url).pathname));
	const first = api.get('https://api.test/first');
	await waitFor(() => pending.length === 2, 'the first call\'s hedge');
	pending[1]!.release(new Response('busy', { status, headers }));
	pending[0]!.release(new Response('ok'));
	await first.text(); // The hedge's answer when it was a good one.
	clock.advance(laterMs);
	const calls = [api.get('https://api.test/same'), api.get('https://other.test/other')];
	await waitFor(() => hedged.includes('/other'), 'the other origin\'s hedge');
	for (const attempt of pending.slice(2)) {
		attempt.release(new Response('ok'));
	}

	expect(await Promise.all(calls.map(async (call) => call.text()))).toEqual(['ok', 'ok']);
	api.close();
	return hedged.includes('/same');
};
