// `npm run demo`: the same small app (reads and writes from a few users) runs through a flaky API's
// script of phases twice, once with plain ky and once with steadfetch, and a side-by-side table of
// what happened is printed at the end. Every number is counted from what happened in this run.
//
//   node demo/run.mjs [--seed N] [--json [file]]
import { writeFileSync } from 'node:fs';
import ky from 'ky';
import { createClient, isStale, memoryStore, OutboxQueuedError } from '../dist/index.js';
import { phases, startFlakyApi } from './flaky-api.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.indexOf(name);
const seed = flag('--seed') === -1 ? 1 : Number(argv[flag('--seed') + 1]);
const jsonAt = flag('--json');
const jsonFile = jsonAt !== -1 && argv[jsonAt + 1] && !argv[jsonAt + 1].startsWith('--') ? argv[jsonAt + 1] : undefined;
if (!Number.isInteger(seed)) {
	console.error('--seed takes an integer');
	process.exit(2);
}

/** mulberry32: a small seeded random source, so `--seed` repeats the random choices (the counts still vary with timing). */
const seeded = (value) => {
	let state = value >>> 0;
	return () => {
		state = (state + 0x6d_2b_79_f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
};

const users = 4;
const thinkMs = 120;
/** The same settings for both: 800 ms per attempt, 2 retries, backoff capped at 2 s. */
const shared = { timeout: 800, retry: { limit: 2, backoffLimit: 2_000 } };
const quiet = jsonAt !== -1 && !jsonFile;
const log = (...parts) => {
	if (!quiet) {
		console.log(...parts);
	}
};

const percentile = (values, p) => {
	if (values.length === 0) {
		return 0;
	}

	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

const run = async (label, makeClient) => {
	const api = await startFlakyApi();
	const random = seeded(seed);
	const result = {
		calls: 0, readsFresh: 0, readsStale: 0, readsFailed: 0, readsFailedAfterBreakerOpened: 0,
		writesAcknowledged: 0, writesQueued: 0, writesFailed: 0, writes: [], waits: [], retries: 0,
	};
	const { client, events, finish } = makeClient(api.url, random, result);
	let phaseIndex = 0;
	let breakerOpened = false;
	events.on('breaker-open', () => {
		breakerOpened = true;
	});

	const oneCall = async (user) => {
		const started = performance.now();
		result.calls++;
		if (random() < 0.7) {
			const id = 1 + Math.floor(random() * 5);
			try {
				const response = await client.get(`items/${id}`);
				await response.json();
				if (isStale(response)) {
					result.readsStale++;
				} else {
					result.readsFresh++;
				}
			} catch {
				result.readsFailed++;
				if (breakerOpened) {
					result.readsFailedAfterBreakerOpened++;
				}
			}
		} else {
			const writeId = `${label}-${user}-${result.writes.length}`;
			result.writes.push(writeId);
			try {
				await client.post('items', { json: { writeId, user } });
				result.writesAcknowledged++;
			} catch (error) {
				if (error instanceof OutboxQueuedError) {
					result.writesQueued++;
				} else {
					result.writesFailed++;
				}
			}
		}

		result.waits.push(performance.now() - started);
	};

	const started = performance.now();
	let running = true;
	const loops = Array.from({ length: users }, async (_, user) => {
		while (running) {
			await oneCall(user);
			await new Promise((resolve) => setTimeout(resolve, thinkMs));
		}
	});

	for (; phaseIndex < phases.length; phaseIndex++) {
		const phase = phases[phaseIndex];
		await api.setMode(phase.mode);
		const callsBefore = result.calls;
		log(`  [${label}] ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s  phase ${phaseIndex + 1}/${phases.length}: ${phase.name}`);
		await new Promise((resolve) => setTimeout(resolve, phase.ms));
		events.flush?.();
		log(`  [${label}]          ${result.calls - callsBefore} calls in this phase`);
	}

	running = false;
	await Promise.all(loops);
	await finish?.();
	await api.close();

	const applied = api.stats.appliedByWrite;
	return {
		client: label,
		callsMade: result.calls,
		readsFresh: result.readsFresh,
		readsStale: result.readsStale,
		readsFailed: result.readsFailed,
		readsFailedAfterBreakerOpened: breakerOpened ? result.readsFailedAfterBreakerOpened : null,
		writesAcknowledged: result.writesAcknowledged,
		writesQueued: result.writesQueued,
		writesFailed: result.writesFailed,
		writesLost: result.writes.filter((id) => !applied.has(id)).length,
		writesAppliedTwice: [...applied.values()].filter((count) => count > 1).length,
		requestsReachingServer: api.stats.requests,
		retriesSent: result.retries,
		waitMedianMs: Math.round(percentile(result.waits, 50)),
		waitP99Ms: Math.round(percentile(result.waits, 99)),
	};
};

/** Plain ky with the same timeout and retry settings (and the same seeded jitter). */
const withKy = (url, random, result) => {
	const listeners = new Map();
	return {
		client: ky.create({
			baseUrl: url + '/', ...shared,
			retry: { ...shared.retry, jitter: (delay) => random() * delay },
			hooks: { beforeRetry: [() => void result.retries++] },
		}),
		events: { on: (type, listener) => listeners.set(type, listener) },
	};
};

/** steadfetch with everything on: breaker, retry budget, stale cache, outbox, in memory. */
const withSteadfetch = (url, random, result) => {
	const client = createClient({
		baseUrl: url + '/', ...shared,
		random,
		store: memoryStore,
		name: `demo-${seed}`,
		breaker: { consecutiveFailures: 5, openMs: 1_000, maxOpenMs: 4_000 },
		outbox: { baseBackoffMs: 250, maxBackoffMs: 2_000 },
	});
	const counts = new Map();
	const bump = (name) => counts.set(name, (counts.get(name) ?? 0) + 1);
	const openListeners = [];
	client.on('retry', () => void result.retries++);
	client.on('breaker:open', (event) => {
		for (const listener of openListeners) {
			listener();
		}
		log(`  [steadfetch]            breaker opened for ${event.scope} (${event.reason}), reopens in ${Math.round(event.reopensAt - event.time)} ms`);
	});
	client.on('breaker:half-open', () => log('  [steadfetch]            breaker half-open: one probe goes out'));
	client.on('breaker:closed', (event) => log(`  [steadfetch]            breaker closed (${event.reason})`));
	client.on('budget:exhausted', (event) => log(`  [steadfetch]            retry budget refused a retry (${event.retries}/${event.allowed} in the window)`));
	client.on('cache:stale', (event) => bump(`stale (${event.reason})`));
	client.on('outbox:queued', () => bump('queued'));
	client.on('outbox:sent', () => bump('replayed'));
	client.on('outbox:dead', () => bump('dead letter'));
	return {
		client,
		events: {
			on: (type, listener) => type === 'breaker-open' && openListeners.push(listener),
			flush() {
				if (counts.size > 0) {
					log(`  [steadfetch]            ${[...counts].map(([name, count]) => `${count} ${name}`).join(', ')}`);
					counts.clear();
				}
			},
		},
		async finish() {
			// The origin is back: give the outbox its chance to deliver what it holds.
			const deadline = performance.now() + 10_000;
			while (await client.outbox.size() > 0 && performance.now() < deadline) {
				await client.outbox.flush();
				await new Promise((resolve) => setTimeout(resolve, 100));
			}

			const pending = await client.outbox.size();
			const dead = (await client.outbox.deadLetters()).length;
			if (counts.size > 0) {
				log(`  [steadfetch]            ${[...counts].map(([name, count]) => `${count} ${name}`).join(', ')}`);
			}

			log(`  [steadfetch]            outbox after recovery: ${pending} pending, ${dead} dead letters`);
			client.close();
		},
	};
};

log(`steadfetch demo (seed ${seed}): ${users} users, reads and writes, through ${phases.map((phase) => phase.name).join(' → ')}\n`);
const kyResult = await run('ky', withKy);
log('');
const steadResult = await run('steadfetch', withSteadfetch);

const rows = [
	['calls made', 'callsMade'],
	['reads answered fresh', 'readsFresh'],
	['reads answered stale', 'readsStale'],
	['reads failed', 'readsFailed'],
	['  … after the breaker opened', 'readsFailedAfterBreakerOpened'],
	['writes acknowledged', 'writesAcknowledged'],
	['writes queued for replay', 'writesQueued'],
	['writes failed (error to the user)', 'writesFailed'],
	['writes lost', 'writesLost'],
	['writes applied twice', 'writesAppliedTwice'],
	['requests that reached the server', 'requestsReachingServer'],
	['retries sent', 'retriesSent'],
	['user wait, median (ms)', 'waitMedianMs'],
	['user wait, p99 (ms)', 'waitP99Ms'],
];
const summary = { seed, phases: phases.map(({ name, ms }) => ({ name, ms })), ky: kyResult, steadfetch: steadResult };
if (!quiet) {
	console.log(`\n${''.padEnd(36)}${'ky'.padStart(10)}${'steadfetch'.padStart(12)}`);
	for (const [label, key] of rows) {
		const show = (value) => (value === null ? '—' : String(value));
		console.log(`${label.padEnd(36)}${show(kyResult[key]).padStart(10)}${show(steadResult[key]).padStart(12)}`);
	}
}

if (jsonAt !== -1) {
	const text = JSON.stringify(summary, null, 2);
	if (jsonFile) {
		writeFileSync(jsonFile, text + '\n');
		log(`\nsummary written to ${jsonFile}`);
	} else {
		console.log(text);
	}
}

const ok = steadResult.writesLost === 0 && steadResult.writesAppliedTwice === 0;
log(ok ? '\nsteadfetch lost no write and applied none twice.' : '\nsteadfetch lost or doubled writes: this is a bug.');
process.exitCode = ok ? 0 : 1;
