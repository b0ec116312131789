/**
 * The version of the API's shapes, stamped on every event (`apiVersion`): a date, changed only by a breaking change
 * to what the API or an event carries. An event keeps the version it was made under: its payload never changes.
 */
export const API_VERSION = '2026-11-30';
