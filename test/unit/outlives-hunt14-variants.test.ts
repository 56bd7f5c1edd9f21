/**
 * Variants of API.md "Work that outlives its caller" ("no further attempt of it goes out once its identity changed")
 * and "Identity" (defect hunt, fourteenth round): the FIRST attempt of a call that waited in a queue.
 */
import { describe, expect, it } from 'vitest';
import { sharedCoordinator } from '../../src/breaker/shared.js';
import { emptyState, sync, type ScopeState, type SyncMessage } from '../../src/breaker/sync.js';
import { tallyThrottle, type ThrottleMessage } from '../../src/coordinator/throttle.js';
import { breaker } from '../../src/entries/breaker.js';
import { bulkhead } from '../../src/entries/bulkhead.js';
import { classify, createClient, type CoreClientOptions } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { createClient as createPreset, memoryStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, origin, windowEachTest } from './breaker-kit.js';
import { scripted } from './counting-origin-kit.js';

const t0 = 1_700_000_000_000;

/** A gate the test opens: `wait()` resolves once `open()` is called. */
const gate = () => {
	let open!: () => void;
	const opened = new Promise<void>((resolve) => {
		open = resolve;
	});
	return { opened, open: () => open() };
};

/** Attempts waiting for a slot of the test origin's bulkhead. */
const queued = (api: { stats(): Record<string, unknown> }): number | undefined => (api.stats()['https://api.test'] as { bulkhead?: { queued: number } } | undefined)?.bulkhead?.queued;

/** What comes first: the call ends (its outcome), or `sent()` turns true ('sent': it went out, and waits for its answer). */
const endsOrSent = async <T>(call: Promise<T>, sent: () => boolean): Promise<T | 'sent'> => {
	let ended = false;
	void call.finally(() => {
		ended = true;
	});
	await expect.poll(() => ended || sent(), { timeout: 5_000 }).toBe(true);
	return ended ? call : 'sent';
};

/** How a call ended: its status, or its error's code. */
const outcome = async (call: Promise<Response>): Promise<string> => call.then((response) => String(response.status), (error: unknown) => classify(error).code);

/** What is done to alice's session while her call waits: she signs out and bob signs in, she signs out, or the app clears. */
const changes = [
	['bob signs in', (who: { is: string | undefined }) => {
		who.is = 'bob';
	}],
	['alice signs out (no identity)', (who: { is: string | undefined }) => {
		who.is = undefined;
	}],
	['clear() (a logout)', (_: unknown, api: { clear(): Promise<void> }) => void api.clear()],
] as const;

/**
 * A client whose attempts the test answers by hand, made with `options` and an identity the test changes; `blocker`
 * is called first (a call that takes the queue's place) and alice's call then waits behind it.
 */
const setUp = (options: Partial<CoreClientOptions>, first: { is: string | undefined } = { is: 'alice' }) => {
	const { attempts, fetch } = scripted();
	const who = first;
	const api = createClient({ fetch, retry: 0, retryBudget: false, timeout: false, breaker: false, identity: () => who.is, ...options } as CoreClientOptions);
	const paths = () => attempts.map(({ request }) => new URL(request.url).pathname);
	return { api, who, attempts, paths };
};

