// Test fixture, not product code: a real OpenLDAP slapd (Debian's), started on 127.0.0.1 on free ports in a
// temporary directory with a generated DIT — people, groups kept in memberOf by the memberof overlay
// (groupOfNames), a groupOfUniqueNames group (no memberOf), a service account — and a TLS certificate made
// here with openssl for LDAPS and StartTLS. With `ad: true` it also loads a small Active-Directory-shaped
// schema (sAMAccountName, userAccountControl, objectCategory, objectClass user).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { escapeDnValue } from '../../src/core/ldap-escape.js';
import { freePort } from './ports.js';
import { makeTestCertificates } from './tls.js';
import { makeTempDir } from './temp-dir.js';

const run = promisify(execFile);

export const SUFFIX = 'dc=example,dc=org';
export const ROOT_DN = `cn=admin,${SUFFIX}`;
export const ROOT_PASSWORD = 'root-secret-not-for-otpgate';
export const SERVICE_DN = `cn=otpgate,ou=services,${SUFFIX}`;
export const SERVICE_PASSWORD = 'service-bind-password';
export const PEOPLE_DN = `ou=people,${SUFFIX}`;
export const GROUPS_DN = `ou=groups,${SUFFIX}`;

export interface Person {
  uid: string;
  password: string;
  cn?: string;
  mail?: string;
  /** Groups (groupOfNames, so memberOf is kept by the overlay). */
  groups?: string[];
  /** AD shape: sAMAccountName = uid, objectClass user, userAccountControl (512 normal, 514 disabled). */
  userAccountControl?: number;
}

export interface Slapd {
  dir: string;
  port: number;
  tlsPort: number;
  url: string;
  ldapsUrl: string;
  startTlsUrl: string;
  caPem: string;
  caFile: string;
  personDn(uid: string): string;
  /** Adds people (and creates the groups they name) through ldapadd as the root DN. */
  addPeople(people: Person[]): Promise<void>;
  /** Runs ldapmodify with this LDIF as the root DN. */
  modify(ldif: string): Promise<void>;
  stop(): Promise<void>;
  /** Starts it again on the same ports with the same data. */
  start(): Promise<void>;
  remove(): Promise<void>;
}

const AD_SCHEMA = `
attributetype ( 1.3.6.1.4.1.4203.666.11.99.1 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.11.99.2 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.11.99.3 NAME 'objectCategory' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.4203.666.11.99.4 NAME 'user' SUP inetOrgPerson STRUCTURAL MAY ( sAMAccountName $ userAccountControl $ objectCategory ) )
`;


