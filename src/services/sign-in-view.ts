// What an application is told of a sign-in check (POST /api/v1/auth/check): the result alone, never the
// reason (a wrong password, an unknown user and a denied address look the same). A TypeBox schema (the API
// answers with it, services/views.ts says why); its TypeScript type derives from it.
import { Type, type Static } from '@sinclair/typebox';
import { SIGN_IN_RESULTS } from '../core/sign-in-decision.js';
import { oneOf } from './views.js';

export const CheckResultSchema = Type.Object({ result: oneOf(SIGN_IN_RESULTS) });
export type CheckResult = Static<typeof CheckResultSchema>;

/** The check's answer to the application: only the result of a sign-in's outcome. */
export function toCheckResult(outcome: CheckResult): CheckResult {
  return { result: outcome.result };
}