describe('a call\'s first attempt that waited in a queue is not sent once its identity changed (API.md "Work that outlives its caller")', () => {
	it.each(changes)('a bulkhead slot: %s while alice\'s call waits; it is refused (ABORTED), never sent', async (_, change) => {
		const { api, who, attempts, paths } = setUp({ bulkhead: bulkhead({ maxConcurrent: 1 }) });
		const other = outcome(api.get('https://api.test/other'));
		await expect.poll(() => attempts.length).toBe(1);
		const alices = outcome(api.get('https://api.test/alices'));
		await expect.poll(() => queued(api)).toBe(1);
		change(who, api);
		attempts[0]!.answer(200);
		expect(await other).toBe('200');
		// Before: sent (['/other', '/alices']) with bob's cookies, and answered 200.
		expect(await endsOrSent(alices, () => attempts.length >= 2)).toBe('ABORTED');
		expect(paths()).toEqual(['/other']);
		// The slot it never used is free: bob's next call goes at once.
		const next = outcome(api.get('https://api.test/next'));
		await expect.poll(() => attempts.length).toBe(2);
		attempts[1]!.answer(200);
		expect(await next).toBe('200');
		api.close();
	});

	it.each(changes)('a rate-limit token: %s while alice\'s call waits; it is refused, never sent', async (_, change) => {
		const { api, who, attempts, paths } = setUp({ rateLimit: rateLimit({ perSecond: 20, burst: 1, fromHeaders: false }) });
		const waits: number[] = [];
		api.on('ratelimit:wait', ({ waitMs }) => void waits.push(waitMs));
		const other = outcome(api.get('https://api.test/other'));
		await expect.poll(() => attempts.length).toBe(1);
		attempts[0]!.answer(200);
		expect(await other).toBe('200');
		const alices = outcome(api.get('https://api.test/alices'));
		await expect.poll(() => waits).toHaveLength(1);
		change(who, api);
		expect(await endsOrSent(alices, () => attempts.length >= 2)).toBe('ABORTED');
		expect(paths()).toEqual(['/other']);
		api.close();
	});

	it.each(changes)('an app\'s async beforeRequest hook: %s while it runs; the call is not sent', async (_, change) => {
		const held = gate();
		let running = false;
		const { api, who, attempts } = setUp({ hooks: { beforeRequest: [async () => {
			running = true;
			await held.opened;
		}] } });
		const alices = outcome(api.get('https://api.test/alices'));
		await expect.poll(() => running).toBe(true);
		change(who, api);
		held.open();
		expect(await endsOrSent(alices, () => attempts.length >= 1)).toBe('ABORTED');
		api.close();
	});

	it.each(changes)('the adaptive throttle\'s wait for its coordinator: %s meanwhile; the call is not sent', async (_, change) => {
		const clock = new ManualClock(t0);
		const answering = gate();
		let asked = 0;
		const states = new Map<string, unknown>();
		const coordinator = sharedCoordinator(async (scope, message) => {
			asked++;
			await answering.opened;
			const [state, counts] = tallyThrottle(scope, states.get(scope), (message as ThrottleMessage).throttle, clock.now());
			states.set(scope, state);
			return structuredClone(counts);
		});
		const { api, who, attempts } = setUp({ clock, adaptiveThrottle: adaptiveThrottle({ shared: coordinator }) } as never);
		const alices = outcome(api.get('https://api.test/alices'));
		await expect.poll(() => asked).toBe(1);
		change(who, api);
		answering.open();
		expect(await endsOrSent(alices, () => attempts.length >= 1)).toBe('ABORTED');
		api.close();
	});

	it.each(changes)('the breaker\'s half-open turn (its coordinator grants the probe): %s meanwhile; the probe is not sent, nor counted', async (_, change) => {
		const clock = new ManualClock(t0);
		const states = new Map<string, ScopeState>();
		let hold: ReturnType<typeof gate> | undefined;
		let held = 0;
		const coordinator = sharedCoordinator(async (scope, message) => {
			if (hold) {
				held++;
				await hold.opened;
			}

			const state = states.get(scope) ?? emptyState(scope);
			states.set(scope, state);
			return structuredClone(sync(state, message as SyncMessage, clock.now()));
		});
		const { api, who, attempts } = setUp({ clock, random: () => 0.5, breaker: breaker({ shared: coordinator, consecutiveFailures: 1, openMs: 1_000, share: false }) });
		const first = outcome(api.get('https://api.test/first'));
		await expect.poll(() => attempts.length).toBe(1);
		attempts[0]!.answer(503);
		expect(await first).toBe('HTTP_5XX');
		await expect.poll(() => states.get('https://api.test')?.record.state).toBe('open');
		clock.advance(1_000);
		hold = gate();
		const alices = outcome(api.get('https://api.test/alices'));
		await expect.poll(() => held).toBe(1); // Her call would be the probe: it waits for the coordinator's grant.
		change(who, api);
		hold.open();
		expect(await endsOrSent(alices, () => attempts.length >= 2)).toBe('ABORTED');
		expect(attempts).toHaveLength(1);
		// Nothing counted against the scope: it did not open again for a probe that never went.
		expect((api as unknown as { breaker(scope: string): { state: string } | undefined }).breaker('https://api.test')?.state).not.toBe('open');
		api.close();
	});

	it('a dedupe flight alice\'s second call joined, whose request waited for a bulkhead slot: neither goes out after bob signs in', async () => {
		const { api, who, attempts, paths } = setUp({ bulkhead: bulkhead({ maxConcurrent: 1 }), dedupe: dedupe() });
		const other = outcome(api.get('https://api.test/other'));
		await expect.poll(() => attempts.length).toBe(1);
		const alices = [outcome(api.get('https://api.test/alices')), outcome(api.get('https://api.test/alices'))];
		await expect.poll(() => queued(api)).toBe(1);
		who.is = 'bob';
		attempts[0]!.answer(200);
		expect(await other).toBe('200');
		expect(await endsOrSent(Promise.all(alices), () => attempts.length >= 2)).toEqual(['ABORTED', 'ABORTED']);
		expect(paths()).toEqual(['/other']);
		api.close();
	});
});

