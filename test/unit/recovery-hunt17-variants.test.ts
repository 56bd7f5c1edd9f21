/** Variants of recovery and the breaker (API.md "Reachability and recovery"), seventeenth round. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, type ReachabilityEvent } from '../../src/entries/core.js';
import { createClient as createPreset } from '../../src/entries/index.js';
import { scripted, setOnLine } from '../helpers/scripted-origins.js';
import { switchableStore } from '../helpers/switchable-store.js';
import { flush, origin, tabPages, times, windowEachTest } from './breaker-kit.js';

type TabOf = ReturnType<ReturnType<ReturnType<typeof tabPages>>['open']>;

const a = 'https://a.test';

afterEach(() => {
	setOnLine(undefined);
});

const makers = [
	{ entry: 'steadfetch/core', make: (options: object) => createClient({ retry: 0, retryBudget: false, ...options }) },
	{ entry: 'the preset', make: (options: object) => createPreset({ retry: 0, retryBudget: false, ...options }) },
];
const children = [
	{ how: 'extend() with headers', more: { headers: { 'x-child': '1' } } },
	{ how: 'extend() with another name', more: { name: 'other' } },
];

/** A GET of `${a}/x` through `api`, its outcome ignored. */
const call = async (api: { get(url: string): Promise<Response> }): Promise<void> => {
	await api.get(`${a}/x`).then(() => undefined, () => undefined);
};

describe('reachability is per origin for a client and the clients its extend() made (decided: they share it)', () => {
	for (const { entry, make } of makers) {
		for (const { how, more } of children) {
			for (const failing of ['parent', 'child'] as const) {
				it(`${entry}, ${how}: the ${failing}'s two failures make the scope unreachable for both, and each client is told`, async () => {
					const plan: Record<string, number | 'down'> = { [a]: 'down' };
					const parent = make({ fetch: scripted(plan) });
					const child = parent.extend(more as never);
					const told: Record<string, string[]> = { parent: [], child: [] };
					parent.on('reachability', ({ state }: ReachabilityEvent) => told['parent']!.push(state));
					child.on('reachability', ({ state }: ReachabilityEvent) => told['child']!.push(state));
					const [failer, other] = failing === 'parent' ? [parent, child] : [child, parent];
					await call(failer);
					await call(failer);
					expect(other.reachability(a)).toBe('unreachable'); // before: 'unknown' for the one that made no call
					expect(failer.reachability(a)).toBe('unreachable');
					plan[a] = 200;
					await call(other);
					expect(failer.reachability(a)).toBe('reachable');
					expect(told).toEqual({ parent: ['unreachable', 'reachable'], child: ['unreachable', 'reachable'] });
					parent.close();
					child.close();
				});
			}

			it(`${entry}, ${how}: navigator.onLine false, an answer to the parent makes the scope reachable for the child too, and a child made later knows it`, async () => {
				const parent = make({ fetch: scripted({}) });
				const child = parent.extend(more as never);
				setOnLine(false);
				expect(child.reachability(a)).toBe('offline');
				await call(parent);
				expect(child.reachability(a)).toBe('reachable'); // before: 'offline'
				const later = child.extend({ headers: { 'x-later': '1' } } as never);
				expect(later.reachability(a)).toBe('reachable');
				parent.close();
				child.close();
				later.close();
			});

			it(`${entry}, ${how}: the parent, closed, is told nothing more; the child still is`, async () => {
				const plan: Record<string, number | 'down'> = { [a]: 'down' };
				const parent = make({ fetch: scripted(plan) });
				const child = parent.extend(more as never);
				const told: string[] = [];
				child.on('reachability', ({ state }: ReachabilityEvent) => told.push(state));
				parent.close();
				await call(child);
				await call(child);
				expect(told).toEqual(['unreachable']);
				expect(parent.reachability(a)).toBe('unreachable');
				child.close();
			});
		}

		for (const { how, more } of children) {
			it(`${entry}, ${how}: the child's 503, then the parent's 200: scope:back is told to both (refetchWhenBack on either)`, async () => {
				const plan: Record<string, number | 'down'> = { [a]: 503 };
				const parent = make({ fetch: scripted(plan) });
				const child = parent.extend(more as never);
				const back: string[] = [];
				parent.on('scope:back', ({ status }: { status: number }) => back.push(`parent ${status}`));
				child.on('scope:back', ({ status }: { status: number }) => back.push(`child ${status}`));
				await call(child);
				plan[a] = 200;
				await call(parent);
				expect(back).toEqual(['parent 200', 'child 200']); // before: []
				parent.close();
				child.close();
			});
		}

		it(`${entry}: a client made by extend() per request and never closed is not kept alive by the reachability it shares`, async () => {
			setFlagsFromString('--expose-gc');
			const gc = runInNewContext('gc') as () => void;
			const api = make({ fetch: scripted({}) });
			const made = Array.from({ length: 20 }, (_, index) => {
				const listener = (): void => undefined;
				api.extend({ headers: { 'x-request': String(index) } } as never).on('reachability', listener);
				return new WeakRef(listener);
			});
			for (let round = 0; round < 5 && made.some((ref) => ref.deref()); round++) {
				await new Promise((resolve) => setTimeout(resolve, 10));
				gc();
			}

			expect(made.filter((ref) => ref.deref()).length).toBe(0);
			await call(api); // told to the parent alone
			expect(api.reachability(a)).toBe('reachable');
			api.close();
		});

		it(`${entry}: a client create() made does not share it (a new client)`, async () => {
			const parent = make({ fetch: scripted({ [a]: 'down' }) });
			const fresh = parent.create({ fetch: scripted({ [a]: 'down' }), retry: 0, retryBudget: false } as never);
			await call(parent);
			await call(parent);
			expect(parent.reachability(a)).toBe('unreachable');
			expect(fresh.reachability(a)).toBe('unknown');
			parent.close();
			fresh.close();
		});
	}
});


