/** The caller's abort, with policies that share or hold its work (dedupe, hedge, failover, bulkhead): the twentieth hunt's variants. */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';

/** A loopback origin whose JSON body stops after its first bytes until `finish()`; `closed`: answers whose connection ended before. */
const origin = { url: '', requests: 0, answers: [] as ServerResponse[], closed: 0 };
const server = createServer((_incoming, outgoing) => {
	origin.requests++;
	origin.answers.push(outgoing);
	outgoing.on('close', () => {
		origin.closed += outgoing.writableEnded ? 0 : 1;
	});
	outgoing.writeHead(200, { 'content-type': 'application/json' });
	outgoing.write('{"a":');
});
const finish = (): void => {
	for (const answer of origin.answers.splice(0)) {
		answer.end('1}');
	}
};

beforeAll(async () => {
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	origin.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
	server.closeAllConnections();
	await new Promise((resolve) => server.close(resolve));
});

/** What a promise has come to so far: 'pending', or what it settled with. */
const watch = (promise: Promise<unknown>): { state: unknown } => {
	const seen: { state: unknown } = { state: 'pending' };
	promise.then((value) => {
		seen.state = ['ok', value];
	}, (error: unknown) => {
		seen.state = ['rejected', error];
	});
	return seen;
};

describe('dedupe(): a caller that aborts while it reads the shared body', () => {
	// What a test before left unanswered (it failed) does not hold the next one.
	beforeEach(() => {
		finish();
		origin.closed = 0;
	});

	it('ends its own read with its reason (as fetch does); the other caller reads the whole body', async () => {
		const { requests } = origin;
		const api = createClient({ dedupe: dedupe(), retry: 0, timeout: false, totalTimeout: false });
		const alice = new AbortController();
		const [first, second] = await Promise.all([
			api.get(`${origin.url}/shared`, { signal: alice.signal }),
			api.get(`${origin.url}/shared`),
		]);
		expect(origin.requests - requests).toBe(1);
		expect([first.url, second.url]).toEqual([`${origin.url}/shared`, `${origin.url}/shared`]);
		const reading = watch(first.json());
		const other = second.json();
		alice.abort('alice left');
		await vi.waitFor(() => expect(reading.state).toEqual(['rejected', 'alice left']), { timeout: 3000 });
		finish();
		expect(await other).toEqual({ a: 1 });
		api.close();
	});

	it('an abort with no reason ends the read with an AbortError DOMException, as fetch\'s', async () => {
		const api = createClient({ dedupe: dedupe(), retry: 0, timeout: false, totalTimeout: false });
		const alice = new AbortController();
		const [first, second] = await Promise.all([
			api.get(`${origin.url}/none`, { signal: alice.signal }),
			api.get(`${origin.url}/none`),
		]);
		const reading = watch(first.text());
		alice.abort();
		await vi.waitFor(() => expect(reading.state).toEqual(['rejected', expect.objectContaining({ name: 'AbortError' })]), { timeout: 3000 });
		expect((reading.state as [string, unknown])[1]).toBeInstanceOf(DOMException);
		finish();
		expect(await second.text()).toBe('{"a":1}');
		api.close();
	});

	it('every caller aborting during its read lets the shared request\'s connection go', async () => {
		const api = createClient({ dedupe: dedupe(), retry: 0, timeout: false, totalTimeout: false });
		const alice = new AbortController();
		const bob = new AbortController();
		const [first, second] = await Promise.all([
			api.get(`${origin.url}/both`, { signal: alice.signal }),
			api.get(`${origin.url}/both`, { signal: bob.signal }),
		]);
		const reads = [watch(first.text()), watch(second.arrayBuffer())];
		alice.abort(new Error('alice left'));
		bob.abort(new Error('bob left'));
		await vi.waitFor(() => expect(reads.map(({ state }) => (state as [string, Error])[1]?.message)).toEqual(['alice left', 'bob left']), { timeout: 3000 });
		await vi.waitFor(() => expect(origin.closed).toBe(1), { timeout: 3000 });
		origin.answers.length = 0;
		api.close();
	});

	it('a caller that does not abort reads its body as before, also alone (the original response, its url kept)', async () => {
		const api = createClient({ dedupe: dedupe(), retry: 0, timeout: false, totalTimeout: false });
		const alone = api.get(`${origin.url}/alone`);
		await vi.waitFor(() => expect(origin.answers).toHaveLength(1), { timeout: 5000 });
		finish();
		const response = await alone;
		expect([response.url, response.status, response.headers.get('content-type'), await response.json()]).toEqual([`${origin.url}/alone`, 200, 'application/json', { a: 1 }]);
		api.close();
	});
});
