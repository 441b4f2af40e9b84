// What adapters show of an account's directory: its settings (never the bind password), a connection test's
// answer (never its detail) and a sync's report (no internal ids, no DNs of people to create). Each shape is a
// TypeBox schema (the API answers with it, services/views.ts says why); its TypeScript type derives from it.
import { Type, type Static } from '@sinclair/typebox';
import type { SyncPlan } from '../core/directory-sync-plan.js';
import { DIRECTORY_FAILURES } from '../directory/ldap-directory.js';
import { oneOf } from './views.js';

const nullableString = (options?: Parameters<typeof Type.String>[0]) => Type.Union([Type.String(), Type.Null()], options);

export const DirectoryViewSchema = Type.Object(
  {
    preset: Type.Union([Type.Literal('openldap'), Type.Literal('ad')]),
    url: Type.String(),
    bindDn: Type.String(),
    bindPasswordSet: Type.Literal(true),
    baseDn: Type.String(),
    userFilter: Type.String(),
    usernameAttribute: Type.String(),
    displayNameAttribute: Type.String(),
    emailAttribute: Type.String(),
    groupAttribute: Type.String(),
    startTls: Type.Boolean(),
    caSubject: nullableString({ description: "The CA certificate's subject, or null for the system CAs" }),
    caPem: nullableString({ description: 'The CA certificate (PEM), or null for the system CAs' }),
    shared: Type.Boolean({ description: 'Shared by the operator with sign-ins that name no account (`otpgate directory share`)' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'The directory; never its bind password' },
);
/** What `directory show` and the API show: never the bind password. */
export type DirectoryView = Static<typeof DirectoryViewSchema>;

/**
 * A `directory test` as the API and the console show it: a failure's classified reason and its sentence,
 * never the detail (hosts, ports, certificate names), which goes to the server log (web/directory-test.ts).
 */
export const DirectoryTestViewSchema = Type.Union(
  [
    Type.Object({ ok: Type.Literal(true), usersFound: Type.Integer(), example: nullableString({ description: 'One username the filter finds' }) }),
    Type.Object({
      ok: Type.Literal(false),
      reason: oneOf(DIRECTORY_FAILURES, { description: 'Why the test failed; the detail is in the server log' }),
      error: Type.String({ description: 'The reason in words' }),
    }),
  ],
  { description: 'Whether the service account could bind and search' },
);
export type DirectoryTestView = Static<typeof DirectoryTestViewSchema>;

const Names = Type.Array(Type.String());

export const SyncReportViewSchema = Type.Object(
  {
    applied: Type.Boolean({ description: 'True when the plan was applied (all of it, in one transaction)' }),
    refused: nullableString({ description: 'Why nothing was applied (the safety limit), or null' }),
    plan: Type.Object({
      create: Type.Array(Type.Object({ username: Type.String(), displayName: nullableString(), email: nullableString(), groups: Names })),
      update: Type.Array(
        Type.Object({
          username: Type.String(),
          changes: Type.Object({ displayName: Type.Optional(Type.String()), email: Type.Optional(nullableString()), groups: Type.Optional(Names), dn: Type.Optional(Type.String()) }),
        }),
      ),
      disable: Type.Array(Type.Object({ username: Type.String(), reason: Type.Union([Type.Literal('gone_from_directory'), Type.Literal('disabled_in_directory')]) })),
      enable: Type.Array(Type.Object({ username: Type.String() })),
      skipped: Type.Array(Type.Object({ username: Type.String(), reason: Type.String() })),
      directoryUsers: Type.Integer({ description: "The account's directory users before the sync" }),
    }),
  },
  { description: 'What the sync planned, and whether it was applied' },
);
export type SyncReportView = Static<typeof SyncReportViewSchema>;

/** A sync's report as the API shows it: internal user ids and the DNs of people to create stay inside. */
export function toSyncReportView(report: { plan: SyncPlan; applied: boolean; refused: string | null }): SyncReportView {
  const { plan } = report;
  return {
    applied: report.applied,
    refused: report.refused,
    plan: {
      create: plan.create.map((p) => ({ username: p.username, displayName: p.displayName, email: p.email, groups: p.groups })),
      update: plan.update.map((u) => ({ username: u.username, changes: u.changes })),
      disable: plan.disable.map((d) => ({ username: d.username, reason: d.reason })),
      enable: plan.enable.map((e) => ({ username: e.username })),
      skipped: plan.skipped.map((s) => ({ username: s.username, reason: s.reason })),
      directoryUsers: plan.directoryUsers,
    },
  };
}
