/**
 * The world work started in (src/core/world.ts): what `current(part, id)` says after clears,
 * removals and identity changes made since — and only since — the work started; the notes bounded.
 */
import { describe, expect, it } from 'vitest';
import { Worlds } from '../../src/core/world.js';
import { createClient } from '../../src/entries/core.js';
import type { PolicyContext, World } from '../../src/entries/policy.js';

describe('World', () => {
	it('is current until its identity changes; a change back makes it current again (the identity is read at each check)', () => {
		const worlds = new Worlds();
		let who: string | undefined = 'alice';
		const world = worlds.open('alice', () => who);
		expect(world.identity).toBe('alice');
		expect(world.current()).toBe(true);
		who = 'bob';
		expect(world.current()).toBe(false);
		expect(world.current('cache')).toBe(false);
		who = undefined;
		expect(world.current()).toBe(false);
		who = 'alice';
		expect(world.current('cache')).toBe(true);
	});

	it('a clear of everything (client.clear()) ends every part\'s work started before it, never work started after it', () => {
		const worlds = new Worlds();
		const before = worlds.open(undefined, () => undefined);
		worlds.cleared(undefined);
		const after = worlds.open(undefined, () => undefined);
		expect([before.current(), before.current('cache'), before.current('outbox', 'e1')]).toEqual([false, false, false]);
		expect([after.current(), after.current('cache'), after.current('outbox', 'e1')]).toEqual([true, true, true]);
	});

	it('a clear of one part ends only that part\'s writes; the work\'s attempts (no part) go on', () => {
		const worlds = new Worlds();
		const world = worlds.open(undefined, () => undefined);
		worlds.cleared('cache');
		expect(world.current('cache')).toBe(false);
		expect(world.current('outbox')).toBe(true);
		expect(world.current()).toBe(true);
	});

	it('a clear of one identity ends only that identity\'s work', () => {
		const worlds = new Worlds();
		const alices = worlds.open('alice', () => 'alice');
		const bobs = worlds.open('bob', () => 'bob');
		worlds.cleared(undefined, 'alice');
		expect([alices.current(), alices.current('cache')]).toEqual([false, false]);
		expect([bobs.current(), bobs.current('cache')]).toEqual([true, true]);
		worlds.cleared('outbox', 'bob');
		expect([bobs.current(), bobs.current('cache'), bobs.current('outbox')]).toEqual([true, true, false]);
	});

	it('a removal ends the writes of that id of that part only', () => {
		const worlds = new Worlds();
		const world = worlds.open(undefined, () => undefined);
		worlds.removed('outbox', 'e1');
		expect(world.current('outbox', 'e1')).toBe(false);
		expect(world.current('outbox', 'e2')).toBe(true);
		expect(world.current('outbox')).toBe(true);
		expect(world.current('cache', 'e1')).toBe(true);
	});

	it('bounded: past 256 notes they become clears of their parts — older work stays ended, newer work is current', () => {
		const worlds = new Worlds();
		const old = worlds.open('alice', () => 'alice');
		worlds.removed('outbox', 'e0');
		for (let index = 1; index <= 300; index++) {
			worlds.cleared('cache', `user-${index}`);
		}

		expect(old.current('outbox', 'e0')).toBe(false);
		expect(old.current('cache')).toBe(false);
		const fresh = worlds.open('alice', () => 'alice');
		expect([fresh.current('cache'), fresh.current('outbox', 'e0')]).toEqual([true, true]);
	});

	it('bounded: an overflow of removals ends only their parts\' older work — a clear of everything or of an identity noted before it is not noted again (work started since stays current)', () => {
		const worlds = new Worlds();
		worlds.cleared(undefined); // client.clear() at a logout
		worlds.cleared(undefined, 'alice'); // client.clear({ identity }) at another
		const work = worlds.open('bob', () => 'bob'); // an early-queued write's attempt, in flight
		for (let index = 1; index <= 300; index++) {
			worlds.removed('cache', `https://api.test/todos/${index}`); // delivered writes supersede copies
		}

		expect([work.current(), work.current('outbox'), work.current('breaker')]).toEqual([true, true, true]);
		expect(work.current('cache', 'https://api.test/other')).toBe(false); // conservative: a read started before stores no copy
		expect(work.current('cache')).toBe(true); // but no clear was made: its stale answer still answers (defect hunt, seventh round)
		const alice = worlds.open('alice', () => 'alice');
		expect(alice.current('outbox')).toBe(true);
	});

	// Defect hunt, seventh round: every overflow made all the notes a clear of their parts noted now, ending work started after every one of them.
	it('bounded: work started after the notes that overflow stays current (a read in flight as the 129th delivered write is told)', () => {
		const worlds = new Worlds();
		for (let index = 1; index < 256; index++) {
			worlds.removed('cache', `https://api.test/todos/${index}`);
		}

		worlds.removed('outbox', 'e0'); // an entry discarded
		const read = worlds.open('bob', () => 'bob'); // a read in flight, its copy of another path to be stored
		const write = worlds.open('bob', () => 'bob'); // a write to be queued
		worlds.removed('cache', 'https://api.test/todos/256');
		worlds.removed('cache', 'https://api.test/todos/257');
		// Before: [false, false] (the removals made clears of 'cache' and 'outbox' as of now).
		expect([read.current('cache', 'https://api.test/other'), write.current('outbox')]).toEqual([true, true]);
		expect([read.current('cache', 'https://api.test/todos/257'), write.current('outbox', 'e0')]).toEqual([false, true]);
	});

	it('PolicyContext.world(), for work outside a call that belongs to no user: client.clear() (also of another client of the name) and its part\'s clear end it; an identity change or clear({ identity }) does not', () => {
		let context!: PolicyContext;
		let who = 'alice';
		// A stand-in policy in a slot this client leaves empty: it keeps the context, as a coordinator sync's part does.
		const keep = { slot: 'logger' as const, create: (given: PolicyContext) => { context = given; return {}; } };
		const api = createClient({ name: 'world-context', identity: () => who, logger: keep });
		const first: World = context.world();
		who = 'bob';
		void api.clear({ identity: 'alice' });
		expect([first.identity, first.current(), first.current('breaker')]).toEqual([undefined, true, true]);
		context.cleared('breaker');
		expect([first.current(), first.current('breaker'), first.current('cache')]).toEqual([true, false, true]);
		const second = context.world();
		void api.extend({ timeout: 1000 }).clear();
		expect([second.current(), second.current('breaker')]).toEqual([false, false]);
		expect(context.world().current('breaker')).toBe(true);
		api.close();
	});
});
