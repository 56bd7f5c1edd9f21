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

describe('a body given to a GET or HEAD says what to do', () => {
	const calls: Array<[string, (api: import('../../src/entries/index.js').Client) => Promise<unknown>]> = [
		['get(url, { json })', (api) => api.get('users', { json: { name: 'Ada' } })],
		['get(url, { body })', (api) => api.get('users', { body: 'name=Ada' })],
		['head(url, { json })', (api) => api.head('users', { json: { name: 'Ada' } })],
		['api(url, { json }) (GET when no method is given)', (api) => api('users', { json: { name: 'Ada' } })],
		['api(url, { method: \'get\', body })', (api) => api('users', { method: 'get', body: 'name=Ada' })],
	];

	for (const [name, call] of calls) {
		it(`${name}: an InvalidRequestError naming \`searchParams\` and the methods that carry one, nothing sent`, async () => {
			const { createClient, InvalidRequestError, memoryStore } = await import('../../src/entries/index.js');
			let sent = 0;
			const api = createClient({ baseUrl: 'https://api.example.com/v1/', store: memoryStore, fetch: async () => {
				sent++;
				return new Response('{}');
			} });
			const error = await call(api).then(() => undefined, (thrown: unknown) => thrown);
			api.close();
			expect(error).toBeInstanceOf(InvalidRequestError);
			// Before: only the runtime's words ('Invalid request: Request with GET/HEAD method cannot have body.').
			expect((error as Error).message).toMatch(/GET.*HEAD.*cannot have (?:a )?body\.? A GET or HEAD sends no body: give its data as `searchParams`, or use `post`\.$/);
			expect(sent).toBe(0);
		});
	}

	it('with `steadfetch/core` and the policies that read a GET before ky does (dedupe, hedge, the outbox), the same', async () => {
		const { createClient } = await import('../../src/entries/core.js');
		const { dedupe } = await import('../../src/entries/dedupe.js');
		const { hedge } = await import('../../src/entries/hedge.js');
		const { outbox } = await import('../../src/entries/outbox.js');
		const { memoryStore } = await import('../../src/entries/index.js');
		let sent = 0;
		const api = createClient({ baseUrl: 'https://api.example.com/v1/', store: memoryStore, dedupe: dedupe(), hedge: hedge({ delayMs: 10 }), outbox: outbox(), fetch: async () => {
			sent++;
			return new Response('{}');
		} });
		const messages = await Promise.all([api.get('users', { json: { name: 'Ada' } }), api.head('users', { body: 'name=Ada' })].map(async (call) => call.then(() => '', (error: unknown) => (error as Error).message)));
		api.close();
		expect(messages.map((message) => message.endsWith(' A GET or HEAD sends no body: give its data as `searchParams`, or use `post`.'))).toEqual([true, true]);
		expect(sent).toBe(0);
	});

	it('a relative URL with no base keeps its own hint, and a POST with the same body goes out', async () => {
		const { createClient, memoryStore } = await import('../../src/entries/index.js');
		const sent: string[] = [];
		const api = createClient({ store: memoryStore, fetch: async (input) => {
			sent.push((input as Request).method);
			return new Response('{}');
		} });
		const error = await api.get('users', { json: { name: 'Ada' } }).then(() => undefined, (thrown: unknown) => thrown as Error);
		expect(error?.message).toMatch(/give the client an absolute `baseUrl` or `prefix`$/);
		await api.post('https://api.example.com/v1/users', { json: { name: 'Ada' } });
		api.close();
		expect(sent).toEqual(['POST']);
	});
});

