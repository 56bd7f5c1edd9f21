/** See swaps.mjs: the file that stands in for a relative import of `src` in `variant`'s build, else `undefined`. */
export declare const standIn: (src: string, variant: 'browser' | 'edge', resolveDir: string, path: string) => string | undefined;
