import { createClient } from 'steadfetch/core';
import { breaker } from 'steadfetch/breaker';
import { coordinator, unavailable } from 'steadfetch/cloudflare';

// The Durable Object class that keeps each scope's breaker: bound and migrated in wrangler.jsonc.
export { BreakerCoordinator } from 'steadfetch/cloudflare';

interface Env {
	STEADFETCH: DurableObjectNamespace; // durable_objects.bindings in wrangler.jsonc
	UPSTREAM: string; // vars in wrangler.jsonc
}

// One client per isolate, made by its first request (it needs env), then shared by every request;
// typed by what `connect` returns, so it keeps its breaker's members (`api.breaker.isolate(url)`).
const connect = (env: Env) =>
	createClient({
		prefix: env.UPSTREAM,
		// A hanging upstream holds a request at most 5 s (2 s per attempt), not ky's 10 s per attempt
		// within the 20 s default: a Worker request should not wait longer than its caller will.
		timeout: 2_000,
		totalTimeout: 5_000,
		breaker: breaker({ shared: coordinator(env.STEADFETCH) }),
	});
let api: ReturnType<typeof connect> | undefined;

export default {
	async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
		api ??= connect(env);
		try {
			return await api.withContext(ctx).get(new URL(request.url).pathname.slice(1), { throwHttpErrors: false });
		} catch (error) {
			// Open in any isolate: 503 with Retry-After, no request sent. Unreachable or timed out: 502.
			return unavailable(error) ?? new Response('Bad Gateway', { status: 502 });
		}
	},
} satisfies ExportedHandler<Env>;
