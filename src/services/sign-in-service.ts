// The sign-in check shared by the API, the console, the CLI and RADIUS: it gathers the facts, lets the
// core decide, verifies the passcode when the core asks, and records throttling, lockout and audit.
import { evaluateRestriction } from '../core/access-rule.js';
import { isWellFormedPasscode } from '../core/passcode.js';
import { decideSignIn, type PasscodeOutcome, type SignInFacts, type SignInReason, type SignInResult, type SignInStep } from '../core/sign-in-decision.js';
import { retryAfterSeconds } from '../core/throttle.js';
import { requireOtpWhereAllowed } from '../core/restriction-impact.js';
import { makeDecoyHash, verifyPassword } from '../crypto/password-hash.js';
import { readSignInThrottles, statesOf } from '../store/throttle-store.js';
import { findSignInSubject, type SignInAccount, type SignInToken } from '../store/sign-in-store.js';
import { findTempCode } from '../store/temp-code-store.js';
import { isTempCodeLive, isTempCodeShaped, tempCodeMatches } from '../core/temp-code.js';
import { splitAppendedPasscode } from '../core/appended-passcode.js';
import type { AuditedWrite, CounterCheck, WritePlan } from '../store/audited-writes.js';
import type { UserRow } from '../store/schema.js';
import { settingsOf, type AccountSettings } from './account-settings.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import type { Metrics, SignInChannel } from './metrics.js';
import type { DirectoryService } from './directory-service.js';
import { ServiceError } from './errors.js';
import { matchPasscode, replayDistance, type PasscodeWindows } from './passcode-match.js';
import { restrictionOfUser } from './restriction-service.js';
import { endSessionsOf, isTokenUsable, tokensFact } from './token-facts.js';
import { throttleKeys } from './throttle-keys.js';
import { usernameKey } from '../core/username.js';
import { openTokenSecretForCheck } from './sealed-secrets.js';

export interface SignInRequest {
  /** The caller's account (an API key's or a RADIUS client's); null lets any account's user sign in. */
  accountId: number | null;
  username: string;
  /** Null when the caller has verified the password itself (an `otp-only` key, the console's second step). */
  password: string | null;
  passcode: string | null;
  /**
   * RADIUS PAP: `password` carries the password with the passcode appended; its last N characters, N the
   * user's token digits, are the passcode.
   */
  passcodeAppended?: boolean;
  actor: Actor;
  /**
   * Whether actor.clientIp is the end user's own address (a browser, a trusted proxy's X-Forwarded-For, an
   * application's `clientIp`, a trusted Calling-Station-Id) rather than the calling application's or
   * network device's. Only an end user's address gets a back-off of its own: one application checks for all
   * its users from one address, and throttling that address would let a few typos shut everyone out.
   * Default true.
   */
  clientIpIsEndUser?: boolean;
  /** Ask for the passcode wherever the IP rules would allow a password alone (an OIDC client's acr_values, max_age, prompt=login). */
  requireOtp?: boolean;
  /** Which front end asked (metrics); default `api`. */
  channel?: SignInChannel;
}

export interface SignInOutcome {
  result: SignInResult;
  reason: SignInReason;
  /** Seconds to wait before the next attempt, when throttled; else 0. */
  retryAfterSeconds: number;
  /** The signed-in (or half-signed-in) user, for adapters that open a session. Absent on reject. */
  user?: { id: number; username: string; accountId: number };
}

/** Reasons that count as a failed attempt for the back-off. A deny or a missing passcode is not a guess. */
const FAILED_ATTEMPTS = new Set<SignInReason>(['unknown_user', 'wrong_password', 'passcode_malformed', 'passcode_wrong', 'passcode_replayed', 'temp_code_wrong']);

