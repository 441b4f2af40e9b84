// A token's life in the inventory. The one list of statuses: the schema's column type, the API's schema,
// the console's labels and filters all derive from it, so a new status is one edit the compiler follows.

export const TOKEN_STATUSES = ['available', 'associated', 'locked', 'retired'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

export function isTokenStatus(value: string): value is TokenStatus {
  return (TOKEN_STATUSES as readonly string[]).includes(value);
}

/** Statuses in which a token belongs to a user (its user_id is set). */
export const ASSIGNED_STATUSES = ['associated', 'locked'] as const satisfies readonly TokenStatus[];
