// Promises per call without the network, counted by async_hooks (every promise V8 creates, ky's and
// the runtime's included): ky, ky with `totalTimeout: 20_000` (the bound steadfetch sets by default),
// `steadfetch/core` and the preset's defaults (stale cache → memoryStore), on 64 URLs repeated and on
// a new URL per call. Each client makes `calls` calls after a warm-up, 16 in flight, against a `fetch`
// that answers at once. Exact for one build: a promise more per call shows as 1.00 more.
//
//   node bench/promises.mjs [--calls 2000]
import { createHook } from 'node:async_hooks';
import { pathToFileURL } from 'node:url';
import ky from 'ky';
import { quick, writeResult } from './lib/args.mjs';
import { drive } from './lib/drive.mjs';
import { section, table } from './lib/table.mjs';

const dist = process.env.STEADFETCH_DIST ? pathToFileURL(process.env.STEADFETCH_DIST).href : new URL('../dist/index.js', import.meta.url).href;
const steadfetch = await import(dist);
const core = await import(new URL('core.js', dist).href);
const at = process.argv.indexOf('--calls');
const calls = at === -1 ? (quick ? 500 : 2000) : Number(process.argv[at + 1]);
const fetch = async () => new Response('{"id":1,"name":"steadfetch"}', { headers: { 'content-type': 'application/json', 'content-length': '28' } });
const clients = {
	ky: () => ky.create({ fetch }),
	'ky + totalTimeout': () => ky.create({ fetch, totalTimeout: 20_000 }),
	core: () => core.createClient({ fetch }),
	steadfetch: () => steadfetch.createClient({ fetch, name: 'bench-promises', store: steadfetch.memoryStore }),
};

let counted = 0;
const hook = createHook({ init(_id, type) {
	if (type === 'PROMISE') {
		counted++;
	}
} });

const measure = async (make, workload) => {
	const api = make();
	let fresh = 0;
	const urlOf = workload === 'distinct' ? () => `http://bench.test/item/new-${fresh++}` : (index) => `http://bench.test/item/${index % 64}`;
	const call = (index) => api.get(urlOf(index)).json();
	await drive(calls, 16, call);
	counted = 0;
	hook.enable();
	await drive(calls, 16, call);
	hook.disable();
	api.close?.();
	return Math.round((counted / calls) * 100) / 100;
};

const results = { calls, repeated: {}, distinct: {} };
for (const workload of ['repeated', 'distinct']) {
	for (const [name, make] of Object.entries(clients)) {
		results[workload][name] = await measure(make, workload);
	}
}

section(
	`Promises per call, no network (async_hooks, ${calls} calls each, 16 in flight)`,
	table(['client', '64 URLs repeated', 'every URL new', 'more than ky (repeated)'], Object.keys(clients).map((name) => [name, results.repeated[name], results.distinct[name], `+${Math.round((results.repeated[name] - results.repeated.ky) * 100) / 100}`])),
	['The preset copies a URL at most once a second: on repeated URLs a copy is rare here, on new ones every call copies.'],
);
writeResult(results);
process.exit(0);