export class SignInService {
  #decoyHash: Promise<string> | null = null;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly audit: AuditService,
    private readonly directories: DirectoryService,
    private readonly metrics: Metrics,
  ) {}

  private decoyHash(): Promise<string> {
    this.#decoyHash ??= makeDecoyHash(this.ctx.passwordCost);
    return this.#decoyHash;
  }

  /**
   * A signed-in user proving who they are again before adding a way in (an authenticator app): a sign-in that
   * asks for the passcode wherever the IP rules are, passed by a token's passcode or a temporary code, or, for
   * a user with no token where the sign-in would let them associate one (`enroll_required`), by the password.
   */
  async stepUp(request: Omit<SignInRequest, 'requireOtp'>): Promise<{ confirmed: boolean; retryAfterSeconds: number }> {
    const outcome = await this.check({ ...request, requireOtp: true });
    const confirmed = outcome.reason === 'passcode_accepted' || outcome.reason === 'temp_code_accepted' || outcome.result === 'enroll_required';
    return { confirmed, retryAfterSeconds: outcome.retryAfterSeconds };
  }

  /** Decides one sign-in (and counts it in the metrics by channel and result, `error` when it threw). */
  async check(request: SignInRequest): Promise<SignInOutcome> {
    const started = performance.now();
    let result = 'error';
    try {
      const outcome = await this.decide(request);
      result = outcome.reason === 'throttled' ? 'throttled' : outcome.result;
      return outcome;
    } finally {
      this.metrics.signInChecked(request.channel ?? 'api', result, (performance.now() - started) / 1000);
    }
  }

  /**
   * Decides one sign-in, step by step: read the subject (the user, tokens, temporary code, back-off), split a
   * PAP field, check the password (or let the directory match it), find the restriction's action at the
   * caller's address, let the core decide, verify the passcode or temporary code it asks for, and write the
   * outcome with its audit event.
   */
  private async decide(request: SignInRequest): Promise<SignInOutcome> {
    const now = this.ctx.now();
    const endUserIp = request.clientIpIsEndUser === false ? null : request.actor.clientIp;
    const first = await this.readSubject(request.username, request.accountId, endUserIp, now);
    const { password, passcode } = this.splitCredentials(request, first, now);
    const checked = await this.checkPassword(request, first, password, endUserIp, now);
    const subject = checked.subject;
    const { settings, access } = await this.restrictionStep(request, subject);
    const facts = factsOf(subject, checked, access, settings, passcode, now);
    const code = this.verifyCode(facts, subject, settings, passcode, now);
    const final = await this.writeOutcome(request, subject, facts, code, now);
    return outcomeOf(subject, final);
  }

  /**
   * The subject of a sign-in by name: the user (of the caller's account, when it names one), their account
   * and token, whether they have a temporary code, and the back-off of the name and the address. The name is
   * read in the installation's one form (core/username.ts), so every spelling of it is one user with one
   * back-off.
   */
  private async readSubject(username: string, accountId: number | null, endUserIp: string | null, now: number): Promise<Subject> {
    // The user, their account and their token in one query; a user of another account is no user here.
    // When the caller's account is known, so are the back-off keys, and the same query reads their rows.
    const knownKeys = accountId !== null ? throttleKeys(accountId, username, endUserIp) : null;
    let subject = await findSignInSubject(this.ctx.db, username, knownKeys ? { user: knownKeys[0]!.key, address: knownKeys[1]?.key ?? null } : undefined);
    const throttleRows = subject?.throttles?.rows;
    if (subject && accountId !== null && subject.user.account_id !== accountId) subject = undefined;
    const throttles = knownKeys ?? throttleKeys(subject?.user.account_id ?? null, username, endUserIp, null);
    const keys = throttles.map((t) => t.key);
    // An unknown name (no row came back) reads its back-off on its own.
    const states = throttleRows ? statesOf(keys, throttleRows, now) : await readSignInThrottles(this.ctx.db, keys, now);
    const wait = Math.max(0, ...[...states.values()].map((s) => retryAfterSeconds(s, now)));
    // A throttled attempt does not look at the tokens at all (as if they had not been read); a temporary code
    // is read only when the user has one with uses left (the subject query says so).
    const tempCode = wait === 0 && subject?.hasTempCode ? await findTempCode(this.ctx.db, subject.user.id) : undefined;
    const tokens = wait === 0 ? (subject?.tokens ?? []) : ([] as SignInToken[]);
    return {
      hasTempCode: subject?.hasTempCode ?? false,
      user: subject?.user,
      account: subject?.account,
      accountHasGroupRestrictions: subject?.accountHasGroupRestrictions ?? false,
      throttles,
      states,
      wait,
      tokens,
      usable: tokens.filter((t) => isTokenUsable(t, now)),
      tempCode,
      tempCodeLive: tempCode !== undefined && isTempCodeLive(tempCode, now),
    };
  }

  /** RADIUS PAP: the one field split into the password and the passcode appended to it (core/appended-passcode.ts). */
  private splitCredentials(request: SignInRequest, subject: Subject, now: number): { password: string | null; passcode: string | null } {
    if (!request.passcodeAppended || request.password === null) return { password: request.password, passcode: request.passcode };
    const windows = subject.account ? windowsOf(settingsOf(subject.account)) : null;
    return splitAppendedPasscode({
      field: request.password,
      tokenDigits: subject.tokens.map((t) => t.digits),
      tempCodeLive: subject.tempCodeLive,
      matches: (code, digits) => windows !== null && subject.usable.some((t) => t.digits === digits && this.matchesNow(t, code, now, windows)),
    });
  }

  /**
   * The password: a directory user's (or an unknown name's, where the account has a directory) is the
   * directory's to check; a disabled user is refused without asking it. It may throw service_unavailable.
   * A name the directory matches that the first read did not find is read again as the subject.
   */
  private async checkPassword(request: SignInRequest, subject: Subject, password: string | null, endUserIp: string | null, now: number): Promise<PasswordCheck> {
    if (subject.wait > 0 || password === null) return { subject, password: 'not_checked', disabledInDirectory: false };
    const byDirectory = !subject.user?.disabled_at ? await this.directoryCheck(request, subject.user, password) : null;
    if (byDirectory) {
      const passwordFact = byDirectory.check.kind === 'ok' && byDirectory.user ? 'ok' : 'wrong';
      const disabledInDirectory = byDirectory.check.person?.disabled ?? false;
      if (byDirectory.user && !subject.user) {
        // A name the first read did not find, matched by the directory (created just in time, or by a
        // concurrent first sign-in): the whole subject of the directory's name is read again — the user may
        // have a token, a temporary code and a back-off, and a password alone must not pass them by.
        const again = await this.readSubject(byDirectory.user.username, byDirectory.user.account_id, endUserIp, now);
        return { subject: again, password: again.wait > 0 ? 'not_checked' : passwordFact, disabledInDirectory };
      }
      return { subject, password: passwordFact, disabledInDirectory };
    }
    // An unknown user costs the same hash as a known one, so timing does not tell them apart.
    const ok = await verifyPassword(password, subject.user?.password_hash || (await this.decoyHash()));
    return { subject, password: ok && subject.user && subject.user.source !== 'directory' ? 'ok' : 'wrong', disabledInDirectory: false };
  }

  /** The account's settings and the action of the restriction that applies to the user at the caller's address. */
  private async restrictionStep(request: SignInRequest, { user, account, accountHasGroupRestrictions }: Subject): Promise<{ settings: AccountSettings | null; access: SignInFacts['access'] }> {
    // Own restriction, else the groups' (read only when the account has any), else the account's (core precedence).
    const settings = account ? settingsOf(account) : null;
    let restriction = user && account ? (await restrictionOfUser(this.ctx.db, account, user, accountHasGroupRestrictions)).restriction : null;
    // adminsRequireOtp: an administrator signing in to the console needs a passcode wherever a password alone would do.
    if (restriction && ((request.channel === 'console' && user?.role === 'admin' && settings?.adminsRequireOtp) || request.requireOtp)) restriction = requireOtpWhereAllowed(restriction);
    return { settings, access: restriction ? evaluateRestriction(restriction, request.actor.clientIp).action : 'allow' };
  }

  /**
   * The core's decision, with the passcode or temporary code verified when it asks for one; the outcome of
   * the verification is added to `facts` (the write step decides a lost race from them).
   */
  private verifyCode(facts: SignInFacts, { user, tempCode, usable }: Subject, settings: AccountSettings | null, passcode: string | null, now: number): CodeCheck {
    let step = decideSignIn(facts);
    let verification: Verification | null = null;
    let tempCodeUse: AuditedWrite['tempCodeUse'];
    if (step.kind === 'verify_passcode' && user && settings && passcode !== null) {
      verification = this.verifyPasscode(usable, passcode, windowsOf(settings), now);
      facts.passcodeOutcome = verification.outcome;
      step = decideSignIn(facts);
    } else if (step.kind === 'verify_temp_code' && tempCode && passcode !== null) {
      const matched = tempCodeMatches(this.ctx.masterKey.keyFor('temp-codes'), tempCode.user_id, passcode, tempCode.code_hash);
      facts.tempCodeOutcome = matched ? 'matched' : 'wrong';
      step = decideSignIn(facts);
      if (matched) tempCodeUse = { userId: tempCode.user_id, codeHash: tempCode.code_hash, expectedUses: tempCode.uses_left };
    }
    return { decided: finalStep(step), verification, tempCodeUse };
  }

  /**
   * The outcome written with its audit event, in the batch's one transaction. A matched passcode's counter
   * moves there by compare-and-set; when another request moved it first, the check is a replay instead, and
   * what a replay writes is written in its place. Returns the step that was written.
   */
  private async writeOutcome(request: SignInRequest, subject: Subject, facts: SignInFacts, { decided, verification, tempCodeUse }: CodeCheck, now: number): Promise<FinalStep> {
    const { user, tokens, usable, throttles, states } = subject;
    const settings = subject.account ? settingsOf(subject.account) : null;
    const userThrottleFailed = (states.get(throttles[0]!.key)?.consecutiveFailures ?? 0) > 0;
    // The event names the serial that matched; otherwise the user's token when they hold one only.
    const targetSerial = verification?.serial ?? (tokens.length === 1 ? tokens[0]!.serial : null);
    const planFor = (outcome: FinalStep, failure: boolean): WritePlan => ({
      event: this.audit.eventOf(
        request.actor,
        {
          action: 'signin',
          outcome: outcome.result,
          reason: outcome.reason,
          accountId: user?.account_id ?? request.accountId,
          targetUser: user?.username ?? usernameKey(request.username).slice(0, 64),
          targetSerial,
        },
        now,
      ),
      // A wrong passcode counts once for the user, and only while they hold a token that could lock.
      ...(failure && user && settings && usable.length > 0 ? { userFailure: { userId: user.id, maxFailures: settings.maxFailures } } : {}),
      ...(outcome.reason === 'passcode_accepted' && user && Number(user.otp_fail_count) > 0 ? { userFailuresClear: { userId: user.id } } : {}),
      throttleFailures: FAILED_ATTEMPTS.has(outcome.reason) ? throttles : [],
      throttleClears: outcome.result === 'accept' && userThrottleFailed ? [throttles[0]!.key] : [],
      // The real token used again ends a temporary code (audited as its revocation).
      ...(outcome.reason === 'passcode_accepted' && subject.hasTempCode && user
        ? {
            tempCodeEnd: {
              userId: user.id,
              event: this.audit.eventOf(
                request.actor,
                { action: 'temp_code.revoke', outcome: 'success', reason: "ended by the token's next successful sign-in", accountId: user.account_id, targetUser: user.username, targetSerial },
                now,
              ),
            },
          }
        : {}),
    });
    let lost: FinalStep | null = null;
    let unit: AuditedWrite;
    if (verification?.counters) {
      // A lost compare-and-set is a duplicate of a good code (a double submit, or a race): a replay.
      lost = finalStep(decideSignIn({ ...facts, passcodeOutcome: 'replayed' }));
      unit = { at: now, counters: verification.counters, ...(user ? { userOf: user.id } : {}), won: planFor(decided, false), lost: planFor(lost, false) };
    } else if (tempCodeUse) {
      // A lost compare-and-set on the uses: another sign-in took the code's last use first.
      lost = finalStep(decideSignIn({ ...facts, tempCodeOutcome: 'wrong' }));
      unit = { at: now, tempCodeUse, won: planFor(decided, false), lost: planFor(lost, false) };
    } else {
      // A wrong temporary code counts toward the user's lock as a wrong passcode does.
      unit = { at: now, won: planFor(decided, (verification?.countsAsFailure ?? false) || decided.reason === 'temp_code_wrong') };
    }
    const written = await this.audit.writeWithEvent(unit);
    if (written.userFailure?.locked && user) await endSessionsOf(this.ctx, user.id);
    return written.counterMoved === false && lost ? lost : decided;
  }

  /** The directory's password check; audits and rethrows when the directory cannot be reached (fail closed). */
  private async directoryCheck(request: SignInRequest, user: UserRow | undefined, password: string) {
    try {
      return await this.directories.checkSignInPassword(request.actor, request.accountId, request.username, user, password);
    } catch (error) {
      if (!(error instanceof ServiceError && error.code === 'service_unavailable')) throw error;
      await this.audit.record(request.actor, {
        action: 'signin',
        outcome: 'error',
        reason: 'directory_unavailable',
        accountId: user?.account_id ?? request.accountId,
        targetUser: user?.username ?? usernameKey(request.username).slice(0, 64),
      });
      throw error;
    }
  }

  /** Whether the passcode is one of the token's next codes (the PAP split's probe; nothing is written). */
  private matchesNow(token: SignInToken, passcode: string, now: number, windows: PasscodeWindows): boolean {
    return matchPasscode(token, openTokenSecretForCheck(this.ctx.masterKey, token), passcode, windows, now) !== null;
  }

  /**
   * Verifies a well-formed passcode against every usable token whose digits match its length. Every match
   * is settled by its counter's compare-and-set in the audited write (all of them move, so a seed shared by
   * two tokens cannot replay through the other); a wrong code (or a replay of an older one) counts toward
   * the user's lock there.
   */
  private verifyPasscode(usable: readonly SignInToken[], passcode: string, windows: PasscodeWindows, now: number): Verification {
    const counters: NonNullable<Verification['counters']> = [];
    let serial: string | undefined;
    let lastAccepted = false;
    let recent = false;
    const missed: { token: SignInToken; secret: Buffer }[] = [];
    for (const token of usable) {
      if (token.digits !== passcode.length) continue;
      const secret = openTokenSecretForCheck(this.ctx.masterKey, token);
      const matched = matchPasscode(token, secret, passcode, windows, now);
      if (matched !== null) {
        // Each successful sign-in re-syncs the token (README, "How sign-in is decided"): C becomes the match + 1
        // (TOTP: the step after the accepted one, so neither it nor any step before it is accepted again).
        counters.push({ tokenId: token.id, expected: Number(token.counter), next: matched + 1 });
        serial ??= token.serial;
      } else missed.push({ token, secret });
    }
    if (counters.length > 0) return { outcome: 'matched', counters, serial: serial!, countsAsFailure: false };
    // Only a passcode no token accepts is looked for among recent codes (a replay or a wrong guess): the
    // accept path of a user with several tokens does not pay the look-back for the tokens that missed.
    for (const { token, secret } of missed) {
      const distance = replayDistance(token, secret, passcode);
      if (distance === 1) lastAccepted = true;
      else if (distance !== null) recent = true;
    }
    // The last accepted passcode sent again is a duplicate of a good code: refused as a replay, but it is no
    // guess, so it does not count toward the lock — otherwise a burst of duplicates of one good code would
    // lock the owner's tokens.
    if (lastAccepted) return { outcome: 'replayed', countsAsFailure: false };
    return { outcome: recent ? 'replayed' : 'wrong', countsAsFailure: true };
  }
}

