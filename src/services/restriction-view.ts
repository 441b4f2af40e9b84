// What adapters show of IP access restrictions: the one in force for a user (and why), a directory group's,
// and the groups of an account. Each shape is a TypeBox schema (the API answers with it, services/views.ts says
// why); its TypeScript type derives from it. The value sets come from core/.
import { Type, type Static } from '@sinclair/typebox';
import { ACCESS_ACTIONS } from '../core/access-rule.js';
import { RESTRICTION_SOURCES } from '../core/restriction-precedence.js';
import { oneOf } from './views.js';

export const AccessActionSchema = oneOf(ACCESS_ACTIONS);
/** A rule: CIDR text (canonical once stored), its action, and the administrator's note. The API reads rules in this shape too. */
export const AccessRuleSchema = Type.Object(
  { cidr: Type.String({ maxLength: 64 }), action: AccessActionSchema, note: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
const Rules = Type.Array(AccessRuleSchema);

export const RestrictionViewSchema = Type.Object({
  rules: Rules,
  default: AccessActionSchema,
  source: oneOf(RESTRICTION_SOURCES, { description: "Why it applies: the user's own, their groups' (`groups`), the account-wide one, or none (everything allowed)" }),
  groups: Type.Array(Type.String(), { description: "With source `group`: the user's groups whose restrictions apply; with several, `rules` is their combination (for each address the strictest action wins)" }),
});
export type RestrictionView = Static<typeof RestrictionViewSchema>;

/** A directory group's restriction. */
export const GroupRestrictionViewSchema = Type.Object({
  group: Type.String(),
  rules: Rules,
  default: AccessActionSchema,
  members: Type.Integer({ description: "The account's users that carry the group now" }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type GroupRestrictionView = Static<typeof GroupRestrictionViewSchema>;

/** A group the account's users carry, or one with a restriction (perhaps nobody carries it yet). */
export const GroupViewSchema = Type.Object({
  group: Type.String(),
  members: Type.Integer(),
  restriction: Type.Union([Type.Object({ rules: Rules, default: AccessActionSchema }), Type.Null()]),
});
export type GroupView = Static<typeof GroupViewSchema>;
