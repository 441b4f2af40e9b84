// What adapters show of a user's temporary code: once, when issued, the code itself; afterwards never. Each
// shape is a TypeBox schema (the API answers with it, services/views.ts says why); its TypeScript type derives
// from it.
import { Type, type Static } from '@sinclair/typebox';
import { TEMP_CODE_DIGITS } from '../core/temp-code.js';

export const TempCodeViewSchema = Type.Object(
  {
    usesLeft: Type.Integer(),
    expiresAt: Type.String({ format: 'date-time' }),
    createdAt: Type.String({ format: 'date-time' }),
    live: Type.Boolean({ description: 'Whether it still signs in (uses left and not expired)' }),
  },
  { description: "A user's temporary code; never the code itself" },
);
export type TempCodeView = Static<typeof TempCodeViewSchema>;

export const IssuedTempCodeSchema = Type.Object(
  {
    code: Type.String({ pattern: `^[0-9]{${TEMP_CODE_DIGITS}}$`, description: 'Shown this once, never stored (otpgate keeps only its keyed hash)' }),
    usesLeft: Type.Integer(),
    expiresAt: Type.String({ format: 'date-time' }),
    replacedLive: Type.Boolean({ description: 'Whether it replaced a code that still signed in; that one no longer does' }),
    tokensLocked: Type.Boolean({ description: "Whether the user's tokens are locked: the code signs in all the same, and they stay locked" }),
  },
  { description: 'A temporary code just issued' },
);
export type IssuedTempCode = Static<typeof IssuedTempCodeSchema>;
