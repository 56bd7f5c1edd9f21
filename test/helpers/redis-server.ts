/**
 * A private Redis for a test file: Debian's `redis-server` on a free loopback port, no persistence
 * (`--save '' --appendonly no`), never the system service; `kill()` stops it (SIGKILL: a crash),
 * `start()` starts it again on the same port, empty.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface RunningRedis {
	port: number;
	/** A client of the test's own (reconnects after a restart). */
	client: Redis;
	kill(): Promise<void>;
	start(): Promise<void>;
	stop(): Promise<void>;
}

const freePort = async (): Promise<number> => new Promise((resolve, reject) => {
	const server = createServer();
	server.once('error', reject);
	server.listen(0, '127.0.0.1', () => {
		const { port } = server.address() as { port: number };
		server.close(() => resolve(port));
	});
});

export const startRedis = async (): Promise<RunningRedis> => {
	const port = await freePort();
	let child: ChildProcess | undefined;
	const start = async (): Promise<void> => {
		const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
		child = started;
		await new Promise<void>((resolve, reject) => {
			let out = '';
			started.stdout!.on('data', (chunk: Buffer) => {
				out += chunk.toString();
				if (out.includes('Ready to accept connections')) {
					resolve();
				}
			});
			started.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
			started.once('error', reject);
		});
	};

	const kill = async (): Promise<void> => {
		const running = child;
		child = undefined;
		if (running && running.exitCode === null && running.signalCode === null) {
			await new Promise((resolve) => {
				running.once('exit', resolve);
				running.kill('SIGKILL');
			});
		}
	};

	await start();
	const client = new Redis({ port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 1 });
	client.on('error', () => undefined); // While the server is killed: it reconnects when it is back.
	return {
		port, client, kill, start,
		async stop() {
			client.disconnect();
			await kill();
		},
	};
};
