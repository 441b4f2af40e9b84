// Small value sets that several layers share: each is listed once here, and the schema's column types, the
// API's TypeBox schemas and the console's labels derive from it. (Hash algorithms: core/hotp.ts; token
// statuses: core/token-status.ts; sign-in results: core/sign-in-decision.ts.)

/** `helpdesk`: lists and views users and tokens, and runs the token operations of a help desk (docs/token-life.md, "Roles"). */
export const ROLES = ['admin', 'helpdesk', 'user'] as const;
export type Role = (typeof ROLES)[number];

export const TOKEN_TYPES = ['hotp', 'totp'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

/** What an audit event's outcome can be: a sign-in's result, or an operation's success or failure. */
export const OPERATION_OUTCOMES = ['success', 'failure'] as const;
