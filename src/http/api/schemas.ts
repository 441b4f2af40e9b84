// Request and response schemas of the JSON API. They validate input and generate /api/openapi.json.
import { Type, type Static } from '@sinclair/typebox';

const nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(schema: T) => Type.Union([schema, Type.Null()]);

export const Username = Type.String({ minLength: 1, maxLength: 64, description: 'Case-insensitive, unique across the installation' });
export const Passcode = Type.String({ minLength: 1, maxLength: 16, description: "The token's passcode: exactly its number of digits" });
export const Action = Type.Union([Type.Literal('allow'), Type.Literal('require_otp'), Type.Literal('deny')]);
export const TokenStatus = Type.Union([Type.Literal('available'), Type.Literal('associated'), Type.Literal('locked'), Type.Literal('retired')]);

export const ErrorResponse = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }) },
  { description: 'Every error: a stable snake_case code (docs/errors.md) and a message' },
);

export const UserParams = Type.Object({ username: Username });
export const SerialParams = Type.Object({ serial: Type.String({ minLength: 1, maxLength: 100 }) });

export const TokenView = Type.Object(
  {
    serial: Type.String(),
    type: Type.Union([Type.Literal('hotp'), Type.Literal('totp')]),
    algorithm: Type.String(),
    digits: Type.Integer(),
    status: TokenStatus,
    username: nullable(Type.String()),
    failCount: Type.Integer(),
    counter: Type.Integer(),
    periodInSeconds: nullable(Type.Integer()),
    lockedAt: nullable(Type.String({ format: 'date-time' })),
    lastUsedAt: nullable(Type.String({ format: 'date-time' })),
    associatedAt: nullable(Type.String({ format: 'date-time' })),
    manufacturer: nullable(Type.String()),
    model: nullable(Type.String()),
    issuer: nullable(Type.String()),
    friendlyName: nullable(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A token; never its secret' },
);

export const UserView = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('user')]),
  createdAt: Type.String({ format: 'date-time' }),
  token: Type.Union([Type.Object({ serial: Type.String(), status: TokenStatus }), Type.Null()]),
  source: Type.Union([Type.Literal('local'), Type.Literal('directory')], { description: "`directory`: the account's directory checks the password" }),
  email: Type.Union([Type.String(), Type.Null()]),
  disabled: Type.Boolean({ description: 'A disabled user cannot sign in' }),
  disabledAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  groups: Type.Optional(Type.Array(Type.String(), { description: 'The groups the directory gives the user (on a single user)' })),
});

export const NewUserBody = Type.Object(
  {
    username: Username,
    password: Type.String({ minLength: 1, maxLength: 1024, writeOnly: true }),
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('user')])),
  },
  { additionalProperties: false },
);

export const UserPatchBody = Type.Object(
  {
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('user')])),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, writeOnly: true })),
    disabled: Type.Optional(Type.Boolean({ description: 'true disables the user (every sign-in refused, sessions ended); false enables them' })),
  },
  { additionalProperties: false, description: 'Only these fields can change; anything else is refused' },
);

export const AssociateBody = Type.Object({ serial: Type.String({ minLength: 1, maxLength: 100 }), otp: Passcode }, { additionalProperties: false });
export const ResyncBody = Type.Object({ otp1: Passcode, otp2: Passcode }, { additionalProperties: false });

export const Rule = Type.Object(
  { cidr: Type.String({ maxLength: 64 }), action: Action, note: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
export const RestrictionBody = Type.Object({ rules: Type.Array(Rule, { maxItems: 200 }), default: Action }, { additionalProperties: false });
export const RestrictionView = Type.Object({
  rules: Type.Array(Rule),
  default: Action,
  source: Type.Union([Type.Literal('user'), Type.Literal('account'), Type.Literal('none')]),
});

export const CheckBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 256 }),
    password: Type.Optional(Type.String({ maxLength: 1024, writeOnly: true })),
    otp: Type.Optional(Type.String({ maxLength: 64, writeOnly: true })),
    clientIp: Type.Optional(Type.String({ maxLength: 64, description: "The end user's address; only for keys created with --client-ip" })),
  },
  { additionalProperties: false },
);
export const CheckResult = Type.Object({
  result: Type.Union([Type.Literal('accept'), Type.Literal('reject'), Type.Literal('otp_required'), Type.Literal('enroll_required'), Type.Literal('locked')]),
});

export const AuditEvent = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String(),
  action: Type.String(),
  user: nullable(Type.String()),
  serial: nullable(Type.String()),
  clientIp: nullable(Type.String()),
  outcome: Type.String(),
  reason: nullable(Type.String()),
});

export const ImportReport = Type.Object({
  format: Type.Union([Type.Literal('csv'), Type.Literal('pskc')]),
  dryRun: Type.Boolean(),
  read: Type.Integer(),
  imported: Type.Integer({ description: 'Keys written; in a dry run, the keys that would be written' }),
  skipped: Type.Array(Type.Object({ serial: nullable(Type.String()), source: Type.String(), reason: Type.String() })),
  rejected: Type.Integer(),
});

export type CheckBodyType = Static<typeof CheckBody>;
