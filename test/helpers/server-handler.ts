/**
 * The loopback test API, written as a fetch handler so every runtime serves the same thing:
 * Node (node-server.ts, for the Node, Chromium and workerd suites) and Deno (Deno.serve).
 *
 * Routes (all take `?id=<test id>` to keep their counters apart):
 * - `/json`                  200 `{"ok":true,"n":<hits>}`
 * - `/status/<code>`         that status; `?retryAfter=<s>` adds Retry-After; `?cc=` sets Cache-Control
 * - `/plan/<a>,<b>,...`      the Nth hit of this id answers the Nth status of the list (the last repeats)
 * - `/echo`                  200 with the method, headers and body it got; `?vary=`, `?cc=`: that Vary, Cache-Control
 * - `/hang`                  never answers (until the client aborts)
 * - `/hits`                  `{"hits": n}` for `?id=` and `?path=`
 * - `/mutate`                applies the body once per Idempotency-Key; `?fail=<s1>,<s2>` answers the Nth attempt (preflights aside) with sN, the last repeating; `&times=<n>`: only the first n attempts fail
 * - `/auth`                  200 when `Authorization` is `Bearer <id>-fresh`, else 401
 * - `/applied`               the mutations applied, deduped on Idempotency-Key: `{"applied": [...], "duplicates": n}`
 * - `/doc`                   a versioned document per id: GET answers `{"version": v, "body": ...}` with a strong
 *                            `ETag: "v<v>"` (`?weak=1`: `W/"v<v>"`) and `Last-Modified` (v seconds after the epoch);
 *                            PUT, PATCH, DELETE apply once per Idempotency-Key unless `If-Match` (or
 *                            `If-Unmodified-Since`) is stale: 412; `?fail=<s>`: the first write with it answers s
 *                            (`&times=<n>`: the first n); `/docstate` reads it back with its writes and 412s
 */
/** A `/doc`: its version, body, the writes applied (with the precondition each carried) and the 412s answered. */
export interface TestDoc {
	version: number;
	body: string;
	writes: Array<{ method: string; body: string; key: string; ifMatch: string | null; base: number }>;
	conflicts: number;
	keys: Set<string>;
	failed: number;
}

export interface TestServerState {
	hits: Map<string, number>;
	docs?: Map<string, TestDoc>;
	/** Each applied body as text, and its bytes' SHA-256 (hex), length and Content-Type (files in the outbox). */
	applied: Map<string, { key: string; method: string; body: string; seq: number; sha256: string; size: number; type: string | null; /** When it arrived (epoch ms, this process's clock). */ at: number }[]>;
	duplicates: Map<string, number>;
	seen: Map<string, Set<string>>;
}

export const createState = (): TestServerState => ({ hits: new Map(), applied: new Map(), duplicates: new Map(), seen: new Map() });

const json = (value: unknown, init: ResponseInit = {}): Response =>
	new Response(JSON.stringify(value), { ...init, headers: { 'content-type': 'application/json', ...init.headers as Record<string, string> } });

