// The loopback origin of the benchmarks, run in its own process (see spawn-origin.mjs) so that its
// work is not timed as the client's. Keep-alive HTTP/1.1 on 127.0.0.1, a fixed port for its life.
//
//   GET  /item/<n>     JSON of about ORIGIN_BODY_BYTES bytes, `Cache-Control: max-age=0` (so Chromium's HTTP cache
//                      revalidates every time and the stale cache is what answers when the origin fails)
//   POST /mut/<queue>  counts the mutation per queue (and distinct Idempotency-Keys), answers 201
//   GET  /, /<file>    files of ORIGIN_STATIC (the browser bench's page), never taken down
//
// The parent switches the API routes with IPC messages `{ mode }`: 'up', 'hang' (accept, never
// answer), 'refuse' (close the listener and every connection: connection refused), or a status
// code (answer every API request with it). It asks for `{ stats: true }` (mutation counts) and
// `{ reset: true }`.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const bodyBytes = Number(process.env.ORIGIN_BODY_BYTES ?? 256);
const staticDir = process.env.ORIGIN_STATIC;
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.map': 'application/json' };

let mode = 'up';
const hanging = new Set();
const sockets = new Set();
let counts = new Map();

const itemBody = (id) => {
	const head = `{"id":${id},"name":"item ${id}","pad":"`;
	const tail = '"}';
	return head + 'x'.repeat(Math.max(0, bodyBytes - head.length - tail.length)) + tail;
};

const bodies = new Map();
const item = (id) => {
	let body = bodies.get(id);
	if (body === undefined) {
		body = Buffer.from(itemBody(id));
		if (bodies.size < 20_000) {
			bodies.set(id, body);
		}
	}

	return body;
};

const serveStatic = async (path, response) => {
	const file = normalize(join(staticDir ?? '/nonexistent', path === '/' ? 'index.html' : path));
	if (!staticDir || !file.startsWith(normalize(staticDir))) {
		response.writeHead(404).end();
		return;
	}

	try {
		const body = await readFile(file);
		response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
	} catch {
		response.writeHead(404).end();
	}
};

const server = createServer((request, response) => {
	const path = request.url.split('?')[0];
	const api = path.startsWith('/item/') || path.startsWith('/mut/');
	if (!api) {
		void serveStatic(path, response);
		return;
	}

	if (mode === 'hang') {
		hanging.add(response);
		response.on('close', () => hanging.delete(response));
		request.resume();
		return;
	}

	if (typeof mode === 'number') {
		request.resume();
		response.writeHead(mode, { 'content-type': 'application/json' }).end('{"down":true}');
		return;
	}

	if (request.method === 'POST' && path.startsWith('/mut/')) {
		const queue = path.slice(5);
		request.resume();
		request.on('end', () => {
			let count = counts.get(queue);
			if (!count) {
				count = { received: 0, keys: new Set() };
				counts.set(queue, count);
			}

			count.received++;
			const key = request.headers['idempotency-key'];
			if (typeof key === 'string') {
				count.keys.add(key);
			}

			response.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
		});
		return;
	}

	const body = item(Number(path.slice(6)) || 0);
	response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'cache-control': 'max-age=0' }).end(body);
});
server.keepAliveTimeout = 60_000;
server.on('connection', (socket) => {
	sockets.add(socket);
	socket.on('close', () => sockets.delete(socket));
});

const listen = (port) => new Promise((resolve, reject) => {
	server.once('error', reject);
	server.listen(port, '127.0.0.1', () => {
		server.off('error', reject);
		resolve(server.address().port);
	});
});

const port = await listen(0);
let listening = true;

process.on('message', async (message) => {
	if (message.mode !== undefined) {
		const previous = mode;
		mode = message.mode;
		if (previous === 'hang' && mode !== 'hang') {
			for (const response of hanging) {
				response.writeHead(503).end();
			}

			hanging.clear();
		}

		if (mode === 'refuse' && listening) {
			listening = false;
			await new Promise((resolve) => {
				server.close(() => resolve());
				for (const socket of sockets) {
					socket.destroy();
				}
			});
		} else if (mode !== 'refuse' && !listening) {
			await listen(port);
			listening = true;
		}

		process.send({ ok: true, mode });
	} else if (message.stats) {
		process.send({ stats: Object.fromEntries([...counts].map(([queue, count]) => [queue, { received: count.received, distinctKeys: count.keys.size }])) });
	} else if (message.reset) {
		counts = new Map();
		process.send({ ok: true });
	}
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, port });
