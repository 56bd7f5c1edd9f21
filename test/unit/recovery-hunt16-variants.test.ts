/** Variants of recovery and the breaker (API.md "Reachability and recovery"), sixteenth round. */
import { describe, expect, it, vi } from 'vitest';
import { flush, origin, pagesEachDescribe, times } from './breaker-kit.js';

const { now, inPage, triggers } = pagesEachDescribe('hunt16');
const probes = [
	{ how: 'the first call is the probe', breakerOptions: {} },
	{ how: 'with breaker.probe', breakerOptions: { probe: '/health' } },
];

/** A GET of `${origin}/x` through `api`: its status, or its error's code (else name). */
const outcome = async (api: { get(url: string): Promise<Response> }): Promise<string> => api.get(`${origin}/x`).then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));

/**
 * A tab of a page and a client its extend() made, their breaker opened on the tab's network failures (5 in a row),
 * 10 s later, the origin now hanging: the next call is the early probe.
 */
const childOpened = async (breakerOptions: object = {}) => {
	const made = now.page();
	const tab = made.open(breakerOptions);
	const child = tab.api.extend({ headers: { 'x-child': '1' } });
	tab.server.down();
	await times(5, async () => tab.call());
	await vi.waitFor(() => expect(child.breaker(origin).state).toBe('open'));
	made.clock.advance(10_000);
	tab.server.hang();
	return { tab, child };
};

describe('breaker: a client extend() made waits for the early probe its page let through, as its parent\'s calls do', () => {
	inPage();
	for (const { trigger, fire } of triggers) {
		for (const { how, breakerOptions } of probes) {
			for (const first of ['parent', 'child'] as const) {
				it(`${trigger}, ${how}, the ${first}'s call first: calls of both get fresh data`, async () => {
					const { tab, child } = await childOpened(breakerOptions);
					fire();
					const calls = first === 'parent' ? [tab.call(), outcome(child)] : [outcome(child), tab.call()];
					await vi.waitFor(() => expect(tab.server.pending).toHaveLength(1)); // the probe (one)
					await flush();
					await flush();
					tab.server.up();
					tab.server.settleAll(new Response('{}', { status: 200 }));
					expect(await Promise.all(calls)).toEqual(['200', '200']);
					expect(tab.server.requests.length).toBeLessThanOrEqual(5 + 1 + 2);
					expect(child.breaker(origin).state).toBe('closed');
				});
			}
		}
	}
});

describe('breaker: a reloaded page whose first call goes through a client extend() made gets fresh data', () => {
	inPage();
	for (const { how, breakerOptions } of probes) {
		it(`${how}: the child's first call`, async () => {
			const made = await now.openedAndClosed(breakerOptions);
			const reloaded = made.open(breakerOptions);
			const child = reloaded.api.extend({ headers: { 'x-child': '1' } });
			reloaded.server.up();
			expect(await outcome(child)).toBe('200');
			expect(child.breaker(origin).state).toBe('closed');
		});
	}
});

describe('breaker: the neighbours of a page\'s early probe across the clients extend() made', () => {
	inPage();
	for (const { trigger, fire } of triggers) {
		for (const { how, breakerOptions } of probes) {
			it(`${trigger}, ${how}: a probe that fails fails the child's waiting call fast once it has failed, and no second probe goes`, async () => {
				const { tab, child } = await childOpened(breakerOptions);
				fire();
				let settled = false;
				const childCall = outcome(child).finally(() => {
					settled = true;
				});
				const parentCall = tab.call();
				await vi.waitFor(() => expect(tab.server.pending).toHaveLength(1)); // the probe (one)
				await flush();
				await flush();
				expect(settled).toBe(false); // before: CIRCUIT_OPEN at once, while the probe was in flight
				tab.server.settleAll(new TypeError('Failed to fetch'));
				// Whichever of the two calls was the probe (without `breaker.probe`) failed on the network; the other failed fast.
				expect((await Promise.all([childCall, parentCall])).sort()).toEqual(how === 'with breaker.probe' ? ['CIRCUIT_OPEN', 'CIRCUIT_OPEN'] : ['CIRCUIT_OPEN', 'NetworkError']);
				expect(tab.server.requests).toHaveLength(6); // nobody went out after the failed probe
				expect(child.breaker(origin).state).toBe('open');
			});
		}
	}

	it('the child\'s call waiting for the parent\'s probe ends at once at its own abort', async () => {
		const { tab, child } = await childOpened();
		now.win.setOnline(true);
		const probe = tab.call();
		await vi.waitFor(() => expect(tab.server.pending).toHaveLength(1));
		const controller = new AbortController();
		const waiting = child.get(`${origin}/x`, { signal: controller.signal }).then(() => 'ok', (error: Error) => error.name);
		await flush();
		controller.abort();
		expect(await waiting).toBe('AbortError');
		tab.server.settleAll(new Response('{}', { status: 200 }));
		expect(await probe).toBe('200');
		expect(tab.server.requests).toHaveLength(6);
	});

	for (const { how, breakerOptions } of probes) {
		it(`${how}: after a reload, the child's call made while the parent's first call probes waits for it`, async () => {
			const made = await now.openedAndClosed(breakerOptions);
			const reloaded = made.open(breakerOptions);
			const child = reloaded.api.extend({ headers: { 'x-child': '1' } });
			reloaded.server.hang();
			const first = reloaded.call();
			await vi.waitFor(() => expect(reloaded.server.pending).toHaveLength(1)); // the probe
			const second = outcome(child);
			await flush();
			await flush();
			reloaded.server.up();
			reloaded.server.settleAll(new Response('{}', { status: 200 }));
			expect(await Promise.all([first, second])).toEqual(['200', '200']);
		});

		it(`${how}: a client extend() made after the reload's probe failed reads the open state and sends no probe of its own`, async () => {
			const made = await now.openedAndClosed(breakerOptions);
			const reloaded = made.open(breakerOptions);
			reloaded.server.down();
			expect(await reloaded.call()).toBe(how === 'with breaker.probe' ? 'CIRCUIT_OPEN' : 'NetworkError');
			await vi.waitFor(async () => expect(await made.store.get(origin)).toMatchObject({ state: 'open', probed: true }));
			const sent = reloaded.server.requests.length;
			const child = reloaded.api.extend({ headers: { 'x-child': '1' } });
			expect(await outcome(child)).toBe('CIRCUIT_OPEN');
			await flush();
			expect(reloaded.server.requests).toHaveLength(sent);
		});
	}

	it('a second createClient of the name in the page (a tab of its own) still fails fast while the first client\'s reload probe is in flight', async () => {
		const made = await now.openedAndClosed();
		const reloaded = made.open();
		reloaded.server.hang();
		const first = reloaded.call();
		await vi.waitFor(() => expect(reloaded.server.pending).toHaveLength(1));
		const other = made.open();
		other.server.hang();
		expect(await other.call()).toBe('CIRCUIT_OPEN');
		reloaded.server.settleAll(new Response('{}', { status: 200 }));
		expect(await first).toBe('200');
	});
});
