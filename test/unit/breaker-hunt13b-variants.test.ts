/** Variants of recovery at a reload and around the probe (API.md "Reachability and recovery"), thirteenth round, second pass. */
import { describe, expect, it, vi } from 'vitest';
import { flush, origin, probeFails, sharedPages, windowEachTest } from './breaker-kit.js';

const clients = windowEachTest();
const { openedAndClosed } = sharedPages(clients, 'hunt13b');

/** The reloads: the open period still running (a recovery trigger cuts it short), or over while no page ran. */
const reloads = [
	{ when: 'while the open period runs', advance: 10_000 },
	{ when: 'after the open period ended', advance: 60_000 },
];
const probes = [
	{ how: 'the first call is the probe', breakerOptions: {}, first: [] as string[] },
	{ how: 'with breaker.probe', breakerOptions: { probe: '/health' }, first: [`${origin}/health`] },
];

describe('breaker: a reload firing several calls at once (the scope opened by network failures)', () => {
	for (const { when, advance } of reloads) {
		for (const { how, breakerOptions, first } of probes) {
			it(`${when}, ${how}: every call waits for the early probe and gets fresh data`, async () => {
				const { clock, open } = await openedAndClosed(breakerOptions);
				clock.advance(advance);
				const after = open(breakerOptions);
				after.server.hang();
				const calls = [after.call(), after.call(), after.call()];
				await vi.waitFor(() => expect(after.server.pending).toHaveLength(1)); // the probe (one)
				await flush();
				after.server.up();
				after.server.settleAll(new Response('{}', { status: 200 }));
				expect(await Promise.all(calls)).toEqual(['200', '200', '200']); // before: ['200', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN']
				expect(after.server.requests.slice(0, first.length + 1).map(({ url }) => url)).toEqual([...first, `${origin}/x`]);
				expect(after.snapshot().state).toBe('closed');
			});

			it(`${when}, ${how}: a probe that fails fails the waiting calls fast once it has failed`, async () => {
				const { clock, open } = await openedAndClosed(breakerOptions);
				clock.advance(advance);
				const after = open(breakerOptions);
				after.server.hang();
				const results = await probeFails(after);
				expect(results.slice(1)).toEqual(['CIRCUIT_OPEN', 'CIRCUIT_OPEN']);
				expect(after.server.requests).toHaveLength(1); // nobody went out after the failed probe
				expect(after.snapshot().state).toBe('open');
			});
		}
	}

	it('a waiting call is ended by its own signal (ABORTED-like), and by close() (CLIENT_CLOSED); nothing more goes out', async () => {
		const { clock, open } = await openedAndClosed();
		clock.advance(10_000);
		const after = open();
		after.server.hang();
		const controller = new AbortController();
		const probe = after.call();
		await vi.waitFor(() => expect(after.server.pending).toHaveLength(1));
		const aborted = after.call({ signal: controller.signal });
		const closed = after.call();
		await flush();
		controller.abort(new Error('gone'));
		expect(await aborted).toBe('Error');
		after.api.close();
		expect(await closed).toBe('CLIENT_CLOSED');
		after.server.settleAll(new Response('{}', { status: 200 }));
		await probe;
		expect(after.server.requests).toHaveLength(1);
	});

	it('with breaker.probe, the first call (waiting for the probe it sent) is ended by its own signal at once, and a later one by close()', async () => {
		const { clock, open } = await openedAndClosed({ probe: '/health' });
		clock.advance(10_000);
		const after = open({ probe: '/health' });
		after.server.hang();
		const controller = new AbortController();
		const aborted = after.call({ signal: controller.signal });
		await vi.waitFor(() => expect(after.server.pending).toHaveLength(1));
		const closed = after.call();
		await flush();
		controller.abort(new Error('gone'));
		expect(await aborted).toBe('Error'); // before: it waited for the probe
		after.api.close();
		expect(await closed).toBe('CLIENT_CLOSED');
		expect(after.server.requests.map(({ url }) => url)).toEqual([`${origin}/health`]);
	});

	it('calls made after the reload\'s probe failed fail fast at once, as before (no wait)', async () => {
		const { clock, open } = await openedAndClosed();
		clock.advance(10_000);
		const after = open();
		after.server.down();
		expect(await after.call()).toBe('NetworkError');
		after.server.hang();
		expect(await after.call()).toBe('CIRCUIT_OPEN');
		expect(after.server.requests).toHaveLength(1);
	});
});
