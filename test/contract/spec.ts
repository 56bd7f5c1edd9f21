/**
 * The contract: behaviour that must hold in every runtime (Node, Chromium, Deno, workerd).
 * Each runtime's runner imports the library its own way and calls `contractCases` with it.
 * Each part of the library adds its cases in its own file.
 */
import { coreCases } from './core.js';
import { outboxCases } from './outbox.js';
import { breakerCases } from './breaker.js';
import { cacheCases } from './cache.js';
import { trafficCases } from './traffic.js';
import type { ContractCase, ContractEnv, Library } from './types.js';

export type { ContractCase, ContractEnv, Library } from './types.js';

export const contractCases = (lib: Library, env: ContractEnv): ContractCase[] => [
	...coreCases(lib, env),
	...outboxCases(lib, env),
	...breakerCases(lib, env),
	...cacheCases(lib, env),
	...trafficCases(lib, env),
];
