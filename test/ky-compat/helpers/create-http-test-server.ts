// Ported from ky's test/helpers/create-http-test-server.ts (https://github.com/sindresorhus/ky, commit 3419113),
// MIT licence: Copyright (c) Sindre Sorhus. See ../LICENSE. Where ky passes ava's `t` (for `t.teardown`), the
// port passes the test context's `onTestFinished`.
import http from 'node:http';
import type net from 'node:net';
import { promisify } from 'node:util';
import express from 'express';
import type { TestContext } from 'vitest';

/** The test context's `onTestFinished`: registers the server's close. */
export type OnTestFinished = TestContext['onTestFinished'];

export type HttpServerOptions = {
	bodyParser?: false;
};

export type ExtendedHttpTestServer = {
	http: http.Server;
	url: string;
	port: number;
	hostname: string;
	close: () => Promise<void>;
} & express.Express;

/** An express server on a loopback port; closed when the test finishes if given `onTestFinished`. */
export async function createHttpTestServer(onTestFinished: OnTestFinished, options?: HttpServerOptions): Promise<ExtendedHttpTestServer>;
export async function createHttpTestServer(options?: HttpServerOptions): Promise<ExtendedHttpTestServer>;
export async function createHttpTestServer(
	teardownOrOptions?: OnTestFinished | HttpServerOptions,
	maybeOptions?: HttpServerOptions,
): Promise<ExtendedHttpTestServer> {
	const onTestFinished = typeof teardownOrOptions === 'function' ? teardownOrOptions : undefined;
	const options = (typeof teardownOrOptions === 'function' ? maybeOptions : teardownOrOptions) ?? {};
	const server = express() as ExtendedHttpTestServer;
	server.http = http.createServer(server);

	server.set('etag', false);
	server.http.keepAliveTimeout = 0;
	server.http.unref();

	if (options.bodyParser !== false) {
		server.use(express.json({ limit: '1mb', type: 'application/json' }));
		server.use(express.text({ limit: '1mb', type: 'text/plain' }));
		server.use(express.urlencoded({ limit: '1mb', type: 'application/x-www-form-urlencoded', extended: true }));
		server.use(express.raw({ limit: '1mb', type: 'application/octet-stream' }));
	}

	await promisify(server.http.listen.bind(server.http))();

	server.port = (server.http.address() as net.AddressInfo).port;
	server.url = `http://localhost:${server.port}`;
	server.hostname = 'localhost';

	server.close = async () => {
		server.http.closeAllConnections();
		await promisify(server.http.close.bind(server.http))();
	};

	onTestFinished?.(server.close);

	return server;
}
