/**
 * The twenty-ninth round on work bound to who started it (auth, identity, the TanStack Query helpers, the service
 * worker's `fetchHandler`) and a newcomer's frictions (defect hunt).
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auth, AuthError } from '../../src/entries/auth.js';
import { breaker } from '../../src/entries/breaker.js';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';
import { queryOptionsFor, StaleAnswerError } from '../../src/entries/tanstack-query.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { readmeRecipe, throughWorker as throughWorkerOf } from '../helpers/through-worker.js';

const made: Array<{ close(): void }> = [];
afterEach(() => {
	for (const client of made.splice(0)) {
		client.close();
	}

	vi.unstubAllGlobals();
});

type Isolating = { breaker: { isolate(url: string): Promise<void>; reset(url: string): Promise<void> } };
type Options = Parameters<typeof createClient>[0];

/** A page whose calls go through a service worker; the page's retries at once (no Retry-After wait): what is counted is whether they are made. */
const throughWorker = (origin: (request: Request) => Promise<Response>, worker: Options = {}, page: Options = {}) =>
	throughWorkerOf(made, 'h29', origin, worker, { breaker: false, retry: { limit: 2, delay: () => 0, afterStatusCodes: [] }, ...page } as never);

const failure = async (promise: Promise<unknown>): Promise<Error & { response?: Response }> => promise.then(() => {
	throw new Error('resolved');
}, (error: unknown) => error as Error & { response?: Response });

