/**
 * The steadfetch client of the playground: every feature on, with short timings so that a person
 * sees the breaker open, half-open and close, and the outbox retry, within seconds.
 *
 * Every tab creates it under the same `name`, so the tabs share one breaker per origin (through
 * BroadcastChannel and Web Locks), one stale cache and one outbox (IndexedDB), and only one tab at a
 * time drains the outbox.
 */
import { createClient, outbox } from 'steadfetch';
import { health } from 'steadfetch/health';
import { readSim } from './sim.js';
import './worker.js'; // The simulated API answers before the client exists.

export const client = createClient({
	name: 'playground',
	timeout: 2_000, // per attempt
	totalTimeout: 8_000,
	retry: { limit: 2, backoffLimit: 1_000 },
	breaker: { consecutiveFailures: 5, openMs: 5_000, maxOpenMs: 20_000 },
	// With the origin hanging ("Hang"), a read with a stored copy answers with it after 3 s (the
	// default, said here) instead of after its retries; its request goes on.
	staleCache: { maxStaleMs: 3_600_000, networkTimeoutMs: 3_000 },
	outbox: outbox({
		baseBackoffMs: 1_000, maxBackoffMs: 8_000, maxAttempts: 6,
		// A write still unanswered after 3 s is queued (the user told so) while its attempt goes on.
		networkTimeoutMs: 3_000,
		// A queued edit that meets a newer note (412): a dead letter, or (the "rebase" choice) the same
		// edit again on the note's current version, which then overwrites it knowingly.
		onConflict: ({ entry, response }) => readSim().resolver === 'rebase' ? { headers: { ...entry.headers, 'if-match': response.headers.get('etag') ?? '' } } : 'dead',
	}),
	health: health(), // latency and top errors in the breaker panel
});

/** Shown in the page, so a person knows what the panels are tuned to. */
export const settings = 'timeout 2 s · 2 retries · a stored copy answers after 3 s without an answer · breaker opens after 5 failures, for 5 s · outbox: queued after 3 s without an answer, 6 attempts, backoff 1–8 s, onConflict: dead letter or rebase';
