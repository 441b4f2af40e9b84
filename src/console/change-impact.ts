// Before a restriction or setting is saved: whom it would make it harder to sign in (docs/sign-in.md,
// docs/console.md). When it affects anyone, the console shows who and asks again; the form's fields are sent
// once more with confirm=yes.
import type { FastifyReply } from 'fastify';
import type { ChangeImpact } from '../services/way-in-service.js';
import type { FormBody } from './forms.js';
import { renderPage } from './render.js';

export function affectsAnyone(impact: ChangeImpact): boolean {
  return impact.refusal !== null || impact.askedToAssociate.length > 0 || impact.lockedOut.length > 0;
}

/**
 * The confirmation page: who is affected and how, and the same form again with confirm=yes; or, when the
 * change would leave no administrator able to sign in, why it cannot be saved (409, no button to save).
 */
export function confirmImpact(reply: FastifyReply, impact: ChangeImpact, form: FormBody, action: string, back: string): FastifyReply {
  const hidden = Object.entries(form)
    .filter(([name]) => name !== 'confirm' && name !== '_csrf')
    .flatMap(([name, value]) => (value === undefined ? [] : [value].flat().map((v) => ({ name, value: v }))));
  return renderPage(reply, './change-impact', {
    title: 'Check before saving',
    action,
    back,
    hidden,
    askedToAssociate: impact.askedToAssociate,
    lockedOut: impact.lockedOut,
    adminsLockedOut: impact.adminsLockedOut,
    refusal: impact.refusal,
  }, impact.refusal === null ? 200 : 409);
}