describe('"Errors": which bad option is a TypeError at createClient, as the code throws it', () => {
	const section = readme.slice(readme.indexOf('### Errors\n'), readme.indexOf('| code |', readme.indexOf('### Errors\n'))).replaceAll(/\s+/g, ' ');
	const refused: Array<[string, unknown]> = [
		['method', 'GE T'], ['headers', { 'bad name': 'v' }], ['credentials', 'yes'], ['mode', 'tunnel'], ['redirect', 'loop'],
		['referrerPolicy', 'everywhere'], ['priority', 'urgent'], ['signal', 'x'],
	];

	it('a value fetch refuses in a Request (headers, credentials, mode, …) is a TypeError naming the option, and the README says so', async () => {
		const { createClient, memoryStore } = await import('../../src/entries/index.js');
		const thrown = refused.map(([name, value]) => {
			try {
				createClient({ store: memoryStore, [name]: value } as never).close();
				return `${name}: none`;
			} catch (error) {
				return `${name}: ${(error as Error).constructor.name} ${(error as Error).message.startsWith(`\`${name}\``)}`;
			}
		});
		expect(thrown).toEqual(refused.map(([name]) => `${name}: TypeError true`));
		// Before: "a `TypeError` for options that are no object, an `outbox` that is not `outbox()`'s policy and a `cache` that
		// is no `RequestCache` mode" — an app that tells a RangeError from a TypeError met a TypeError the README did not name.
		const typeErrors = /a `TypeError` for ([^;]+);/.exec(section)?.[1] ?? '';
		expect(typeErrors).toMatch(/a value fetch refuses in a Request \(`headers`, `credentials`, `mode`, …\)/);
	});
});

describe('a store the runtime does not have (`indexedDbStore` or `cacheApiStore` in Node, an SSR pass) says what to use instead', () => {
	const advice = /is not available in this runtime: use `autoStore` \(the default: IndexedDB, else the Cache API, else memory\) or `memoryStore`$/;

	it('each storage:error the calls meet names `autoStore` and `memoryStore`; the calls still answer', async () => {
		const { cacheApiStore, createClient, indexedDbStore, outbox } = await import('../../src/entries/index.js');
		for (const store of [indexedDbStore, cacheApiStore]) {
			const messages = new Set<string>();
			const api = createClient({ store, outbox: outbox(), fetch: async () => new Response('{}', { headers: { 'content-type': 'application/json' } }) });
			api.on('storage:error', ({ error }) => messages.add((error as Error).message));
			expect((await api.get('https://api.example.com/v1/users/1')).status).toBe(200);
			expect((await api.post('https://api.example.com/v1/orders', { json: {} })).status).toBe(200);
			await expect.poll(() => messages.size).toBeGreaterThan(0);
			api.close();
			// Before: 'IndexedDB is not available in this runtime' (and the Cache API's), nothing on what to pass instead.
			expect([...messages].filter((message) => !advice.test(message))).toEqual([]);
		}
	});

	it('the edge build\'s indexedDbStore (workerd, Deno) rejects with the same words', async () => {
		const { indexedDbStore } = await import('../../src/stores/indexeddb-edge.js');
		await expect(indexedDbStore('app').get('key')).rejects.toThrow(advice);
	});
});

describe('"Coming from ky": where a `baseUrl` without its last slash, or a path with a leading one, sends a call', () => {
	it('the README says it, and the calls go there (ky\'s URL resolution, unchanged)', async () => {
		const { createClient, memoryStore } = await import('../../src/entries/index.js');
		const sent: string[] = [];
		const fetch = async (input: Request | URL | string) => {
			sent.push(input instanceof Request ? input.url : String(input));
			return new Response('{}');
		};
		const calls: Array<[string, string]> = [['https://api.example.com/v1/', 'users/1'], ['https://api.example.com/v1', 'users/1'], ['https://api.example.com/v1/', '/users/1']];
		for (const [baseUrl, path] of calls) {
			const api = createClient({ baseUrl, store: memoryStore, fetch });
			await api.get(path);
			api.close();
		}

		expect(sent).toEqual(['https://api.example.com/v1/users/1', 'https://api.example.com/users/1', 'https://api.example.com/users/1']);
		const bullet = readme.slice(readme.indexOf('- `baseUrl` (resolved like a browser'), readme.indexOf('\n- ', readme.indexOf('- `baseUrl` (resolved like a browser') + 1)).replaceAll(/\s+/g, ' ');
		// Before: only the case that works ('users/1' against '…/v1/'); a newcomer's '…/v1' or '/users/1' lost `/v1` silently.
		expect(bullet).toContain('without its last slash, or for `\'/users/1\'`, the call goes to `https://api.example.com/users/1`, without `/v1`');
	});
});
