/**
 * No herd on recovery (API.md "Reachability and recovery"), simulated: 1,000 clients (real
 * `createClient`s of the preset, each with its own injected clock and random source and a fake
 * transport) in front of one origin model that is down for 60 s. Each client polls every 2 s and
 * writes (through the outbox) every 60 s, at phases of its own. The breakers open during the outage,
 * double, and let a probe through once their period is over; the writes wait in the outbox and are
 * replayed once the scope came back. Time is simulated (faked timers and `Date`); no network.
 *
 * With the jitter (open periods within ±20 %, drains after 0–`resumeJitterMs`), the fleet comes back
 * spread out: the origin's peak per-second load while it recovers stays within 1.2× its steady state.
 * Without it (every client's `random` returns 0.5: no spread), the breakers that opened within the
 * same two seconds probe within the same two seconds and every client replays its writes at once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, outbox, type Client, type OutboxPolicy } from '../../src/entries/index.js';
import { seededRandom } from '../helpers/manual-clock.js';

const clients = 1_000;
const pollMs = 2_000;
const writeMs = 60_000;
const start = 1_700_000_000_000;
/** The outage: from 20 s to 80 s of simulated time. */
const downFrom = 20_000;
const downUntil = 80_000;
/** The fleet is back by then (the breakers' 40 s periods, ±20 %, end by 112 s; without jitter at 104 s). */
const endMs = 125_000;
const stepMs = 100;

afterEach(() => {
	vi.useRealTimers();
});

/** Simulate the fleet; the origin's answered requests per second of simulated time. */
const simulate = async (jitter: boolean): Promise<number[]> => {
	vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: start });
	const perSecond: number[] = Array.from({ length: endMs / 1_000 }, () => 0);
	/** The origin: refuses connections while down; counts what it answers. */
	const transport = async (): Promise<Response> => {
		const at = Date.now() - start;
		if (at >= downFrom && at < downUntil) {
			throw new TypeError('Failed to fetch');
		}

		perSecond[Math.floor(at / 1_000)]!++;
		return new Response(null, { status: 200 });
	};

	const phases = seededRandom(7); // when each client polls and writes: the same in both runs
	const fleet: Array<{ api: Client<{ outbox: OutboxPolicy }>; poll: number; write: number }> = [];
	for (let index = 0; index < clients; index++) {
		const own = seededRandom(1_000 + index);
		const store = memoryStore(`herd-${index}`);
		const api = createClient({
			baseUrl: 'https://api.example/',
			name: `herd-${index}`,
			store: () => store,
			clock: { now: () => Date.now() },
			random: jitter ? own : () => 0.5,
			fetch: transport,
			retry: 0,
			staleCache: false,
			outbox: outbox({ resumeJitterMs: 2_000 }), // a page's default
		});
		fleet.push({ api, poll: Math.floor(phases() * pollMs), write: Math.floor(phases() * writeMs) });
	}

	const ignore = (): undefined => undefined;
	for (let now = 0; now < endMs; now += stepMs) {
		for (const client of fleet) {
			if (client.poll >= now && client.poll < now + stepMs) {
				client.poll += pollMs;
				void client.api.get('items').catch(ignore);
			}

			if (client.write >= now && client.write < now + stepMs) {
				client.write += writeMs;
				void client.api.post('items', { json: { at: now } }).catch(ignore);
			}
		}

		await vi.advanceTimersByTimeAsync(stepMs);
	}

	for (const { api } of fleet) {
		api.close();
	}

	return perSecond;
};

/** The figures of a run: steady state (mean per second from 5 s to the outage), and the peaks once the origin is back. */
const figures = (perSecond: number[]) => {
	const steady = perSecond.slice(5, downFrom / 1_000).reduce((sum, count) => sum + count, 0) / (downFrom / 1_000 - 5);
	const after = perSecond.slice(downUntil / 1_000);
	const first = after.findIndex((count) => count > 0);
	return {
		steady,
		/** The peak over the first 10 s after the first second the origin answered again. */
		peak10: Math.max(...after.slice(first, first + 10)),
		/** The peak over the whole 45 s after the outage. */
		peak: Math.max(...after),
		backAfterS: first,
	};
};

describe('1,000 clients recovering from a 60 s outage', () => {
	it('with the jitter the origin\'s peak per-second load after the outage stays within 1.2× its steady state; without it, the fleet comes back as a herd', async () => {
		const spread = figures(await simulate(true));
		const herd = figures(await simulate(false));
		console.info(`steady ${spread.steady.toFixed(0)}/s; with jitter: peak ${spread.peak}/s (${(spread.peak / spread.steady).toFixed(2)}×), first 10 s back ${spread.peak10}/s; without: peak ${herd.peak}/s (${(herd.peak / herd.steady).toFixed(2)}×), first 10 s back ${herd.peak10}/s (${(herd.peak10 / herd.steady).toFixed(2)}×)`);
		expect(spread.peak10).toBeLessThanOrEqual(1.2 * spread.steady);
		expect(spread.peak).toBeLessThanOrEqual(1.2 * spread.steady);
		expect(herd.peak10).toBeGreaterThan(2 * herd.steady);
	}, 240_000);
});
