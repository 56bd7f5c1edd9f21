import { createClient, isStale } from 'steadfetch';
import { unavailable } from 'steadfetch/cloudflare';

// One client per isolate, made at module scope: its breaker, retry budget and stale cache (kept in
// the Cache API, the default store in Workers) see every request. Nothing starts at import.
const upstream = createClient({
	baseUrl: 'https://upstream.example.com/',
	timeout: 2_000,
	totalTimeout: 5_000,
	staleCache: { maxStaleMs: 3_600_000 },
});

export default {
	async fetch(request: Request, _env: unknown, ctx: ExecutionContext): Promise<Response> {
		const { pathname } = new URL(request.url);
		try {
			// withContext(ctx): what the call leaves to do (writing the stale copy, the breaker's state)
			// runs under ctx.waitUntil, in this request.
			const response = await upstream.withContext(ctx).get(pathname.slice(1), { throwHttpErrors: false });
			const headers = new Headers(response.headers); // a stale copy keeps its Cache-Status and Age
			headers.set('x-upstream', isStale(response) ? 'stale' : 'live');
			return new Response(response.body, { status: response.status, headers });
		} catch (error) {
			// The breaker is open: 503 with Retry-After, no request sent. Unreachable with no copy: 502.
			return unavailable(error) ?? new Response('Bad Gateway', { status: 502 });
		}
	},
} satisfies ExportedHandler;