type FinalStep = Extract<SignInStep, { kind: 'final' }>;

/** Who a sign-in names, as read for it (readSubject): after a throttle, no token and no temporary code. */
interface Subject {
  user: UserRow | undefined;
  account: SignInAccount | undefined;
  accountHasGroupRestrictions: boolean;
  /** Whether the user has a temporary code with uses left (read, and live or not, only when not throttled). */
  hasTempCode: boolean;
  throttles: ReturnType<typeof throttleKeys>;
  states: Awaited<ReturnType<typeof readSignInThrottles>>;
  /** Seconds of back-off left on the name or the address; 0 when neither is throttled. */
  wait: number;
  tokens: SignInToken[];
  /** The tokens that accept passcodes now (core isTokenUsable). */
  usable: SignInToken[];
  tempCode: Awaited<ReturnType<typeof findTempCode>>;
  tempCodeLive: boolean;
}

/** The password step's result: the facts it found, and the subject (read again when the directory matched a new name). */
interface PasswordCheck {
  subject: Subject;
  password: SignInFacts['password'];
  disabledInDirectory: boolean;
}

/** The verification step's result: the final step, and what the write must settle by compare-and-set. */
interface CodeCheck {
  decided: FinalStep;
  verification: Verification | null;
  tempCodeUse: AuditedWrite['tempCodeUse'];
}