describe('the breaker\'s early probe (breaker.probe, a reload that finds the open state): its first call waits for it', () => {
	const clients = windowEachTest();
	it.each(changes)('%s while alice\'s call waits; the probe closes the breaker; her call is not sent', async (_, change) => {
		const clock = new ManualClock(t0);
		const store = memoryStore(`h14-early-${Math.random()}`);
		const name = `h14-early-${Math.random()}`;
		const who = { is: 'alice' as string | undefined };
		const open = () => {
			const server = new FakeOrigin();
			const api = createPreset({ clock, random: () => 0.5, name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, identity: () => who.is, breaker: { share: true, openMs: 30_000, probe: '/health' } });
			clients.push(api);
			return { api, server };
		};

		const before = open();
		before.server.down();
		for (let failures = 0; failures < 5; failures++) {
			await before.api.get(`${origin}/x`).catch(() => undefined);
		}

		await expect.poll(async () => store.get(origin)).toMatchObject({ state: 'open', unanswered: true });
		before.api.close();
		clock.advance(2_000);
		const after = open(); // the reloaded page
		after.server.hang();
		const alices = outcome(after.api.get(`${origin}/x`));
		await expect.poll(() => after.server.pending.length).toBe(1); // the probe (/health), which her call waits for
		change(who, after.api);
		after.server.up();
		after.server.settleAll(new Response('{}', { status: 200 }));
		expect(await endsOrSent(alices, () => after.server.requests.length >= 2)).toBe('ABORTED');
		expect(after.server.requests.map(({ url }) => new URL(url).pathname)).toEqual(['/health']);
	});
});

describe('clear({ identity }) while alice\'s call waits for a bulkhead slot', () => {
	it.each([
		['alice', 'ABORTED', ['/other']],
		['carol', '200', ['/other', '/alices']],
	] as const)('clear({ identity: %j }): her call ends %s', async (identity, ends, sent) => {
		const { api, attempts, paths } = setUp({ bulkhead: bulkhead({ maxConcurrent: 1 }) });
		const other = outcome(api.get('https://api.test/other'));
		await expect.poll(() => attempts.length).toBe(1);
		const alices = outcome(api.get('https://api.test/alices'));
		await expect.poll(() => queued(api)).toBe(1);
		void api.clear({ identity });
		attempts[0]!.answer(200);
		expect(await other).toBe('200');
		const first = await endsOrSent(alices, () => attempts.length >= 2);
		if (first === 'sent') {
			attempts[1]!.answer(200);
		}

		expect(await alices).toBe(ends);
		expect(paths()).toEqual(sent);
		api.close();
	});
});

describe('a logout made through another client of the same name (another part of the app)', () => {
	it('its clear() while alice\'s call waits for a bulkhead slot here: her call is not sent', async () => {
		const name = `h14-other-client-${Math.random()}`;
		const { api, attempts, paths } = setUp({ name, bulkhead: bulkhead({ maxConcurrent: 1 }) } as Partial<CoreClientOptions>);
		const elsewhere = createClient({ name, fetch: (async () => new Response('')) as typeof fetch, identity: () => 'alice' });
		const other = outcome(api.get('https://api.test/other'));
		await expect.poll(() => attempts.length).toBe(1);
		const alices = outcome(api.get('https://api.test/alices'));
		await expect.poll(() => queued(api)).toBe(1);
		await elsewhere.clear();
		attempts[0]!.answer(200);
		expect(await other).toBe('200');
		expect(await endsOrSent(alices, () => attempts.length >= 2)).toBe('ABORTED');
		expect(paths()).toEqual(['/other']);
		elsewhere.close();
		api.close();
	});
});

describe('what is unchanged', () => {
	it('a call made while nobody was signed in still goes out after someone signs in (the decided behaviour)', async () => {
		const { api, who, attempts, paths } = setUp({ bulkhead: bulkhead({ maxConcurrent: 1 }) }, { is: undefined });
		const other = outcome(api.get('https://api.test/other'));
		await expect.poll(() => attempts.length).toBe(1);
		const anonymous = outcome(api.get('https://api.test/anonymous'));
		await expect.poll(() => queued(api)).toBe(1);
		who.is = 'bob';
		attempts[0]!.answer(200);
		await expect.poll(() => attempts.length).toBe(2);
		attempts[1]!.answer(200);
		expect([await other, await anonymous]).toEqual(['200', '200']);
		expect(paths()).toEqual(['/other', '/anonymous']);
		api.close();
	});

	it('alice\'s call that waited while she stayed signed in goes out', async () => {
		const { api, attempts, paths } = setUp({ bulkhead: bulkhead({ maxConcurrent: 1 }) });
		const other = outcome(api.get('https://api.test/other'));
		await expect.poll(() => attempts.length).toBe(1);
		const alices = outcome(api.get('https://api.test/alices'));
		await expect.poll(() => queued(api)).toBe(1);
		attempts[0]!.answer(200);
		await expect.poll(() => attempts.length).toBe(2);
		attempts[1]!.answer(200);
		expect([await other, await alices]).toEqual(['200', '200']);
		expect(paths()).toEqual(['/other', '/alices']);
		api.close();
	});
});
