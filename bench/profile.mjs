// CPU profile of the happy path: `node bench/profile.mjs [steadfetch|core|ky] [calls] [distinct URLs]` runs that client
// alone (16 in flight, keep-alive loopback origin in another process) under `node --cpu-prof`, then
// prints self time grouped by steadfetch source file (each dist/ file and chunk mapped back through
// its `// src/…` markers), by package, and the top functions. Not part of `npm run bench`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [client = 'steadfetch', callsArgument = '40000', distinctArgument = '64', mode] = process.argv.slice(2);
const calls = Number(callsArgument);
const distinct = Number(distinctArgument);

if (mode === '--child') {
	const { default: ky } = await import('ky');
	const library = await import('./lib/library.mjs');
	const { createClient, memoryStore } = client === 'core' ? library.steadfetchCore : library.steadfetch;
	const { outbox } = library.steadfetch;
	const { drive } = await import('./lib/drive.mjs');
	const { startOrigin } = await import('./lib/spawn-origin.mjs');
	const origin = await startOrigin({ bodyBytes: 256 });
	const api = client === 'core' ? createClient({ name: 'bench-profile' }) : createClient({ name: 'bench-profile', store: memoryStore, outbox: outbox() });
	api.on('cache:stored', () => undefined);
	const kyClient = ky.create({});
	const call = client === 'ky' ? async (url) => kyClient.get(url).json() : async (url) => api.get(url).json();
	await drive(2000, 16, async (index) => call(`${origin.url}/item/${index % distinct}`));
	const ms = await drive(calls, 16, async (index) => call(`${origin.url}/item/${(2000 + index) % distinct}`));
	console.log(`${client}: ${calls} calls over ${distinct} URLs, ${((ms * 1000) / calls).toFixed(1)} µs/request (under the profiler)`);
	api.close();
	await origin.close();
	process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'steadfetch-prof-'));
const self = fileURLToPath(import.meta.url);
const run = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, self, client, String(calls), String(distinct), '--child'], { stdio: 'inherit' });
if (run.status !== 0) {
	process.exit(run.status ?? 1);
}

const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));

// Self time per node from the samples.
const selfUs = new Map();
const deltas = profile.timeDeltas;
for (let index = 0; index < profile.samples.length; index++) {
	selfUs.set(profile.samples[index], (selfUs.get(profile.samples[index]) ?? 0) + (deltas[index] ?? 0));
}

// Each built file of ours (dist/index.js and its chunks) maps back to src/ through its `// src/…` markers.
const distDir = join(process.env.STEADFETCH_DIST ? join(process.env.STEADFETCH_DIST, '..') : fileURLToPath(new URL('../dist/', import.meta.url)));
const marksOf = new Map();
const srcOf = (url, line) => {
	const name = url.slice(url.lastIndexOf('/') + 1);
	if (!marksOf.has(name)) {
		const marks = [];
		readFileSync(join(distDir, name), 'utf8').split('\n').forEach((text, index) => {
			const match = /^\/\/ (src\/\S+)$/.exec(text);
			if (match) {
				marks.push([index, match[1]]);
			}
		});
		marksOf.set(name, marks);
	}

	let found = `dist/${name}`;
	for (const [at, source] of marksOf.get(name)) {
		if (at > line) {
			break;
		}

		found = source;
	}

	return found;
};
const isOurs = (url) => url.includes('/dist/') && !url.includes('/node_modules/');

const total = [...selfUs.values()].reduce((sum, value) => sum + value, 0);
const byGroup = new Map();
const byFunction = new Map();
for (const node of profile.nodes) {
	const us = selfUs.get(node.id) ?? 0;
	if (us === 0) {
		continue;
	}

	const { url, functionName, lineNumber } = node.callFrame;
	let group;
	if (isOurs(url)) {
		group = `steadfetch ${srcOf(url, lineNumber)}`;
	} else if (url.includes('/node_modules/')) {
		group = url.slice(url.lastIndexOf('/node_modules/') + 14).split('/').slice(0, url.includes('/node_modules/@') ? 2 : 1).join('/');
	} else if (url.startsWith('node:') || url === '') {
		group = functionName.startsWith('(') ? functionName : url === '' ? '(native)' : url.split('/')[0];
	} else {
		group = url.replace(/^file:\/\/.*\/bench\//, 'bench/');
	}

	byGroup.set(group, (byGroup.get(group) ?? 0) + us);
	const where = isOurs(url) ? `${srcOf(url, lineNumber)} (${url.slice(url.lastIndexOf('/') + 1)}:${lineNumber + 1})` : `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
	const key = `${functionName || '(anonymous)'}  ${where}`;
	byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}

const print = (title, map, limit) => {
	console.log(`\n${title}`);
	for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
		console.log(`${((us / total) * 100).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`);
	}
};

print(`Self time by group (${client}, total ${(total / 1000).toFixed(0)} ms sampled; profile: ${join(dir, file)})`, byGroup, 25);
print('Top functions by self time', byFunction, 30);
