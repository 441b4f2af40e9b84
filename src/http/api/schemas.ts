// Request schemas of the JSON API, its error answer, and the envelopes its answers put views in (a list, a
// page, a view beside a secret shown once). They validate input and generate /api/openapi.json. Every view an
// answer holds is the schema its service declares (services/views.ts, services/*-view.ts), used here as it
// is: never declared again (test/api/response-views.test.ts); the value sets come from core/.
import { Type } from '@sinclair/typebox';
import { RETIRE_REASONS } from '../../core/token-status.js';
import { AuditEventViewSchema } from '../../services/audit-view.js';
import { DirectoryViewSchema } from '../../services/directory-view.js';
import { DeliveryViewSchema, WebhookViewSchema } from '../../services/notification-view.js';
import { AccessActionSchema, AccessRuleSchema, GroupViewSchema } from '../../services/restriction-view.js';
import { oneOf, OidcClientViewSchema, RoleSchema, TokenStatusSchema, TokenViewSchema, UserViewSchema } from '../../services/views.js';

export const Username = Type.String({ minLength: 1, maxLength: 64, description: 'Case-insensitive, unique across the installation' });
export const Passcode = Type.String({ minLength: 1, maxLength: 16, description: "The token's passcode: exactly its number of digits" });
export const Action = AccessActionSchema;
export const TokenStatus = TokenStatusSchema;
export const RetireReason = oneOf(RETIRE_REASONS, { description: 'Why the token is retired' });

export const ErrorResponse = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }) },
  { description: 'Every error: a stable snake_case code (docs/errors.md) and a message' },
);

export const UserParams = Type.Object({ username: Username });
export const SerialParams = Type.Object({ serial: Type.String({ minLength: 1, maxLength: 100 }) });

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

export const RestrictionBody = Type.Object({ rules: Type.Array(AccessRuleSchema, { maxItems: 200 }), default: Action }, { additionalProperties: false });

export const GroupParams = Type.Object({ group: Type.String({ minLength: 1, maxLength: 200, description: 'A group name as the directory gives it (compared ignoring case)' }) });

export const CheckBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 256 }),
    password: Type.Optional(Type.String({ maxLength: 1024, writeOnly: true })),
    otp: Type.Optional(Type.String({ maxLength: 64, writeOnly: true })),
    clientIp: Type.Optional(Type.String({ maxLength: 64, description: "The end user's address; only for keys created with --client-ip" })),
  },
  { additionalProperties: false },
);

// The envelopes: each holds views as their services declare them, and values of its own.
export const UserList = Type.Object({ users: Type.Array(UserViewSchema) });
export const TokenList = Type.Object({ tokens: Type.Array(TokenViewSchema) });
export const AuditPage = Type.Object({
  events: Type.Array(AuditEventViewSchema),
  nextBefore: Type.Union([Type.Integer(), Type.Null()], { description: 'Where the next page starts (pass it as `before`), or null on the last page' }),
});
export const GroupList = Type.Object({ groups: Type.Array(GroupViewSchema) });
export const DirectoryOrNone = Type.Object({ directory: Type.Union([DirectoryViewSchema, Type.Null()]) });
export const WebhookList = Type.Object({ webhooks: Type.Array(WebhookViewSchema) });
export const WebhookAdded = Type.Object({ webhook: WebhookViewSchema, signingSecret: Type.String({ description: 'Shown only in this answer' }) });
export const DeliveryList = Type.Object({ deliveries: Type.Array(DeliveryViewSchema) });
export const OidcClientList = Type.Object({ clients: Type.Array(OidcClientViewSchema) });
export const OidcClientAdded = Type.Object({
  client: OidcClientViewSchema,
  clientSecret: Type.Union([Type.String(), Type.Null()], { description: 'The client_secret (client_secret_basic), shown only in this answer; null for a public client' }),
});
