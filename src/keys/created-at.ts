/**
 * The time stamp every key entry carries (`created_at`) and the metadata's `lastmodified`, as sops
 * writes them: UTC RFC 3339 without fractions. Here, below core, so key sources need not reach up.
 */

/** Now (or `now`), as sops writes it. */
export const nowRfc3339 = (now = new Date()): string => now.toISOString().replace(/\.\d{3}Z$/, 'Z')
