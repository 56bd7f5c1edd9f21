import { createClient, isStale } from 'steadfetch';

// One client for the process: its breaker, retry budget and stale cache (kept in Deno's Cache API, on
// disk: a restarted process still has the copies) see every request. A hanging API holds a request at
// most 5 s (2 s per attempt), not the 20 s default.
const api = createClient({ baseUrl: 'https://api.example.com/v1/', timeout: 2_000, totalTimeout: 5_000 });

Deno.serve({ port: 8000 }, async () => {
	try {
		const response = await api.get('items');
		const items = await response.json<unknown[]>();
		// The upstream failed (down, timeout, 5xx, open breaker): a copy it gave before, marked stale.
		return Response.json({ count: items.length, stale: isStale(response) });
	} catch {
		return new Response('Bad Gateway', { status: 502 }); // failed, and no copy to answer with
	}
});
