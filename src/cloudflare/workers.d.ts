/** The part of workerd's built-in module that ambient-edge.ts reads (no dependency on the Workers types). */
declare module 'cloudflare:workers' {
	export const waitUntil: ((promise: Promise<unknown>) => void) | undefined;
}