/** The facts the core decides on, from the steps before it. */
function factsOf(subject: Subject, checked: PasswordCheck, access: SignInFacts['access'], settings: AccountSettings | null, passcode: string | null, now: number): SignInFacts {
  return {
    throttled: subject.wait > 0,
    userFound: subject.user !== undefined,
    userDisabled: subject.user?.disabled_at != null || checked.disabledInDirectory,
    password: checked.password,
    access,
    token: tokensFact(subject.tokens, now),
    passcode: passcodeFact(passcode, subject.usable),
    tempCode: subject.tempCodeLive ? 'live' : 'none',
    selfAssociation: settings?.selfAssociation ?? false,
  };
}

/** What the caller is told: the result, the back-off, and the user unless rejected. */
function outcomeOf({ user, wait }: Subject, final: FinalStep): SignInOutcome {
  const outcome: SignInOutcome = { result: final.result, reason: final.reason, retryAfterSeconds: wait };
  if (user && final.result !== 'reject') outcome.user = { id: user.id, username: user.username, accountId: user.account_id };
  return outcome;
}

/** A sign-in's windows: the look-ahead for HOTP, the steps either side of the drifted step for TOTP. */
function windowsOf(settings: AccountSettings): PasscodeWindows {
  return { hotp: settings.lookAheadWindow, totp: settings.totpWindow };
}

/** What the caller sent, as the decision sees it: 10 digits are a temporary code's shape (no token has 10). */
function passcodeFact(passcode: string | null, usable: readonly SignInToken[]): SignInFacts['passcode'] {
  if (passcode === null || passcode === '') return 'absent';
  if (isTempCodeShaped(passcode)) return 'temp_code';
  return usable.some((token) => isWellFormedPasscode(passcode, token.digits)) ? 'well_formed' : 'malformed';
}

function finalStep(step: SignInStep): FinalStep {
  if (step.kind !== 'final') throw new Error('sign-in decision did not settle');
  return step;
}

interface Verification {
  outcome: PasscodeOutcome;
  /** The compare-and-sets a match asks for: one per token the passcode matched. */
  counters?: CounterCheck[];
  /** The first matched token's serial (the audit event names it). */
  serial?: string;
  /** Whether the attempt counts toward the user's lock. */
  countsAsFailure: boolean;
}
