// A Vercel edge function (api/items.ts; Netlify: netlify/edge-functions/items.ts, same default export)
// whose breaker and throttle every instance shares through Upstash Redis, over fetch.
import { Redis } from '@upstash/redis';
import { createClient, type Client } from 'steadfetch/core';
import { breaker } from 'steadfetch/breaker';
import { adaptiveThrottle } from 'steadfetch/throttle';
import { coordinator } from 'steadfetch/redis';

export const config = { runtime: 'edge' };

// One client per instance, made by its first request, then shared by every request it serves.
let api: Client | undefined;

export default async function handler(request: Request, context: { waitUntil(promise: Promise<unknown>): void }): Promise<Response> {
	if (!api) {
		const redis = Redis.fromEnv(); // UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN
		const shared = coordinator((script, keys, args) => redis.eval(script, keys, args));
		api = createClient({
			prefix: process.env['UPSTREAM'] ?? 'https://api.example.com/',
			// A hanging upstream holds a request at most 5 s (2 s per attempt), as the Worker recipes.
			timeout: 2_000,
			totalTimeout: 5_000,
			breaker: breaker({ shared }),
			adaptiveThrottle: adaptiveThrottle({ shared }),
		});
	}

	try {
		// The context's waitUntil holds what a call reports without waiting (a failure, the throttle's counts).
		return await api.withContext(context).get(new URL(request.url).searchParams.get('path') ?? '', { throwHttpErrors: false });
	} catch (error) {
		// Open for the whole fleet (CIRCUIT_OPEN), refused by the throttle (THROTTLED): no request sent.
		const code = (error as { code?: string }).code;
		return new Response(code ?? 'Bad Gateway', { status: code === 'CIRCUIT_OPEN' || code === 'THROTTLED' ? 503 : 502 });
	}
}
