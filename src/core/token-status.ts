// A token's life in the inventory. The one list of statuses: the schema's column type, the API's schema,
// the console's labels and filters all derive from it, so a new status is one edit the compiler follows.

/**
 * `disabled`: still the user's token (OTP stays required) but no passcode from it is accepted. `retired`: out of
 * service for good (lost, broken, returned); never associated again, kept listed for the record.
 */
export const TOKEN_STATUSES = ['available', 'associated', 'locked', 'disabled', 'retired'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

export function isTokenStatus(value: string): value is TokenStatus {
  return (TOKEN_STATUSES as readonly string[]).includes(value);
}

/** Why a token was retired (`token retire --reason`). */
export const RETIRE_REASONS = ['lost', 'broken', 'returned', 'other'] as const;
export type RetireReason = (typeof RETIRE_REASONS)[number];

export function isRetireReason(value: string): value is RetireReason {
  return (RETIRE_REASONS as readonly string[]).includes(value);
}

/** Whether `now` lies outside a token's validity dates (epoch ms; null is open-ended). Outside, it is treated as disabled. */
export function isOutsideValidity(validFrom: number | null, validUntil: number | null, now: number): boolean {
  return (validFrom !== null && now < validFrom) || (validUntil !== null && now >= validUntil);
}
