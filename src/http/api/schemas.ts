// Request and response schemas of the JSON API. They validate input and generate /api/openapi.json. The
// shapes services return (TokenView, UserView) and the value sets (core/) are defined once elsewhere and
// only used here.
import { Type } from '@sinclair/typebox';
import { ACCESS_ACTIONS } from '../../core/access-rule.js';
import { RESTRICTION_SOURCES } from '../../core/restriction-precedence.js';
import { SIGN_IN_RESULTS } from '../../core/sign-in-decision.js';
import { RETIRE_REASONS } from '../../core/token-status.js';
import { oneOf, RoleSchema, TokenStatusSchema, TokenViewSchema, UserViewSchema } from '../../services/views.js';

const nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(schema: T) => Type.Union([schema, Type.Null()]);

export const Username = Type.String({ minLength: 1, maxLength: 64, description: 'Case-insensitive, unique across the installation' });
export const Passcode = Type.String({ minLength: 1, maxLength: 16, description: "The token's passcode: exactly its number of digits" });
export const Action = oneOf(ACCESS_ACTIONS);
export const TokenStatus = TokenStatusSchema;
export const RetireReason = oneOf(RETIRE_REASONS, { description: 'Why the token is retired' });

export const ErrorResponse = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }) },
  { description: 'Every error: a stable snake_case code (docs/errors.md) and a message' },
);

export const UserParams = Type.Object({ username: Username });
export const SerialParams = Type.Object({ serial: Type.String({ minLength: 1, maxLength: 100 }) });

export const TokenView = TokenViewSchema;
export const UserView = UserViewSchema;

export const NewUserBody = Type.Object(
  {
    username: Username,
    password: Type.String({ minLength: 1, maxLength: 1024, writeOnly: true }),
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    role: Type.Optional(RoleSchema),
    email: Type.Optional(Type.Union([Type.String({ maxLength: 320 }), Type.Null()], { description: 'Where notifications for the user are mailed' })),
  },
  { additionalProperties: false },
);

export const UserPatchBody = Type.Object(
  {
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    role: Type.Optional(RoleSchema),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, writeOnly: true })),
    email: Type.Optional(Type.Union([Type.String({ maxLength: 320 }), Type.Null()], { description: 'null removes it; a directory user\'s is the directory\'s' })),
    disabled: Type.Optional(Type.Boolean({ description: 'true disables the user (every sign-in refused, sessions ended); false enables them' })),
  },
  { additionalProperties: false, description: 'Only these fields can change; anything else is refused' },
);

export const AssociateBody = Type.Object(
  {
    serial: Type.String({ minLength: 1, maxLength: 100 }),
    otp: Passcode,
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The holder\'s name for the token ("desk", "spare"), unique per user' })),
  },
  { additionalProperties: false },
);
export const UserSerialParams = Type.Object({ username: Username, serial: Type.String({ minLength: 1, maxLength: 100 }) });
export const ResyncBody = Type.Object({ otp1: Passcode, otp2: Passcode }, { additionalProperties: false });

export const Rule = Type.Object(
  { cidr: Type.String({ maxLength: 64 }), action: Action, note: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
export const RestrictionBody = Type.Object({ rules: Type.Array(Rule, { maxItems: 200 }), default: Action }, { additionalProperties: false });
export const RestrictionView = Type.Object({
  rules: Type.Array(Rule),
  default: Action,
  source: oneOf(RESTRICTION_SOURCES, { description: "Why it applies: the user's own, their groups' (`groups`), the account-wide one, or none (everything allowed)" }),
  groups: Type.Array(Type.String(), { description: "With source `group`: the user's groups whose restrictions apply; with several, `rules` is their combination (for each address the strictest action wins)" }),
});

export const GroupParams = Type.Object({ group: Type.String({ minLength: 1, maxLength: 200, description: 'A group name as the directory gives it (compared ignoring case)' }) });
export const GroupRestrictionView = Type.Object({
  group: Type.String(),
  rules: Type.Array(Rule),
  default: Action,
  members: Type.Integer({ description: "The account's users that carry the group now" }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export const GroupView = Type.Object({
  group: Type.String(),
  members: Type.Integer(),
  restriction: Type.Union([Type.Object({ rules: Type.Array(Rule), default: Action }), Type.Null()]),
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
  result: oneOf(SIGN_IN_RESULTS),
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
