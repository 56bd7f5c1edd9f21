/**
 * `outbox.ref()` in real workerd (API.md "Writes that depend on earlier writes"; issue 46): the
 * parent queued in one request context, the dependent holding its placeholder queued in another, both
 * stored in the Cache API store and replayed by a later request's flush, in order, once each, the
 * dependent with the server's id in its URL and JSON body. No cross-request warning in workerd's log.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOrigin, startWorkers, type Harness, type Origin } from './harness.js';

let harness: Harness;
let origin: Origin;

beforeAll(async () => {
	origin = await startOrigin();
	harness = await startWorkers({ 'outbox-refs': { file: join(import.meta.dirname, 'workers', 'outbox-refs.js') } });
}, 60_000);

afterAll(async () => {
	await harness?.dispose();
	await origin?.close();
});

interface Told {
	status?: number;
	entryId?: string;
	error?: string;
}

it('a dependent made in another request waits for its parent and is replayed with the server\'s id, in order, once each', async () => {
	const to = (path: string): string => `to=${encodeURIComponent(origin.url + path)}`;
	origin.state.down = true;
	const parent = await harness.json<Told>('outbox-refs', `/post?${to('/made/todos')}`);
	expect(parent).toMatchObject({ status: 202 });
	const child = await harness.json<Told>('outbox-refs', `/patch-ref?${to('/ok/todos')}&entry=${parent.entryId}`);
	expect(child).toMatchObject({ status: 202 });
	expect(await harness.json('outbox-refs', '/list')).toEqual([{ id: parent.entryId }, { id: child.entryId, dependsOn: [parent.entryId] }]);
	expect(await harness.json('outbox-refs', '/events')).toContainEqual({ type: 'outbox:waiting', entryId: child.entryId, dependsOn: [parent.entryId] });
	// Only the parent reached the origin while it was down: its first attempt, and on a slow machine a
	// replay the second request made once the first backoff had passed; never the dependent.
	const whileDown = origin.hits.length;
	expect(whileDown).toBeGreaterThanOrEqual(1);
	expect(new Set(origin.hits.map((hit) => `${hit.method} ${hit.path}`))).toEqual(new Set(['POST /made/todos']));
	origin.state.down = false;
	expect(await harness.json('outbox-refs', '/flush')).toMatchObject({ dead: 0, remaining: 0 });
	const made = origin.hits.filter((hit) => hit.method === 'POST');
	const serverId = `m${origin.hits.indexOf(made.at(-1)!) + 1}`;
	// Once up: the parent once, then the dependent once, with the server's id.
	expect(origin.hits.slice(whileDown).map((hit) => `${hit.method} ${hit.path}`)).toEqual(['POST /made/todos', `PATCH /ok/todos/${serverId}`]);
	const patch = origin.hits.at(-1)!;
	expect(JSON.parse(patch.body)).toEqual({ done: true, parent: serverId });
	expect(patch.headers['idempotency-key']).toBeTruthy();
	// Every attempt of the parent is the same write.
	expect(new Set(made.map((hit) => hit.headers['idempotency-key'])).size).toBe(1);
	expect(made[0]!.headers['idempotency-key']).toBeTruthy();
	expect(await harness.json('outbox-refs', '/dead-letters')).toEqual([]);
	expect(await harness.json('outbox-refs', '/list')).toEqual([]);
	expect(harness.crossRequestWarnings()).toEqual([]);
}, 60_000);
