// A second Deno process on the same KV file (test/deno/deno-kv.test.ts starts it): a client whose
// breaker is shared through coordinator(kv) (its open period `openMs`, as the test's), calling the origin `calls` times from `startAt` on.
// Prints one JSON line: what each call ended with.
import * as lib from '../../dist/edge/index.js';
import { coordinator } from '../../dist/edge/deno.js';

declare const Deno: { args: string[]; openKv(path: string): Promise<unknown> };

const [kvPath, origin, calls, startAt, openMs] = Deno.args;
/** A KV file another process is writing may answer "database is locked" for a moment. */
const open = async (): Promise<unknown> => {
	for (let attempt = 0; ; attempt++) {
		try {
			return await Deno.openKv(kvPath!);
		} catch (error) {
			if (attempt >= 50) {
				throw error;
			}

			await new Promise((resolve) => setTimeout(resolve, 10));
		}
	}
};

const kv = await open();
// `sharedTimeoutMs`: a process that starts under a clean closed state waits that long for Deno KV's answer before its
// first call goes on with its own state (the option's TSDoc). 100 ms, the default, was not enough for a KV file the
// other process writes, on a loaded machine (two clean-clone runs: ['HTTP_5XX', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN']).
const api = lib.createClient({ retry: 0, staleCache: false, breaker: { consecutiveFailures: 3, openMs: Number(openMs), shared: coordinator(kv as never), share: false, sharedTimeoutMs: 2_000 } });
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
const results: string[] = [];
for (let index = 0; index < Number(calls); index++) {
	results.push(await api.get(`${origin}/peer`).then((response) => String(response.status), (error: unknown) => lib.classify(error).code));
}

console.log(JSON.stringify(results));
api.close();
(kv as { close(): void }).close();