describe('breaker: a tab whose store read fails takes the state the other tabs know (API.md: the state is "shared by the tabs of one name"; isolate: "shared across tabs")', () => {
	const tabs = tabPages(windowEachTest(), 'hunt17-tabs');
	const openings = [
		{ how: 'opened by 503s in another tab', make: async (other: TabOf) => times(5, async () => other.call()) },
		{ how: 'isolated by hand in another tab', make: async (other: TabOf) => other.api.breaker.isolate(origin) },
	];
	for (const { how, make } of openings) {
		for (const mode of ['throw', 'hang'] as const) {
			it(`${how}, the new tab's store read ${mode === 'throw' ? 'fails' : 'times out'}: it is open there too once the tabs answered`, async () => {
				const { open, store } = tabs();
				const other = open();
				await make(other);
				await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open' }));
				const failing = switchableStore(store);
				failing.mode = mode;
				const tab = open({}, { store: () => failing, storageTimeoutMs: 50 });
				tab.server.up();
				await tab.call(); // its first call reads the store, which fails (storage:error), and asks the tabs
				await vi.waitFor(() => expect(tab.snapshot().state).toBe('open')); // before: closed
				expect(await tab.call()).toBe('CIRCUIT_OPEN'); // before: '200', the origin called while every other tab knows it open
				expect(tab.snapshot().reopensAt === undefined).toBe(how.startsWith('isolated')); // an isolation lets no probe through
			});
		}
	}

	it('opened by network failures in another tab, the origin back: a page reloaded with a failing store read takes the answer as its read (half-open at once), its calls get fresh data', async () => {
		const { open, store } = tabs();
		const other = open();
		other.server.down();
		await times(5, async () => other.call());
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open', unanswered: true }));
		const failing = switchableStore(store);
		failing.mode = 'throw';
		const tab = open({}, { store: () => failing });
		tab.server.up();
		expect(await tab.call()).toBe('200'); // its read fails: it asks the tabs, its call goes out meanwhile
		await vi.waitFor(() => expect(tab.events).toContain('breaker:open shared'));
		// As a reload that read the state: half-open at once, its next call the probe (before: CIRCUIT_OPEN until the other tab's period ends).
		expect(await tab.call()).toBe('200');
		expect(tab.snapshot().state).toBe('closed');
		await vi.waitFor(() => expect(other.snapshot().state).toBe('closed'));
	});

	it('a tab whose read fails and that no tab answers (no other tab knows the scope open) goes on closed, as before', async () => {
		const { open, store } = tabs();
		const other = open();
		other.server.up();
		expect(await other.call()).toBe('200');
		const failing = switchableStore(store);
		failing.mode = 'throw';
		const tab = open({}, { store: () => failing });
		tab.server.up();
		expect(await tab.call()).toBe('200');
		await flush();
		expect(await tab.call()).toBe('200');
		expect(tab.snapshot().state).toBe('closed');
	});
});

describe('reachability shared by an extend() family: what it holds of clients never closed stays bounded', () => {
	it('the clients told (weakly held) that were collected are let go as new ones join, with no change of reachability to tell', async () => {
		setFlagsFromString('--expose-gc');
		const gc = runInNewContext('gc') as () => void;
		const { Reach } = await import('../../src/core/reachability.js');
		const reach = new Reach({ now: Date.now });
		const join = (): void => {
			const emit = (): void => undefined; // a client's, made per request and never closed
			reach.join(emit);
		};

		for (let index = 0; index < 200; index++) {
			join();
		}

		for (let round = 0; round < 5; round++) {
			await new Promise((resolve) => setTimeout(resolve, 10));
			gc();
		}

		for (let index = 0; index < 400; index++) {
			join();
		}

		expect(reach.emits.size).toBeLessThanOrEqual(400); // before: 600, one per client ever made, until a change is told
	});
});
