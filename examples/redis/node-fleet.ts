// A Node server run as many processes (behind a load balancer, in a cluster): one breaker and one
// throttle per upstream for all of them, kept in Redis through ioredis.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { createClient } from 'steadfetch/core';
import { breaker } from 'steadfetch/breaker';
import { adaptiveThrottle } from 'steadfetch/throttle';
import { coordinator } from 'steadfetch/redis';

// No offline queue, no retries: while Redis is down a sync fails at once, and each process decides
// with its own breaker (a `storage:error` event) until Redis answers again.
const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
redis.on('error', () => undefined); // reconnects by itself
const shared = coordinator((script, keys, args) => redis.eval(script, keys.length, ...keys, ...args));
const api = createClient({
	name: 'bff', // processes share a scope's breaker and throttle when their clients have the same name
	prefix: process.env['UPSTREAM'] ?? 'https://api.example.com/',
	timeout: 2_000, // a hanging upstream holds a request at most 5 s
	totalTimeout: 5_000,
	breaker: breaker({ shared }),
	adaptiveThrottle: adaptiveThrottle({ shared }),
});

createServer(async (request, response) => {
	try {
		const upstream = await api.get((request.url ?? '/').slice(1), { throwHttpErrors: false });
		response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
		response.end(Buffer.from(await upstream.arrayBuffer()));
	} catch (error) {
		const code = (error as { code?: string }).code;
		response.writeHead(code === 'CIRCUIT_OPEN' || code === 'THROTTLED' ? 503 : 502);
		response.end(code ?? 'Bad Gateway');
	}
}).listen(Number(process.env['PORT'] ?? 3000));
