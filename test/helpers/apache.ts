// A real relying party for the OpenID Provider's tests, not product code: Debian's apache2 with
// mod_auth_openidc (libapache2-mod-auth-openidc), in a temporary ServerRoot of its own, on 127.0.0.1 and a
// free port, as one foreground process (`apache2 -X`). A CGI behind the protected location prints the
// REMOTE_USER and the acr claim mod_auth_openidc set.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';
import { makeTempDir } from './temp-dir.js';

const MODULES = '/usr/lib/apache2/modules';
const APACHE = '/usr/sbin/apache2';

export interface ApacheRelyingParty {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** The protected page (the CGI): REMOTE_USER=... and ACR=... */
  protectedUrl: string;
  /** mod_auth_openidc's OIDCRedirectURI, to register as the client's redirect URI. */
  redirectUri: string;
  /** An unprotected page RP-initiated logout returns to. */
  signedOutUrl: string;
  /** The error log (mod_auth_openidc's messages), for failure messages. */
  errorLog(): string;
  stop(): Promise<void>;
}

export interface ApacheClient {
  clientId: string;
  clientSecret: string;
  /** The issuer's discovery document URL. */
  metadataUrl: string;
}

/** The addresses Apache will use, known before the client is registered (the redirect URI is part of it). */
export async function apacheAddresses(): Promise<{ port: number; origin: string; redirectUri: string; signedOutUrl: string; protectedUrl: string }> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  return { port, origin, redirectUri: `${origin}/protected/redirect_uri`, signedOutUrl: `${origin}/signed-out.html`, protectedUrl: `${origin}/protected/whoami` };
}

/**
 * The configuration docs/oidc.md's Apache section gives (the same directives), with the paths and
 * addresses of this temporary server. Apache runs the CGI as www-data (it starts as root here).
 */
export function apacheConfig(root: string, port: number, client: ApacheClient, redirectUri: string): string {
  const modules = ['mpm_prefork', 'authz_core', 'authn_core', 'alias', 'cgi', 'mime', 'dir', 'env', 'headers'];
  const user = process.getuid?.() === 0 ? 'User www-data\nGroup www-data\n' : '';
  return `ServerRoot "${root}"
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile "${root}/httpd.pid"
DefaultRuntimeDir "${root}/run"
Mutex file:${root}/run default
ErrorLog "${root}/error.log"
LogLevel warn auth_openidc:info
${user}${modules.map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`).join('\n')}
LoadModule auth_openidc_module ${MODULES}/mod_auth_openidc.so
TypesConfig /etc/mime.types
DocumentRoot "${root}/htdocs"
<Directory "${root}/htdocs">
  Require all granted
</Directory>

OIDCProviderMetadataURL ${client.metadataUrl}
OIDCClientID ${client.clientId}
OIDCClientSecret ${client.clientSecret}
OIDCRedirectURI ${redirectUri}
OIDCCryptoPassphrase ${'x'.repeat(8)}-a-long-random-string-for-the-test
OIDCScope "openid profile"
OIDCPKCEMethod S256
OIDCRemoteUserClaim preferred_username
OIDCAuthRequestParams acr_values=urn:otpgate:acr:otp
OIDCPassClaimsAs environment

ScriptAlias /protected/ "${root}/cgi/"
<Location /protected>
  AuthType openid-connect
  Require claim acr:urn:otpgate:acr:otp
</Location>
<Directory "${root}/cgi">
  Options +ExecCGI
</Directory>
`;
}

/** Starts apache2 -X with the configuration above; resolves when it answers. */
export async function startApache(addresses: Awaited<ReturnType<typeof apacheAddresses>>, client: ApacheClient): Promise<ApacheRelyingParty> {
  const root = makeTempDir('otpgate-apache-');
  for (const dir of ['run', 'htdocs', 'cgi']) mkdirSync(join(root, dir));
  // Apache started as root serves as www-data: it must read the pages and run the CGI.
  chmodSync(root, 0o755);
  writeFileSync(join(root, 'htdocs', 'signed-out.html'), '<!DOCTYPE html><html><head><title>Signed out</title></head><body><p>Signed out of the intranet.</p></body></html>\n');
  writeFileSync(join(root, 'cgi', 'whoami'), '#!/bin/sh\nprintf \'Content-Type: text/plain\\r\\n\\r\\n\'\nprintf \'REMOTE_USER=%s\\nACR=%s\\n\' "$REMOTE_USER" "$OIDC_CLAIM_acr"\n');
  chmodSync(join(root, 'cgi', 'whoami'), 0o755);
  const conf = join(root, 'httpd.conf');
  writeFileSync(conf, apacheConfig(root, addresses.port, client, addresses.redirectUri));
  const errorLog = () => {
    try {
      return readFileSync(join(root, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const child: ChildProcess = spawn(APACHE, ['-X', '-d', root, '-f', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor('apache2 to answer', async () => {
    if (gone) throw new Error(`apache2 exited: ${output} ${errorLog()}`);
    try {
      await fetch(addresses.signedOutUrl);
      return true;
    } catch {
      return false;
    }
  });
  return {
    origin: addresses.origin,
    protectedUrl: addresses.protectedUrl,
    redirectUri: addresses.redirectUri,
    signedOutUrl: addresses.signedOutUrl,
    errorLog,
    async stop() {
      if (!gone) child.kill('SIGTERM');
      await exited;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
