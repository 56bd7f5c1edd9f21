/**
 * Defect hunt, thirty-fifth round (health). health()'s TSDoc: `latency`, `errorRate` and `topErrors` are of calls that
 * reached the network; one refused before any attempt reached it is not counted. An answer (or an error) an app's layer
 * inside health's gave without sending the attempt (a memo, a kept 503) is no call of the scope's.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { health } from '../../src/entries/health.js';
import type { Policy } from '../../src/entries/policy.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** An app's part without a band (inside every built-in): `/memo/*` answered by `answer`, never sent. */
const memo = (answer: () => Response | Promise<Response>): Policy<'memo'> => ({
	slot: 'memo',
	create: () => ({ layer: (next) => async (request, init) => new URL(request.url).pathname.startsWith('/memo/') ? answer() : next(request, init) }),
});

/** The origin answers each request 100 ms (the client's clock) after it was sent. */
const client = (answer: () => Response | Promise<Response>) => {
	const sent: string[] = [];
	const clock = new ManualClock();
	const fetch = async (request: Request) => {
		sent.push(new URL(request.url).pathname);
		clock.advance(100);
		return new Response('ok');
	};
	const api = createClient({ clock, fetch, retry: 0, timeout: false, retryBudget: false, health: health(), memo: memo(answer) } as never);
	return { api, sent };
};

describe('health(): what an app\'s layer inside it answered without sending the attempt is no call of the scope', () => {
	it('a kept 503 twelve times: no error rate, no top error, no latency, no scope:unhealthy (nothing was sent)', async () => {
		const { api, sent } = client(() => new Response('down for a while', { status: 503 }));
		const unhealthy: string[] = [];
		api.on('scope:unhealthy', ({ scope }) => unhealthy.push(scope));
		for (let index = 0; index < 12; index++) {
			await api.get(`https://api.test/memo/${index}`, { throwHttpErrors: false }).text();
		}

		expect(sent).toEqual([]);
		const stats = api.stats()['https://api.test'] as { errorRate?: number; topErrors?: unknown[]; latency?: unknown } | undefined;
		expect([stats?.errorRate ?? 0, stats?.topErrors ?? [], unhealthy]).toEqual([0, [], []]);
		api.close();
	});

	it('a memo\'s 200s are no latency samples; the calls that went out still count, with their outcome', async () => {
		const { api, sent } = client(() => new Response('kept'));
		for (let index = 0; index < 5; index++) {
			await api.get(`https://api.test/memo/${index}`).text();
		}

		await api.get('https://api.test/real').text();
		expect(sent).toEqual(['/real']);
		const stats = api.stats()['https://api.test'] as { errorRate?: number; latency?: { p50: number } } | undefined;
		// Before: p50 0 (five 0 ms "answers" of the memo and the real call's 100 ms).
		expect([stats?.errorRate, stats?.latency?.p50]).toEqual([0, 100]);
		api.close();
	});

	it('an error a layer inside threw without sending (not steadfetch\'s) is no NETWORK failure of the scope', async () => {
		const { api, sent } = client(() => Promise.reject(new TypeError('memo broke')));
		const unhealthy: string[] = [];
		api.on('scope:unhealthy', ({ scope }) => unhealthy.push(scope));
		for (let index = 0; index < 12; index++) {
			await api.get(`https://api.test/memo/${index}`).text().catch(() => undefined);
		}

		expect(sent).toEqual([]);
		const stats = api.stats()['https://api.test'] as { errorRate?: number; topErrors?: unknown[] } | undefined;
		expect([stats?.errorRate ?? 0, stats?.topErrors ?? [], unhealthy]).toEqual([0, [], []]);
		api.close();
	});
});
