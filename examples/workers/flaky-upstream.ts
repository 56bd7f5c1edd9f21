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
		// replaying queued writes) runs under ctx.waitUntil, in this request; what steadfetch adds
		// (retries, replays) stays within the request's subrequests (50 on the free plan).
		const api = upstream.withContext(ctx);
		try {
			if (request.method === 'POST') {
				// The upstream's answer, or 202 { queued: true, entryId }: replayed, with the same
				// Idempotency-Key, by a later request that the upstream answers well.
				const body = await request.arrayBuffer(); // bytes, so the write can be kept
				return await api.post(pathname.slice(1), { body, headers: { 'content-type': request.headers.get('content-type') ?? 'application/json' } });
			}

			// A 5xx or a network failure is retried; after the retries, the stored copy answers.
			const response = await api.get(pathname.slice(1));
			const headers = new Headers(response.headers); // a stale copy keeps its Cache-Status and Age
			headers.set('x-upstream', isStale(response) ? 'stale' : 'live');
			return new Response(response.body, { status: response.status, headers });
		} catch (error) {
			// The breaker is open: 503 with Retry-After, no request sent. The upstream answered 4xx: its
			// status. It failed after the retries, with no copy stored: 503, come back in 5 s.
			const status = (error as { response?: Response }).response?.status ?? 503;
			return unavailable(error) ?? new Response(null, status < 500 ? { status } : { status: 503, headers: { 'retry-after': '5' } });
		}
	},
} satisfies ExportedHandler;
