// KeyValueStore conformance in real Deno, against the built ESM: the Cache API store is real here.
import * as lib from '../../dist/edge/index.js';
import { missingFeatureCase, storeCases } from '../contract/stores.ts';

declare const Deno: { test(definition: { name: string; fn: () => Promise<void> }): void };

for (const { name, run } of [
	...storeCases('cacheApiStore', lib.cacheApiStore),
	...storeCases('autoStore (Cache API in Deno)', lib.autoStore),
	...storeCases('memoryStore', lib.memoryStore),
	missingFeatureCase('indexedDbStore', lib.indexedDbStore),
]) {
	Deno.test({ name: `stores (Deno): ${name}`, fn: run });
}
