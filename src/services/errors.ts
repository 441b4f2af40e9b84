// Every error code an adapter can show a client, in one place. docs/errors.md documents each one and a
// test fails when a code here is missing there.

export const ERROR_CODES = {
  invalid_request: { status: 400, summary: 'The request is malformed or a field is invalid; the message names the field.' },
  invalid_passcode: { status: 400, summary: "A passcode is not exactly the token's number of digits (0-9)." },
  invalid_serial: { status: 400, summary: 'A serial number is not 1-64 of A-Z a-z 0-9 - _ (spaces and dashes between digits are dropped).' },
  invalid_restriction: { status: 400, summary: 'An access restriction has an invalid CIDR, action or a duplicate network; `fields` names each.' },
  invalid_username: { status: 400, summary: 'A username is not 1-64 of letters, digits and . _ @ + -.' },
  weak_password: { status: 400, summary: 'A password is shorter than 8 characters.' },
  passcode_not_accepted: { status: 400, summary: "Association refused: the passcode is not the token's next code (within the association window)." },
  resync_failed: { status: 400, summary: 'Re-sync refused: the two passcodes are not consecutive codes of the token within the sync window.' },
  import_refused: { status: 400, summary: 'A seed file was refused as a whole (malformed, wrong key or password, forbidden DTD...); nothing was imported. `category` says why.' },
  invalid_directory: { status: 400, summary: 'A directory setting is invalid (URL, DN, filter, attribute name, CA certificate), or ldap:// without StartTLS to a host that is not loopback; `field` names it.' },
  invalid_webhook: { status: 400, summary: 'A webhook setting is invalid (name, URL, events, secret), or its host resolves to an address that is not public; `field` names it.' },
  client_ip_not_allowed: { status: 400, summary: 'clientIp was sent with an API key that may not pass it.' },
  unauthorized: { status: 401, summary: 'No valid API key or console session.' },
  app_enrolment_disabled: { status: 403, summary: 'The account does not let users add an authenticator app (setting appEnrolment off).' },
  self_association_disabled: { status: 403, summary: 'The account does not let users associate a token themselves; an administrator must do it.' },
  insufficient_scope: { status: 403, summary: "The API key's scopes do not include this route." },
  not_found: { status: 404, summary: 'No such route.' },
  account_not_found: { status: 404, summary: 'No such account.' },
  user_not_found: { status: 404, summary: 'No such user in your account.' },
  token_not_found: { status: 404, summary: 'No such token in your account (unknown serial, or the user has no token).' },
  api_key_not_found: { status: 404, summary: 'No such API key in the account.' },
  directory_not_found: { status: 404, summary: 'The account has no directory.' },
  group_restriction_not_found: { status: 404, summary: 'The group has no restriction in your account.' },
  temp_code_not_found: { status: 404, summary: 'The user has no temporary code (never issued, revoked, or ended by their token).' },
  webhook_not_found: { status: 404, summary: 'No such webhook in the account.' },
  enrolment_not_found: { status: 404, summary: 'No pending authenticator-app enrolment for this user in this session: none was started, it expired (15 minutes) or it was completed.' },
  radius_client_not_found: { status: 404, summary: 'No such RADIUS client.' },
  oidc_client_not_found: { status: 404, summary: 'No such OpenID Connect client in the account.' },
  account_exists: { status: 409, summary: 'An account of that name exists.' },
  user_exists: { status: 409, summary: 'A user of that name exists (usernames are unique across the installation, ignoring case).' },
  webhook_exists: { status: 409, summary: 'The account has a webhook of that name.' },
  radius_client_exists: { status: 409, summary: 'A RADIUS client of that name exists.' },
  oidc_client_exists: { status: 409, summary: 'An OpenID Connect client of that name exists in the account.' },
  token_not_available: { status: 409, summary: 'The token is associated with another user, locked, disabled, retired or outside its validity dates, or already in the state asked for.' },
  user_has_token: { status: 409, summary: 'The user already has a token; disassociate it first.' },
  token_limit: { status: 409, summary: "The user already holds the account's maxTokensPerUser tokens; disassociate one first." },
  several_tokens: { status: 409, summary: 'The user holds several tokens and the request names none; `serials` lists them (use the /users/{u}/tokens/{serial} routes or --serial).' },
  ambiguous_token: { status: 409, summary: "Re-sync without a serial: both passcodes fit more than one of the user's tokens; `serials` lists them." },
  would_lock_out_admins: {
    status: 409,
    summary: 'The change would leave the account with no administrator able to sign in to the console (every admin denied, disabled, or needing a passcode without a usable token while self-association is off); nothing was changed. The message names each administrator and why.',
  },
  conflict: { status: 409, summary: 'The token changed while the request ran (for instance a sign-in used the same passcode); retry.' },
  uri_too_long: { status: 414, summary: 'The path is over the length limit.' },
  payload_too_large: { status: 413, summary: 'The request body is over the size limit.' },
  unsupported_media_type: { status: 415, summary: 'The Content-Type is not one the route accepts.' },
  too_many_attempts: { status: 429, summary: 'Too many failed sign-ins for this user or address; retry after Retry-After seconds.' },
  internal_error: { status: 500, summary: 'An unexpected error; the server log has the details.' },
  service_unavailable: { status: 503, summary: "The database, or a directory user's directory, cannot be reached; nothing was decided. Retry later." },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A refused operation with a stable code. Thrown by services, shown by adapters. */
export class ServiceError extends Error {
  override name = 'ServiceError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}