export const createHandler = (state: TestServerState = createState()) => async (request: Request): Promise<Response> => {
	const url = new URL(request.url);
	const id = url.searchParams.get('id') ?? '';
	const hitKey = `${id} ${url.pathname}`;
	const hit = (state.hits.get(hitKey) ?? 0) + 1;
	state.hits.set(hitKey, hit);
	const [, route = '', argument = ''] = url.pathname.split('/');
	// `*` does not cover Authorization in CORS: it is listed so browsers may send it.
	const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*, authorization', 'access-control-allow-methods': '*', 'access-control-expose-headers': '*' };

	if (request.method === 'OPTIONS') {
		return new Response(null, { status: 204, headers: cors });
	}

	switch (route) {
		case 'json': {
			const headers: Record<string, string> = { ...cors };
			const cc = url.searchParams.get('cc');
			if (cc) {
				headers['cache-control'] = cc;
			}

			return json({ ok: true, n: hit, path: url.pathname }, { headers });
		}

		case 'status': {
			const status = Number(argument);
			const headers: Record<string, string> = { ...cors };
			const retryAfter = url.searchParams.get('retryAfter');
			if (retryAfter) {
				headers['retry-after'] = retryAfter;
			}

			const cc = url.searchParams.get('cc');
			if (cc) {
				headers['cache-control'] = cc;
			}

			return json({ status, n: hit }, { status, headers });
		}

		case 'plan': {
			const plan = argument.split(',').map(Number);
			const status = plan[Math.min(hit, plan.length) - 1] ?? 200;
			return json({ status, n: hit }, { status, headers: cors });
		}

		case 'echo': {
			const headers: Record<string, string> = {};
			request.headers.forEach((value, key) => {
				headers[key] = value;
			});
			const body = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
			// `?vary=` answers that Vary (and `?cc=` that Cache-Control): a copy the stale cache matches against the request's headers.
			const more = Object.fromEntries([['vary', 'vary'], ['cc', 'cache-control']].flatMap(([param, name]) => url.searchParams.has(param!) ? [[name!, url.searchParams.get(param!)!]] : []));
			return json({ method: request.method, headers, body, n: hit }, { headers: { ...cors, ...more } });
		}

		case 'hang': {
			return new Promise<Response>((resolve) => {
				request.signal?.addEventListener('abort', () => resolve(new Response(null, { status: 499 })));
			});
		}

		case 'hits': {
			return json({ hits: state.hits.get(`${id} ${url.searchParams.get('path') ?? ''}`) ?? 0 }, { headers: cors });
		}

		case 'mutate': {
			const key = request.headers.get('idempotency-key') ?? '';
			const seen = state.seen.get(id) ?? new Set();
			state.seen.set(id, seen);
			const fails = (url.searchParams.get('fail') ?? '').split(',').filter(Boolean).map(Number);
			const attempt = (state.hits.get(`${id} mutate-attempts`) ?? 0) + 1; // Preflights not counted.
			state.hits.set(`${id} mutate-attempts`, attempt);
			if (fails.length > 0 && attempt <= Number(url.searchParams.get('times') ?? Number.POSITIVE_INFINITY)) {
				const retryAfter = url.searchParams.get('retryAfter');
				return json({ error: 'scripted' }, { status: fails[Math.min(attempt, fails.length) - 1], headers: retryAfter ? { ...cors, 'retry-after': retryAfter } : cors });
			}

			if (key && seen.has(key)) {
				state.duplicates.set(id, (state.duplicates.get(id) ?? 0) + 1);
				return json({ duplicate: true, key }, { status: 200, headers: cors });
			}

			seen.add(key);
			const at = Date.now();
			const list = state.applied.get(id) ?? [];
			state.applied.set(id, list);
			const bytes = await request.arrayBuffer();
			const sha256 = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
			list.push({ key, method: request.method, body: new TextDecoder().decode(bytes), seq: list.length, sha256, size: bytes.byteLength, type: request.headers.get('content-type'), at });
			return json({ applied: true, key }, { status: 201, headers: cors });
		}

		case 'auth': {
			const fresh = request.headers.get('authorization') === `Bearer ${id}-fresh`;
			return json({ ok: fresh }, { status: fresh ? 200 : 401, headers: cors });
		}

		case 'doc': {
			state.docs ??= new Map();
			const doc = state.docs.get(id) ?? { version: 1, body: '', writes: [], conflicts: 0, keys: new Set(), failed: 0 };
			state.docs.set(id, doc);
			const validators = () => ({ ...cors, etag: `${url.searchParams.get('weak') ? 'W/' : ''}"v${doc.version}"`, 'last-modified': new Date(doc.version * 1000).toUTCString(), 'cache-control': 'max-age=0' });
			if (request.method === 'GET' || request.method === 'HEAD') {
				return json({ version: doc.version, body: doc.body }, { headers: validators() });
			}

			const fail = Number(url.searchParams.get('fail'));
			if (fail && doc.failed < Number(url.searchParams.get('times') ?? 1)) {
				doc.failed++;
				return json({ error: 'scripted' }, { status: fail, headers: cors });
			}

			const key = request.headers.get('idempotency-key') ?? '';
			if (key && doc.keys.has(key)) {
				return json({ version: doc.version, duplicate: true }, { headers: validators() });
			}

			const ifMatch = request.headers.get('if-match');
			const since = request.headers.get('if-unmodified-since');
			if ((ifMatch !== null && ifMatch !== `"v${doc.version}"`) || (since !== null && Date.parse(since) < doc.version * 1000)) {
				doc.conflicts++;
				return json({ error: 'precondition failed', version: doc.version }, { status: 412, headers: validators() });
			}

			doc.keys.add(key);
			const body = await request.text();
			doc.writes.push({ method: request.method, body, key, ifMatch, base: doc.version });
			doc.version++;
			doc.body = request.method === 'DELETE' ? '' : body;
			return json({ version: doc.version }, { headers: validators() });
		}

		case 'docstate': {
			const doc = state.docs?.get(id);
			return json(doc ? { version: doc.version, body: doc.body, writes: doc.writes, conflicts: doc.conflicts } : { version: 1, body: '', writes: [], conflicts: 0 }, { headers: cors });
		}

		case 'applied': {
			return json({ applied: state.applied.get(id) ?? [], duplicates: state.duplicates.get(id) ?? 0 }, { headers: cors });
		}

		default: {
			return json({ error: 'not found' }, { status: 404, headers: cors });
		}
	}
};
