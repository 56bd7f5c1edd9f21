import { createClient, isStale, outbox } from 'steadfetch';
import { unavailable } from 'steadfetch/cloudflare';

// One client per isolate, made at module scope: its breaker, retry budget, stale cache and outbox
// (kept in the Cache API, the default store in Workers) see every request. Nothing starts at import.
const upstream = createClient({
	baseUrl: 'https://upstream.example.com/',
	timeout: 2_000,
	totalTimeout: 5_000,
	staleCache: { maxStaleMs: 3_600_000 },
	// A write the upstream cannot take now (down, 5xx, open breaker) is kept and answered 202.
	outbox: outbox({ queuedResponse: 'accepted' }),
});

export default {
	async fetch(request: Request, _env: unknown, ctx: ExecutionContext): Promise<Response> {
		const { pathname } = new URL(request.url);
		// withContext(ctx): what a call leaves to do (writing the stale copy, the breaker's state,
		// replaying queued writes) runs under ctx.waitUntil, in this request.
		const api = upstream.withContext(ctx);
		try {
			if (request.method === 'POST') {
				// The upstream's answer, or 202 { queued: true, entryId }: replayed, with the same
				// Idempotency-Key, by a later request that the upstream answers well.
				const body = await request.arrayBuffer(); // bytes, so the write can be kept
				return await api.post(pathname.slice(1), { body, headers: { 'content-type': request.headers.get('content-type') ?? 'application/json' } });
			}

			const response = await api.get(pathname.slice(1), { throwHttpErrors: false });
			const headers = new Headers(response.headers); // a stale copy keeps its Cache-Status and Age
			headers.set('x-upstream', isStale(response) ? 'stale' : 'live');
			return new Response(response.body, { status: response.status, headers });
		} catch (error) {
			// A write the upstream refused (4xx): its status. The breaker is open: 503 with Retry-After,
			// no request sent. Unreachable with no copy: 502.
			const refused = (error as { response?: Response }).response;
			return refused ? new Response(null, { status: refused.status }) : unavailable(error) ?? new Response('Bad Gateway', { status: 502 });
		}
	},
} satisfies ExportedHandler;
