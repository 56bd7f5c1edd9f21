/** The default scope of a URL: its origin (`https://api.example.com`). */
export const originOf = (url: string | URL): string => (typeof url === 'string' ? new URL(url) : url).origin;
