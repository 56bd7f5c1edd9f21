/**
 * The "Done when", measured: an origin that stops answering (it hangs), the breaker opens on
 * the timeouts, the 1,000 calls that follow send nothing and each rejects fast; after recovery one
 * probe goes out and closes the breaker. Plus the cost of a closed breaker on the happy path.
 *
 * Run: npx vitest run --project node test/node/breaker-done.test.ts (figures are printed).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CircuitOpenError, createClient, memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { startApi, type ControlledApi } from '../helpers/pages.js';

let api: ControlledApi;
beforeAll(async () => {
	api = await startApi();
});
afterAll(async () => api?.close());

const figures = (times: number[]) => {
	const sorted = [...times].sort((a, b) => a - b);
	const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;
	return { median: at(0.5), p99: at(0.99), max: sorted.at(-1)!, mean: times.reduce((a, b) => a + b, 0) / times.length };
};

const show = ({ median, p99, max, mean }: ReturnType<typeof figures>) =>
	`median ${(median * 1000).toFixed(1)} µs, p99 ${(p99 * 1000).toFixed(1)} µs, max ${(max * 1000).toFixed(1)} µs, mean ${(mean * 1000).toFixed(1)} µs`;

it('after the breaker opens on a hanging origin, 1,000 calls send zero requests and each rejects fast; after recovery exactly one probe goes out and closes it', async () => {
	const clock = new ManualClock();
	const client = createClient({ clock, timeout: 200, retry: 0, staleCache: false, store: memoryStore, name: 'done-when' });
	const events: string[] = [];
	client.on('breaker:open', (event) => events.push(`open ${event.reason}`));
	client.on('breaker:closed', (event) => events.push(`closed ${event.reason}`));
	const url = `${api.url}/json?id=done`;

	await api.down('hang');
	const start = api.requests;
	const timeouts = await Promise.all(Array.from({ length: 5 }, async () => client.get(url).catch((error: unknown) => (error as Error).name)));
	expect(timeouts).toEqual(Array(5).fill('TimeoutError'));
	expect(client.breaker(api.url).state).toBe('open');
	expect(api.requests - start).toBe(5);

	const before = api.requests;
	const times: number[] = [];
	let rejected = 0;
	for (let index = 0; index < 1000; index++) {
		const started = performance.now();
		try {
			await client.get(url);
		} catch (error) {
			times.push(performance.now() - started);
			rejected += error instanceof CircuitOpenError ? 1 : 0;
		}
	}

	expect(rejected).toBe(1000);
	expect(api.requests - before).toBe(0);
	const measured = figures(times);
	console.log(`[breaker-done] Node ${process.version}, 1000 calls to an open breaker: ${show(measured)}`);
	// Only the median is asserted: on a shared 2-core machine the tail follows the load, not the
	// breaker (the open path does no I/O and awaits nothing). The printed figures are what to read.
	expect(measured.median).toBeLessThan(1);

	await api.up();
	clock.advance(30_000);
	// The probe has 5 s (the client's 200 ms is for the hanging origin): at load 12 a loopback answer took longer than 200 ms.
	const burst = await Promise.all(Array.from({ length: 20 }, async () => client.get(url, { timeout: 5000 }).then((response) => String(response.status), (error: unknown) => (error as Error).name)));
	expect(burst.filter((result) => result === '200'), JSON.stringify(burst)).toHaveLength(1);
	expect(burst.filter((result) => result === 'CircuitOpenError')).toHaveLength(19);
	expect(api.requests - before).toBe(1);
	expect(client.breaker(api.url).state).toBe('closed');
	expect(events).toEqual(['open consecutive-failures', 'closed probe-succeeded']);
	expect((await client.get(url)).status).toBe(200);
	client.close();
}, 60_000);

it('a closed breaker costs little: no storage write, no channel message, one read per scope', async () => {
	const inner = memoryStore('lean');
	const operations: string[] = [];
	const store: KeyValueStore = {
		get: async (key) => (operations.push('get'), inner.get(key)),
		set: async (key, value) => (operations.push('set'), inner.set(key, value)),
		delete: async (key) => (operations.push('delete'), inner.delete(key)),
		keys: async () => (operations.push('keys'), inner.keys()),
		clear: async () => (operations.push('clear'), inner.clear()),
	};
	const listener = new BroadcastChannel('steadfetch:lean:breaker');
	let messages = 0;
	listener.onmessage = () => messages++;
	const ok = async () => new Response('{}');
	const on = createClient({ fetch: ok, retry: 0, staleCache: false, store: () => store, name: 'lean' });
	const off = createClient({ fetch: ok, retry: 0, staleCache: false, store: memoryStore, name: 'lean-off', breaker: false });
	const run = async (client: typeof on, n: number): Promise<ReturnType<typeof figures>> => {
		const times: number[] = [];
		for (let index = 0; index < n; index++) {
			const started = performance.now();
			await client.get('https://api.test/x');
			times.push(performance.now() - started);
		}

		return figures(times);
	};

	await run(on, 200);
	await run(off, 200); // warm-up
	const rounds: Record<'on' | 'off', number[]> = { on: [], off: [] };
	for (let round = 0; round < 10; round++) {
		// Interleaved, so both see the same load and garbage collector.
		rounds.on.push((await run(on, 500)).median);
		rounds.off.push((await run(off, 500)).median);
	}

	const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]! * 1000;
	console.log(`[breaker-done] happy path (a transport that answers at once), median of 10 interleaved rounds of 500 calls: breaker on ${median(rounds.on).toFixed(1)} µs/call, breaker off ${median(rounds.off).toFixed(1)} µs/call`);
	await new Promise((resolve) => setTimeout(resolve, 20));
	expect(operations).toEqual(['get']);
	expect(messages).toBe(0);
	listener.close();
	on.close();
	off.close();
}, 60_000);
