// What adapters show of users and tokens: camelCase, never a secret or a password hash. Each shape is
// defined once, as a TypeBox schema: its TypeScript type derives from it (Static<>), the API answers with that
// very schema (so a field added here reaches clients; test/api/response-views.test.ts), and the value sets come
// from core/. The views of one service live beside it in `<concern>-view.ts`.
import { Type, type SchemaOptions, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { RETIRE_REASONS, TOKEN_STATUSES } from '../core/token-status.js';
import { ROLES, TOKEN_TYPES } from '../core/values.js';
import type { TokenRow, UserRow } from '../store/schema.js';

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K] & string> };

/** A schema accepting exactly the strings of a value set (its type is the set's union type). */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, options?: SchemaOptions): TUnion<Literals<T>> {
  const schemas: TSchema[] = values.map((value) => Type.Literal(value));
  return Type.Union(schemas, options) as TUnion<Literals<T>>;
}

const nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(schema: T) => Type.Union([schema, Type.Null()]);

export const TokenStatusSchema = oneOf(TOKEN_STATUSES);
export const RoleSchema = oneOf(ROLES);

export const TokenViewSchema = Type.Object(
  {
    serial: Type.String(),
    type: oneOf(TOKEN_TYPES),
    algorithm: Type.String(),
    digits: Type.Integer(),
    status: TokenStatusSchema,
    username: nullable(Type.String()),
    failCount: Type.Integer(),
    /** HOTP: the next counter expected. Not secret: without the secret it predicts nothing. */
    counter: Type.Integer(),
    periodInSeconds: nullable(Type.Integer()),
    driftSteps: nullable(Type.Integer({ description: "TOTP: how many time steps the token's clock runs ahead of the server's (negative: behind), as its last re-sync found; null for HOTP" })),
    lockedAt: nullable(Type.String({ format: 'date-time' })),
    lastUsedAt: nullable(Type.String({ format: 'date-time' })),
    associatedAt: nullable(Type.String({ format: 'date-time' })),
    manufacturer: nullable(Type.String()),
    model: nullable(Type.String()),
    issuer: nullable(Type.String()),
    friendlyName: nullable(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    validFrom: nullable(Type.String({ format: 'date-time', description: 'Before it the token is treated as disabled (reason token_expired)' })),
    validUntil: nullable(Type.String({ format: 'date-time', description: 'From it on the token is treated as disabled (reason token_expired)' })),
    retiredAt: nullable(Type.String({ format: 'date-time' })),
    retiredReason: Type.Union([oneOf(RETIRE_REASONS), Type.Null()]),
    label: Type.Union([Type.String(), Type.Null()], { description: "The holder's name for the token, unique per user" }),
    lostReportedAt: nullable(Type.String({ format: 'date-time', description: 'When its user reported it lost (the token is then disabled); null otherwise' })),
  },
  { description: 'A token; never its secret' },
);
export type TokenView = Static<typeof TokenViewSchema>;

export const UserViewSchema = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  role: RoleSchema,
  createdAt: Type.String({ format: 'date-time' }),
  token: Type.Union([Type.Object({ serial: Type.String(), status: TokenStatusSchema }), Type.Null()], { description: "The user's first token (oldest association), or null; `tokens` lists every one" }),
  tokens: Type.Array(
    Type.Object({
      serial: Type.String(),
      status: TokenStatusSchema,
      label: Type.Union([Type.String(), Type.Null()]),
      lostReportedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the user reported it lost (the token is then disabled); null otherwise' }),
    }),
    { description: 'Every token the user holds' },
  ),
  source: Type.Union([Type.Literal('local'), Type.Literal('directory')], { description: "`directory`: the account's directory checks the password" }),
  email: Type.Union([Type.String(), Type.Null()]),
  disabled: Type.Boolean({ description: 'A disabled user cannot sign in' }),
  disabledAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  groups: Type.Optional(Type.Array(Type.String(), { description: 'The groups the directory gives the user (on a single user)' })),
});
export type UserView = Static<typeof UserViewSchema>;

export const OidcClientViewSchema = Type.Object(
  {
    name: Type.String(),
    clientId: Type.String({ description: 'What the application is configured with as its client_id' }),
    public: Type.Boolean({ description: 'true: no secret, PKCE S256 required (token_endpoint_auth_method none); false: client_secret_basic' }),
    redirectUris: Type.Array(Type.String(), { description: 'Matched exactly' }),
    postLogoutRedirectUris: Type.Array(Type.String()),
    allowedGroups: Type.Array(Type.String(), { description: "Empty: every user of the account may sign in; else only users in one of these groups" }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { description: 'An OpenID Connect client of the account; never its secret' },
);
export type OidcClientView = Static<typeof OidcClientViewSchema>;

/** Epoch milliseconds as the API shows every time: ISO 8601 in UTC. */
export function isoTime(ms: number | bigint): string;
export function isoTime(ms: number | bigint | null): string | null;
export function isoTime(ms: number | bigint | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}

export function toTokenView(row: TokenRow, username: string | null): TokenView {
  return {
    serial: row.serial,
    type: row.type,
    algorithm: row.algorithm,
    digits: row.digits,
    status: row.status,
    username,
    failCount: row.fail_count,
    counter: Number(row.counter),
    periodInSeconds: row.period_in_seconds,
    driftSteps: row.type === 'totp' ? Number(row.drift_steps) : null,
    lockedAt: isoTime(row.locked_at),
    lastUsedAt: isoTime(row.last_used_at),
    associatedAt: isoTime(row.associated_at),
    manufacturer: row.manufacturer,
    model: row.model,
    issuer: row.issuer,
    friendlyName: row.friendly_name,
    createdAt: isoTime(row.created_at),
    validFrom: isoTime(row.valid_from),
    validUntil: isoTime(row.valid_until),
    retiredAt: isoTime(row.retired_at),
    retiredReason: row.retired_reason,
    label: row.label ?? null,
    lostReportedAt: isoTime(row.lost_reported_at ?? null),
  };
}

/** A user's view with every token they hold (oldest association first). */
export function toUserView(row: Omit<UserRow, 'id' | 'source' | 'otp_fail_count'> & { source?: UserRow['source'] }, tokens: readonly (Pick<TokenRow, 'serial' | 'status' | 'label'> & { lost_reported_at?: TokenRow['lost_reported_at'] })[]): UserView {
  const token = tokens[0];
  return {
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    createdAt: isoTime(row.created_at),
    token: token ? { serial: token.serial, status: token.status } : null,
    tokens: tokens.map((t) => ({ serial: t.serial, status: t.status, label: t.label ?? null, lostReportedAt: isoTime(t.lost_reported_at ?? null) })),
    source: row.source ?? 'local',
    email: row.email ?? null,
    disabled: row.disabled_at != null,
    disabledAt: isoTime(row.disabled_at ?? null),
    disabledReason: row.disabled_reason ?? null,
  };
}