function slapdConf(dir: string, ad: boolean): string {
  return [
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    'include /etc/ldap/schema/nis.schema',
    ad ? `include ${join(dir, 'ad.schema')}` : '',
    `pidfile ${join(dir, 'slapd.pid')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'moduleload memberof',
    // Like many servers, this one takes a simple bind with a DN and an empty password as an anonymous bind
    // and answers success (RFC 4513 §5.1.2): otpgate must refuse an empty password before any bind.
    'allow bind_anon_dn',
    `TLSCACertificateFile ${join(dir, 'ca.pem')}`,
    `TLSCertificateFile ${join(dir, 'server.pem')}`,
    `TLSCertificateKeyFile ${join(dir, 'server.key')}`,
    'database mdb',
    `suffix "${SUFFIX}"`,
    `rootdn "${ROOT_DN}"`,
    `rootpw ${ROOT_PASSWORD}`,
    `directory ${join(dir, 'db')}`,
    'maxsize 104857600',
    // Passwords: only a bind may use them. Everything else: bound users read, anonymous sees nothing, so a
    // search that worked proves the service bind was used.
    'access to attrs=userPassword by anonymous auth by * none',
    'access to * by users read by * none',
    'overlay memberof',
    '',
  ].join('\n');
}

export async function startSlapd(options: { ad?: boolean } = {}): Promise<Slapd> {
  const dir = makeTempDir('otpgate-slapd-');
  mkdirSync(join(dir, 'db'));
  await makeTestCertificates(dir);
  if (options.ad) writeFileSync(join(dir, 'ad.schema'), AD_SCHEMA);
  writeFileSync(join(dir, 'slapd.conf'), slapdConf(dir, options.ad ?? false));
  let port = await freePort();
  let tlsPort = await freePort();
  let url = `ldap://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const ldapEnv = { ...process.env, LDAPTLS_CACERT: join(dir, 'ca.pem') };
  const ldapTool = async (tool: string, ldif: string, extra: string[] = []) => {
    const file = join(dir, `input-${Date.now()}-${Math.random().toString(16).slice(2)}.ldif`);
    writeFileSync(file, ldif);
    await run(tool, ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PASSWORD, ...extra, '-f', file], { env: ldapEnv });
  };

  async function start(): Promise<void> {
    const proc = spawn('/usr/sbin/slapd', ['-f', join(dir, 'slapd.conf'), '-h', `${url}/ ldaps://127.0.0.1:${tlsPort}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // Ready when an anonymous root DSE read answers.
    for (let attempt = 0; ; attempt++) {
      if (proc.exitCode !== null) throw new Error(`slapd exited (${proc.exitCode}): ${stderr}`);
      try {
        await run('ldapsearch', ['-x', '-H', url, '-s', 'base', '-b', '', '1.1'], { env: ldapEnv });
        return;
      } catch {
        if (attempt > 200) throw new Error(`slapd did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  }

  // A port free a moment ago may be taken by now (tests run in parallel): slapd then exits at once. The first
  // start tries new ports; a restart (start() after stop()) keeps the ones the tests already know.
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 4 || !/slapd exited/.test(String(error))) throw error;
      port = await freePort();
      tlsPort = await freePort();
      url = `ldap://127.0.0.1:${port}`;
    }
  }
  const base = [
    `dn: ${SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example`,
    `dn: ${PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ${GROUPS_DN}\nobjectClass: organizationalUnit\nou: groups`,
    `dn: ou=services,${SUFFIX}\nobjectClass: organizationalUnit\nou: services`,
    `dn: ${SERVICE_DN}\nobjectClass: person\ncn: otpgate\nsn: service\nuserPassword: ${SERVICE_PASSWORD}`,
  ];
  await ldapTool('ldapadd', `${base.join('\n\n')}\n`);

  const personDn = (uid: string) => `uid=${escapeDnValue(uid)},${PEOPLE_DN}`;
  const knownGroups = new Set<string>();
  const slapd: Slapd = {
    dir,
    port,
    tlsPort,
    url,
    ldapsUrl: `ldaps://127.0.0.1:${tlsPort}`,
    startTlsUrl: `ldap://127.0.0.1:${port}`,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    personDn,
    async addPeople(people) {
      const entries = people.map((p) => {
        const lines = [`dn: ${personDn(p.uid)}`];
        if (p.userAccountControl !== undefined) {
          lines.push('objectClass: user', `sAMAccountName: ${p.uid}`, `userAccountControl: ${p.userAccountControl}`, 'objectCategory: person', `displayName: ${p.cn ?? p.uid}`);
        } else lines.push('objectClass: inetOrgPerson');
        lines.push(`uid: ${p.uid}`, `cn: ${p.cn ?? p.uid}`, `sn: ${p.uid}`, `userPassword: ${p.password}`);
        if (p.mail) lines.push(`mail: ${p.mail}`);
        return lines.join('\n');
      });
      await ldapTool('ldapadd', `${entries.join('\n\n')}\n`);
      // Groups after people, through the server, so that the memberof overlay writes memberOf.
      const groups = new Map<string, string[]>();
      for (const p of people) for (const g of p.groups ?? []) groups.set(g, [...(groups.get(g) ?? []), personDn(p.uid)]);
      for (const [group, members] of groups) {
        const dn = `cn=${escapeDnValue(group)},${GROUPS_DN}`;
        if (knownGroups.has(group)) {
          await ldapTool('ldapmodify', `dn: ${dn}\nchangetype: modify\nadd: member\n${members.map((m) => `member: ${m}`).join('\n')}\n`);
        } else {
          knownGroups.add(group);
          await ldapTool('ldapadd', `dn: ${dn}\nobjectClass: groupOfNames\ncn: ${group}\n${members.map((m) => `member: ${m}`).join('\n')}\n`);
        }
      }
    },
    modify: (ldif) => ldapTool('ldapmodify', ldif),
    stop,
    start,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return slapd;
}
