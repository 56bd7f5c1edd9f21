/**
 * The thirty-third hunt, the newcomer's frictions: what a newcomer reads in the README and what the
 * package does when they follow it (or make a common mistake).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The event types an `interface EventMap { … }` declares in `source`. */
const eventsIn = (source: string): string[] => {
	const body = /interface EventMap \{\n([\s\S]*?)\n\t?\}/.exec(source)?.[1] ?? '';
	return [...body.matchAll(/^\s*'([\w:*-]+)':/gm)].map((match) => match[1]!);
};

/** The factory (or slot) the README names for each policy's events, by its directory in src/. */
const emitters: Record<string, string> = {
	'auth': '`auth()`',
	'breaker': '`breaker`',
	'bulkhead': '`bulkhead()`',
	'cache': '`staleCache`',
	'failover': '`failover()`',
	'health': '`health()`',
	'hedge': '`hedge()`',
	'otel': '`otel()`',
	'outbox': '`outbox()`',
	'rate-limit': '`rateLimit()`',
	'throttle': '`adaptiveThrottle()`',
	'trace': '`trace()`',
};

describe('"Events and stats" names every event a client can emit, and what emits it', () => {
	const section = readme.slice(readme.indexOf('### Events and stats\n'), readme.indexOf('\n### ', readme.indexOf('### Events and stats\n') + 1)).replaceAll(/\s+/g, ' ');
	const core = eventsIn(readFileSync(join(root, 'src/core/event-types.ts'), 'utf8'));
	const policies = readdirSync(join(root, 'src'), { withFileTypes: true }).filter((entry) => entry.isDirectory())
		.flatMap((entry) => {
			let source = '';
			try {
				source = readFileSync(join(root, 'src', entry.name, 'index.ts'), 'utf8');
			} catch {
				return [];
			}

			return eventsIn(source).map((type) => ({ type, directory: entry.name }));
		});

	it('every type of the EventMap (the core\'s and each policy\'s) is listed', () => {
		expect(core.length).toBeGreaterThan(3);
		expect(policies.length).toBeGreaterThan(20);
		// Before: `outbox:waiting` (outbox()'s, API.md's list has it) was missing.
		expect([...core, ...policies.map((event) => event.type)].filter((type) => !section.includes(`\`${type}\``))).toEqual([]);
	});

	it('a policy\'s event is listed with the policy that emits it (a preset client without `trace()` never emits `attempt:end`)', () => {
		expect(Object.keys(emitters).sort()).toEqual([...new Set(policies.map((event) => event.directory))].sort());
		// The list of the policies' events: one clause per policy, `;`-separated, naming its factory.
		const clauses = section.slice(section.indexOf('only once its slot is filled')).split(/; |\. /);
		const unnamed = policies.filter(({ type, directory }) => !clauses.some((clause) => clause.includes(`\`${type}\``) && clause.includes(emitters[directory]!)));
		// Before: no policy was named, so `api.on('attempt:end', …)` on the preset looked like an event it emits.
		expect(unnamed.map(({ type, directory }) => `${type} (${directory})`)).toEqual([]);
	});

	it('what it says holds: the preset emits `attempt:end` only once `trace()` fills its slot', async () => {
		const { createClient, memoryStore } = await import('../../src/entries/index.js');
		const { trace } = await import('../../src/entries/trace.js');
		const fetch = async () => new Response('{}', { headers: { 'content-type': 'application/json' } });
		const seen: string[] = [];
		for (const api of [createClient({ store: memoryStore, fetch }), createClient({ store: memoryStore, fetch, trace: trace() })]) {
			(api.on as (type: string, listener: (event: { type: string }) => void) => () => void)('attempt:end', (event) => seen.push(event.type));
			await api.get('https://api.example.com/v1/users/1');
			seen.push('|');
			api.close();
		}

		expect(seen).toEqual(['|', 'attempt:end', '|']);
	});
});
