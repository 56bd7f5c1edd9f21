/**
 * No connection held by a response steadfetch discards (API.md "Request contexts", Connections): a
 * Worker may have 6 connections open, and a body nobody reads keeps one. The upstream's answers that
 * steadfetch lets go (a hedge that lost, a probe's, a replay's) have bodies that never end; the
 * upstream counts how many of them are open at once. Eight of each in one request context: at most
 * one is open at a time, and a request made after them completes. The control (`/leak`, plain
 * `fetch` without reading) shows what a held body does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWorkers, type Harness } from './harness.js';

let harness: Harness;
let server: Server;
let logFrom = 0;
/** Bodies that never end, open now and at most at once (since the test began). */
const bodies = { open: 0, peak: 0 };
const seen = new Map<string, number>();
const state = { down: true };

beforeAll(async () => {
	server = createServer((request, response) => {
		request.resume();
		const path = new URL(request.url ?? '/', 'http://upstream').pathname;
		const count = (seen.get(path) ?? 0) + 1;
		seen.set(path, count);
		const endless = (status: number): void => {
			response.writeHead(status, { 'content-type': 'text/plain' });
			response.write('x'.repeat(1024));
			bodies.peak = Math.max(bodies.peak, ++bodies.open);
			const tick = setInterval(() => response.write('x'.repeat(1024)), 50);
			response.on('close', () => {
				clearInterval(tick);
				bodies.open--;
			});
		};

		const small = (status: number): void => {
			response.writeHead(status, { 'content-type': 'text/plain' });
			response.end(`answer ${path}`);
		};

		const [, kind] = path.split('/');
		if (kind === 'race') {
			// The first attempt's 503 arrives while the hedge (sent after 20 ms) is out; the hedge's 200 wins.
			setTimeout(() => (count === 1 ? endless(503) : small(200)), count === 1 ? 40 : 60);
		} else if (kind === 'stream') {
			endless(path.includes('probe') ? 503 : 200);
		} else if (kind === 'down') {
			if (state.down) {
				small(503);
			} else {
				endless(201);
			}
		} else {
			small(200);
		}
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	harness = await startWorkers({ discard: { file: join(import.meta.dirname, 'workers/discard.js'), options: { bindings: { ORIGIN: origin } } } });
}, 60_000);

afterAll(async () => {
	await harness?.dispose();
	server?.closeAllConnections();
	await new Promise((resolve) => server?.close(resolve));
});

beforeEach(() => {
	bodies.peak = bodies.open;
	logFrom = harness.log.length;
});

afterEach(async () => {
	await new Promise((resolve) => setTimeout(resolve, 200));
	expect(harness.crossRequestWarnings(logFrom)).toEqual([]);
});

const limit = /connection limit/i;

describe('a response steadfetch discards has its body cancelled at once', () => {
	it('8 hedges that lost with an answer: none keeps its connection, a request after them completes', async () => {
		const result = await harness.json<{ outcomes: number[]; last: string }>('discard', '/hedges?n=8');
		expect(result).toEqual({ outcomes: Array.from({ length: 8 }, () => 200), last: 'answer /small/after' });
		expect(bodies.peak).toBeLessThanOrEqual(1);
		expect(harness.log.slice(logFrom).filter((line) => limit.test(line))).toEqual([]);
	}, 30_000);

	it('8 probes of breaker.probe answered 503: none keeps its connection', async () => {
		const result = await harness.json<{ outcomes: string[]; last: string }>('discard', '/probes?n=9');
		expect(result.outcomes).toEqual(['HTTP_5XX', ...Array.from({ length: 8 }, () => 'CIRCUIT_OPEN')]);
		expect(result.last).toBe('answer /small/after');
		expect(seen.get('/stream/probe')).toBe(8);
		expect(bodies.peak).toBeLessThanOrEqual(1);
		expect(harness.log.slice(logFrom).filter((line) => limit.test(line))).toEqual([]);
	}, 30_000);

	it('8 replays answered 201: none keeps its connection, a request after them completes', async () => {
		state.down = true;
		const queued = await harness.json<{ outcomes: number[] }>('discard', '/queue?n=8');
		expect(queued.outcomes).toEqual(Array.from({ length: 8 }, () => 202));
		state.down = false;
		bodies.peak = bodies.open;
		const result = await harness.json<{ outcomes: Array<{ sent: number }>; last: string }>('discard', '/replays');
		expect(result.outcomes[0]).toMatchObject({ sent: 8, remaining: 0 });
		expect(result.last).toBe('answer /small/after');
		expect(bodies.peak).toBeLessThanOrEqual(1);
	}, 30_000);

	it('the control: 8 answers left unread by plain fetch do hold their connections', async () => {
		const response = await harness.fetch('discard', '/leak?n=8');
		await response.text();
		expect(bodies.peak).toBeGreaterThanOrEqual(6);
		logFrom = harness.log.length; // what workerd says of the held connections is the point here
	}, 30_000);
});
