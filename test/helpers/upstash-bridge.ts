/**
 * A loopback server speaking Upstash's REST protocol (what `@upstash/redis` sends: read from its
 * source, pkg/http.ts and pkg/pipeline.ts), in front of a real Redis: `POST /` with a command as a
 * JSON array answers `{ result }` (or `{ error }` with 400); `POST /pipeline` (and `/multi-exec`) with
 * an array of commands answers an array of `{ result }` / `{ error }`, run in order. With the
 * `Upstash-Encoding: base64` header (the client's default), every string of a reply is base64 of its
 * UTF-8 bytes (arrays element by element), except a status reply `OK`. `Authorization: Bearer
 * <token>` must match. Commands go to Redis through ioredis's `call`.
 */
import { Redis } from 'ioredis';
import { serve, type RunningServer } from './node-server.js';

export interface UpstashBridge extends RunningServer {
	/** Commands it ran, in order (their names). */
	commands: string[];
	/** HTTP requests it answered (a pipeline of several commands is one). */
	readonly requests: number;
	/** HTTP requests it holds now, not answered yet. */
	readonly pending: number;
	/** How long it holds each request before running it, in ms (a Redis far away): 0 unless set. */
	delayMs: number;
}

export const upstashBridge = async (port: number, token: string): Promise<UpstashBridge> => {
	const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, enableOfflineQueue: false });
	// Connected before the bridge answers anything: without an offline queue, a command sent while ioredis still
	// connects fails ("Stream isn't writeable"), which a test read as Redis failing (a sync's storage:error, a
	// process that degraded alone): the Upstash tests flaked under load. A Redis that cannot be reached fails here.
	await new Promise<void>((resolve, reject) => {
		redis.once('ready', () => resolve());
		redis.once('error', reject);
	});
	redis.on('error', () => undefined);
	const commands: string[] = [];
	const exec = async (command: unknown, base64: boolean): Promise<{ result?: unknown; error?: string }> => {
		if (!Array.isArray(command) || command.length === 0) {
			return { error: 'ERR not a command' };
		}

		const encode = (value: unknown): unknown => typeof value === 'string'
			? (base64 && value !== 'OK' ? Buffer.from(value, 'utf8').toString('base64') : value)
			: Array.isArray(value) ? value.map(encode) : value ?? null;
		commands.push(String(command[0]).toLowerCase());
		try {
			return { result: encode(await redis.call(String(command[0]), ...command.slice(1).map(String))) };
		} catch (error) {
			return { error: (error as Error).message };
		}
	};

	let requests = 0;
	let pending = 0;
	const held = { delayMs: 0 };
	const server = await serve(async (request) => {
		requests++;
		pending++;
		try {
			return await answer(request);
		} finally {
			pending--;
		}
	});
	const answer = async (request: Request): Promise<Response> => {
		if (held.delayMs > 0) {
			await new Promise((resolve) => setTimeout(resolve, held.delayMs));
		}

		if (request.headers.get('authorization') !== `Bearer ${token}`) {
			return Response.json({ error: 'Unauthorized' }, { status: 401 });
		}

		const base64 = request.headers.get('upstash-encoding')?.toLowerCase() === 'base64';
		const body: unknown = await request.json();
		const { pathname } = new URL(request.url);
		if (pathname === '/pipeline' || pathname === '/multi-exec') {
			const replies = [];
			for (const command of Array.isArray(body) ? body : []) {
				replies.push(await exec(command, base64));
			}

			return Response.json(replies);
		}

		const reply = await exec(body, base64);
		return Response.json(reply, { status: reply.error ? 400 : 200 });
	};
	return {
		...server, commands,
		get requests() {
			return requests;
		},
		get pending() {
			return pending;
		},
		get delayMs() {
			return held.delayMs;
		},
		set delayMs(ms: number) {
			held.delayMs = ms;
		},
		async close() {
			redis.disconnect();
			await server.close();
		},
	};
};