describe('a refusal never retried (an isolated scope, a spent totalTimeout) is not retried by a page behind the service worker', () => {
	it('an isolated scope with nothing stored: the page\'s ky and TanStack do not retry the worker\'s 503', async () => {
		let origin = 0;
		const { api, client, asked } = throughWorker(async () => {
			origin++;
			return Response.json({ ok: true });
		}, { breaker: breaker() } as never);
		await (api as unknown as Isolating).breaker.isolate('https://api.test');
		const query = queryOptionsFor(client, 'https://api.test/todos');
		const error = await failure(query.queryFn({ signal: new AbortController().signal }));
		expect([(error as { response?: Response }).response?.status, (error as { response?: Response }).response?.headers.get('steadfetch-error')]).toEqual([503, 'CIRCUIT_OPEN']);
		// Before: [3, true] (the page's ky asked the worker three times for the same refusal, and TanStack would ask again).
		expect([asked(), query.retry(0, error), origin]).toEqual([1, false, 0]);
	});

	it('a spent totalTimeout in the worker: its 504 is not retried by the page (a per-attempt timeout with time left still is)', async () => {
		const hang = (request: Request) => new Promise<Response>((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
		const { client, asked } = throughWorker(hang, { totalTimeout: 150 } as never);
		const query = queryOptionsFor(client, 'https://api.test/slow');
		const error = await failure(query.queryFn({ signal: new AbortController().signal }));
		expect([(error as { response?: Response }).response?.status, (error as { response?: Response }).response?.headers.get('steadfetch-error')]).toEqual([504, 'TIMEOUT']);
		// Before: [3, true].
		expect([asked(), query.retry(0, error)]).toEqual([1, false]);
		// Its neighbour: the worker's per-attempt timeout with its totalTimeout not spent (no retry of its own left) is retried.
		const other = throughWorker(hang, { totalTimeout: 10_000, timeout: 50 } as never, { retry: { limit: 1, delay: () => 0, afterStatusCodes: [] } } as never);
		const timedOut = queryOptionsFor(other.client, 'https://api.test/slow');
		const again = await failure(timedOut.queryFn({ signal: new AbortController().signal }));
		expect([(again as { response?: Response }).response?.status, other.asked(), timedOut.retry(0, again)]).toEqual([504, 2, true]);
	});

	it('a stale copy or a fallback answered for an isolated scope: the page\'s StaleAnswerError is not retried', async () => {
		const { api, client } = throughWorker(async () => Response.json({ fresh: true }), { breaker: breaker() } as never);
		const stored = new Promise((resolve) => api.on('cache:stored', resolve));
		const query = queryOptionsFor<{ fresh: boolean }>(client, 'https://api.test/todos');
		expect(await query.queryFn({ signal: new AbortController().signal })).toEqual({ fresh: true });
		await stored;
		await (api as unknown as Isolating).breaker.isolate('https://api.test');
		const copy = await failure(query.queryFn({ signal: new AbortController().signal })) as StaleAnswerError;
		expect([copy instanceof StaleAnswerError, copy.reason, copy.staleData]).toEqual([true, 'circuit-open', { fresh: true }]);
		// Before: true (the worker's copy had `retriable: false`, which no Response carries to the page).
		expect(query.retry(0, copy)).toBe(false);
		const fallback = throughWorker(async () => Response.json({ fresh: true }), { breaker: breaker(), fallback: { degraded: true } } as never);
		await (fallback.api as unknown as Isolating).breaker.isolate('https://api.test');
		const placeholder = queryOptionsFor(fallback.client, 'https://api.test/other');
		const answer = await failure(placeholder.queryFn({ signal: new AbortController().signal })) as StaleAnswerError;
		expect([answer.reason, answer.staleData, placeholder.retry(0, answer)]).toEqual(['fallback', { degraded: true }, false]);
	});

	it('an adaptiveThrottle() refusal with nothing stored: the worker\'s 503 THROTTLED says so, and is not retried', async () => {
		let origin = 0;
		const { api, client, asked } = throughWorker(async () => {
			origin++;
			return new Response('busy', { status: 503 });
		}, { random: () => 0, adaptiveThrottle: adaptiveThrottle({ minRequests: 1 }) } as never);
		// One failed attempt: the throttle refuses the next ones (random() 0 is under its reject ratio).
		await failure(api.get('https://api.test/warm'));
		const query = queryOptionsFor(client, 'https://api.test/todos');
		const error = await failure(query.queryFn({ signal: new AbortController().signal }));
		const { headers } = error.response!;
		expect([headers.get('steadfetch-error'), headers.get('steadfetch-retriable')]).toEqual(['THROTTLED', 'false']);
		// Before: null, and [3, true, 1] (the page's ky asked three times, and TanStack would ask again).
		expect([asked(), query.retry(0, error), origin]).toEqual([1, false, 1]);
	});

	it('the page\'s own stale copy or `fallback` served for such an answer of the worker is not retried either', async () => {
		const { api, client, asked } = throughWorker(async () => Response.json({ fresh: true }), { breaker: breaker(), staleCache: false } as never, { staleCache: {}, fallback: { degraded: true } } as never);
		const stored = new Promise((resolve) => client.on('cache:stored', resolve));
		const query = queryOptionsFor<{ fresh: boolean }>(client, 'https://api.test/todos');
		expect(await query.queryFn({ signal: new AbortController().signal })).toEqual({ fresh: true });
		await stored;
		await (api as unknown as Isolating).breaker.isolate('https://api.test');
		const copy = await failure(query.queryFn({ signal: new AbortController().signal })) as StaleAnswerError;
		const placeholder = queryOptionsFor(client, 'https://api.test/other');
		const answer = await failure(placeholder.queryFn({ signal: new AbortController().signal })) as StaleAnswerError;
		// Before: [..., true, ..., true] (the page's copy and fallback stood for an HTTPError 503 it took for transient).
		expect([copy.reason, copy.staleData, query.retry(0, copy), answer.reason, placeholder.retry(0, answer), asked()]).toEqual(['http-5xx', { fresh: true }, false, 'fallback', false, 3]);
	});

	it('a failure classify() does not call transient answered by the worker\'s 503 (auth.token() failing, an app hook\'s error) is not retried by the page', async () => {
		let origin = 0;
		const ok = async () => {
			origin++;
			return Response.json({ ok: true });
		};
		const failing = throughWorker(ok, { auth: auth({ token: () => {
			throw new Error('no session store');
		}, refresh: () => undefined, origins: '*' }) } as never);
		const query = queryOptionsFor(failing.client, 'https://api.test/todos');
		const error = await failure(query.queryFn({ signal: new AbortController().signal }));
		expect([error.response?.status, error.response?.headers.get('steadfetch-error'), error.response?.headers.get('steadfetch-retriable')]).toEqual([503, 'AUTH_FAILED', 'false']);
		// Before: [3, true, 0] (AUTH_FAILED is not transient: the worker's client would never retry it).
		expect([failing.asked(), query.retry(0, error), origin]).toEqual([1, false, 0]);
		const hooked = throughWorker(ok, { hooks: { beforeRequest: [() => {
			throw new Error('the app\'s own bug');
		}] } } as never);
		const own = await failure(hooked.client.get('https://api.test/todos'));
		expect([own.response?.headers.get('steadfetch-error'), hooked.asked()]).toEqual(['UNKNOWN', 1]);
	});

	it('its neighbours: a breaker opened by failures, and a copy served for it, are still retried by the page', async () => {
		let down = false;
		const { api, client, asked } = throughWorker(async () => down ? new Response('down', { status: 503 }) : Response.json({ ok: true }), { breaker: breaker({ consecutiveFailures: 1 }) } as never);
		const stored = new Promise((resolve) => api.on('cache:stored', resolve));
		const query = queryOptionsFor(client, 'https://api.test/todos');
		await query.queryFn({ signal: new AbortController().signal });
		await stored;
		down = true;
		const first = await failure(query.queryFn({ signal: new AbortController().signal })) as StaleAnswerError;
		const open = await failure(query.queryFn({ signal: new AbortController().signal })) as StaleAnswerError;
		expect([first.reason, query.retry(0, first), open.reason, query.retry(0, open)]).toEqual(['http-5xx', true, 'circuit-open', true]);
		const bare = queryOptionsFor(client, 'https://api.test/nothing-stored');
		const before = asked();
		const refused = await failure(bare.queryFn({ signal: new AbortController().signal }));
		const { headers } = refused.response!;
		expect([headers.get('steadfetch-error'), headers.get('steadfetch-retriable'), asked() - before, bare.retry(0, refused)]).toEqual(['CIRCUIT_OPEN', null, 3, true]);
	});
});

describe('auth() where it has no origin to send the token to (Node, Deno, a Worker: no prefix/baseUrl, no location)', () => {
	const guarded = (fetch: (request: Request) => Response) => {
		const sent: Array<string | null> = [];
		let refreshes = 0;
		const client = (options: Options) => {
			const api = createClient({ name: `h29-auth-${crypto.randomUUID()}`, store: memoryStore, retry: 0, breaker: false, staleCache: false, fetch: async (request: Request) => {
				sent.push(request.headers.get('authorization'));
				return fetch(request);
			}, ...options } as never);
			made.push(api);
			return api;
		};

		const token = () => 'secret';
		const refresh = () => {
			refreshes++;
		};

		return { sent, client, token, refresh, refreshes: () => refreshes };
	};

	it('a 401 to a call auth sent no token to, for want of any origin, is an AuthError saying which option to give', async () => {
		const { sent, client, token, refresh, refreshes } = guarded(() => new Response('who are you?', { status: 401 }));
		const api = client({ auth: auth({ token, refresh }) } as never);
		const error = await failure(api.get('https://api.example.com/v1/me'));
		// Before: ky's HTTPError 401, nothing saying the token was never sent.
		expect([error instanceof AuthError, classify(error).code, error.response?.status, sent, refreshes()]).toEqual([true, 'AUTH_FAILED', 401, [null], 0]);
		expect(error.message).toBe('auth() sent no token: it has no origin to send it to (no `prefix` or `baseUrl`, no `location`); give `auth.origins` (as ["https://api.example.com"]) or the client\'s `prefix`');
		expect(error.cause).toMatchObject({ name: 'HTTPError' });
	});

	it('its neighbours: origins given, a baseUrl, `auth: false`, another status, and a 401 with throwHttpErrors: false stay as they were', async () => {
		const { sent, client, token, refresh } = guarded((request) => new Response(null, { status: request.url.endsWith('/gone') ? 404 : 401 }));
		const bare = client({ auth: auth({ token, refresh }) } as never);
		const named = client({ auth: auth({ token, refresh: async () => undefined, origins: ['https://api.example.com'] }) } as never);
		const prefixed = client({ baseUrl: 'https://api.example.com/v1/', auth: auth({ token, refresh: async () => undefined }) } as never);
		const third = await failure(prefixed.get('https://other.example/x'));
		const own = await failure(named.get('https://api.example.com/v1/me'));
		const off = await failure(bare.get('https://api.example.com/v1/me', { auth: false } as never));
		const gone = await failure(bare.get('https://api.example.com/gone'));
		const unthrown = await bare.get('https://api.example.com/v1/me', { throwHttpErrors: false });
		expect([third.name, own.name, off.name, gone.name, unthrown.status]).toEqual(['HTTPError', 'AuthError', 'HTTPError', 'HTTPError', 401]);
		expect(own.message).toContain('again after the token refresh');
		expect(sent).toEqual([null, 'Bearer secret', 'Bearer secret', null, null, null]);
	});
});

/**
 * README recipes run as written: each block taken from README.md under its heading, only its import of `steadfetch`
 * pointed at src/ (and, where the block keeps it to itself, its client exported for the test). The app's sign-in code
 * keeps who is signed in (and the PWA its token) in the page's storage; the origin answers for whoever is signed in when
 * it gets a request (a session cookie the browser sends), as a cookie-authenticated app's does.
 */
describe('README: the offline recipes keep a queued write with the user who made it, and send no empty token', () => {
	const recipe = async <T>(heading: string): Promise<T> => readmeRecipe<T>(made, 'h29', heading);

	/** The page's storage as the app's sign-in code fills it (`localStorage` and `sessionStorage` alike). */
	const signIn = (values: Record<string, string>) => {
		const stored = new Map(Object.entries(values));
		const storage = { getItem: (key: string) => stored.get(key) ?? null, setItem: (key: string, value: string) => void stored.set(key, value), removeItem: (key: string) => void stored.delete(key) };
		vi.stubGlobal('localStorage', storage);
		vi.stubGlobal('sessionStorage', storage);
		return stored;
	};

	type Outbox = { api: { outbox: { flush(): Promise<unknown>; size(): Promise<number> } } };
	const network = { online: false };
	const delivered: string[] = [];
	const session = new Map<string, string>();
	const server = setupServer(
		http.post('https://api.example.com/v1/todos', () => network.online ? (delivered.push(`POST todos as ${session.get('userId')}`), HttpResponse.json({ id: 42 }, { status: 201 })) : HttpResponse.error()),
		http.patch('https://api.example.com/v1/todos/:id', ({ params }) => network.online ? (delivered.push(`PATCH todos/${params['id']} as ${session.get('userId')}`), HttpResponse.json({})) : HttpResponse.error()),
		http.post('https://api.example.com/v1/photos', async ({ request }) => network.online ? (delivered.push(`POST photos ${(await request.formData()).get('caption')} as ${session.get('userId')}`), HttpResponse.json({}, { status: 201 })) : HttpResponse.error()),
		http.post('https://api.example.com/v1/orders', ({ request }) => (delivered.push(`POST orders ${request.headers.get('authorization')}`), HttpResponse.json({ ok: true }, { status: 201 }))),
	);
	/** A new browser, its network down; `become(who)` signs someone in (the page's storage and the origin's session alike). */
	const start = () => {
		const stored = signIn({});
		session.clear();
		network.online = false;
		delivered.length = 0;
		server.listen();
		const become = (who: string): void => {
			stored.set('userId', who);
			session.set('userId', who);
		};

		return { stored, become };
	};

	afterEach(() => {
		server.close();
	});

	it('"A todo created then edited offline": alice\'s queued todo and its edit are not delivered as bob\'s', async () => {
		const { become } = start();
		become('alice');
		const { api, createTodo, renameTodo } = await recipe<Outbox & { createTodo(title: string): Promise<string>; renameTodo(id: string, title: string): Promise<string> }>('A todo created then edited offline');
		const id = await createTodo('milk');
		expect([await renameTodo(id, 'oat milk'), await api.outbox.size()]).toEqual(['queued', 2]);
		// Alice signs out, bob signs in on the same browser; the network is back.
		become('bob');
		network.online = true;
		await api.outbox.flush();
		// Before: ['POST todos as bob', 'PATCH todos/42 as bob'] (alice's todo created in bob's account).
		expect(delivered).toEqual([]);
		become('alice');
		await api.outbox.flush();
		expect([delivered, await api.outbox.size()]).toEqual([['POST todos as alice', 'PATCH todos/42 as alice'], 0]);
	});

	it('"A photo taken offline": alice\'s queued photo is not delivered as bob\'s', async () => {
		const { become } = start();
		become('alice');
		const { api, uploadPhoto } = await recipe<Outbox & { uploadPhoto(photo: File, caption: string): Promise<string> }>('A photo taken offline');
		expect(await uploadPhoto(new File([new Uint8Array(64)], 'cat.jpg', { type: 'image/jpeg' }), 'the cat')).toBe('queued');
		become('bob');
		network.online = true;
		await api.outbox.flush();
		// Before: ['POST photos the cat as bob'].
		expect(delivered).toEqual([]);
		become('alice');
		await api.outbox.flush();
		expect([delivered, await api.outbox.size()]).toEqual([['POST photos the cat as alice'], 0]);
	});

	it('"A form that works offline (PWA)": with no token stored (nobody signed in yet), no Authorization is sent', async () => {
		const { stored } = start();
		network.online = true;
		const { submitOrder } = await recipe<{ submitOrder(form?: unknown): Promise<string> }>('A form that works offline (PWA)');
		expect(await submitOrder()).toBe('Order placed.');
		// Before: ['POST orders Bearer'] (`Bearer ${'' }`: fetch trims the blank; a scheme with no token).
		stored.set('token', 't1');
		expect(await submitOrder()).toBe('Order placed.');
		expect(delivered).toEqual(['POST orders null', 'POST orders Bearer t1']);
	});
});

describe('what a page\'s client reads of `Steadfetch-Retriable` is read defensively', () => {
	it('an app\'s error with a `response` that is no Response (a hook\'s own object) is retried as before, never a crash', async () => {
		let calls = 0;
		const api = createClient({ name: `h29-${crypto.randomUUID()}`, store: memoryStore, breaker: false, staleCache: false, retry: { limit: 1, delay: () => 0, shouldRetry: () => true }, fetch: async () => {
			calls++;
			throw Object.assign(new Error('app'), { response: { status: 503 } });
		} } as never);
		made.push(api);
		const error = await failure(api.get('https://api.test/x'));
		// With `response.headers.get` read as is (this round's first fix): a TypeError of shouldRetry, not the app's error.
		expect([error.message, calls]).toEqual(['app', 2]);
	});
});
