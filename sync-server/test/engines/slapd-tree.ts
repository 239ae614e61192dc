// What the slapd test engine serves (issue 15): its configuration, the test tree as LDIF, the
// test CA and server certificate (made with openssl in the engine's temporary directory), and
// {SSHA} password hashes computed here so no slappasswd run is needed per user.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runToEnd } from './common';

export const SUFFIX = 'dc=ferry,dc=test';
export const ROOT_DN = `cn=admin,${SUFFIX}`;
export const PEOPLE_BASE = `ou=people,${SUFFIX}`;
export const GROUPS_BASE = `ou=groups,${SUFFIX}`;
export const SERVICE_DN = `cn=svc-ferry,ou=service,${SUFFIX}`;
/** Put in a group by refint when its last member goes (groupOfNames needs one member). */
export const NOBODY_DN = `cn=nobody,${SUFFIX}`;

/**
 * A person of the test tree. `disabled` is written twice, for the two forms of the provider's
 * `disabled` setting: `employeeType: disabled` (attribute=value) and `employeeNumber: 514`
 * (attribute:bits; 512 when enabled, as AD's userAccountControl with bit 2 ACCOUNTDISABLE).
 */
export interface TreeUser {
  uid: string;
  password: string;
  displayName: string;
  mail: string | null;
  disabled?: boolean;
}

/** The people every engine starts with; their groups are in TEST_GROUPS. */
export const TEST_USERS: readonly TreeUser[] = [
  { uid: 'alice', password: 'alice-pw-1', displayName: 'Alice Admin', mail: 'alice@ferry.test' },
  { uid: 'bob', password: 'bob-pw-2', displayName: 'Bob Seller', mail: 'bob@ferry.test' },
  { uid: 'carol', password: 'carol-pw-3', displayName: 'Carol Contractor', mail: null },
  {
    uid: 'dave',
    password: 'dave-pw-4',
    displayName: 'Dave Departed',
    mail: 'dave@ferry.test',
    disabled: true,
  },
];

/** Group cn → members (uids, or `group:<cn>` for a nested group). */
export const TEST_GROUPS: Readonly<Record<string, readonly string[]>> = {
  'ferry-admins': ['alice'],
  staff: ['alice', 'bob', 'dave'],
  contractors: ['carol'],
  sales: ['group:emea-sales'],
  'emea-sales': ['bob'],
};

export const userDn = (uid: string): string => `uid=${uid},${PEOPLE_BASE}`;
export const groupDn = (cn: string): string => `cn=${cn},${GROUPS_BASE}`;

/** RFC 2307 {SSHA}: base64(SHA-1(password + salt) + salt). */
export function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

/** The attributes of a person entry, for ldapts `add` and for LDIF. */
export function personAttributes(user: TreeUser): Record<string, string | string[]> {
  const attrs: Record<string, string | string[]> = {
    objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
    uid: user.uid,
    cn: user.displayName,
    sn: user.displayName.split(' ').pop() ?? user.uid,
    displayName: user.displayName,
    userPassword: ssha(user.password),
  };
  if (user.mail) attrs.mail = user.mail;
  attrs.employeeNumber = user.disabled ? '514' : '512';
  if (user.disabled) attrs.employeeType = 'disabled';
  return attrs;
}

function ldif(dn: string, attrs: Record<string, string | string[]>): string {
  const lines = [`dn: ${dn}`];
  for (const [name, value] of Object.entries(attrs)) {
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  }
  return lines.join('\n') + '\n';
}

export function treeLdif(servicePassword: string): string {
  const entries = [
    ldif(SUFFIX, { objectClass: ['dcObject', 'organization'], dc: 'ferry', o: 'Ferry test' }),
    ldif(NOBODY_DN, { objectClass: ['organizationalRole'], cn: 'nobody' }),
    ...['people', 'groups', 'service'].map((ou) =>
      ldif(`ou=${ou},${SUFFIX}`, { objectClass: ['organizationalUnit'], ou }),
    ),
    ldif(SERVICE_DN, {
      objectClass: ['organizationalRole', 'simpleSecurityObject'],
      cn: 'svc-ferry',
      userPassword: ssha(servicePassword),
    }),
    ...TEST_USERS.map((u) => ldif(userDn(u.uid), personAttributes(u))),
    ...Object.entries(TEST_GROUPS).map(([cn, members]) =>
      ldif(groupDn(cn), {
        objectClass: ['groupOfNames'],
        cn,
        member: members.map((m) => (m.startsWith('group:') ? groupDn(m.slice(6)) : userDn(m))),
      }),
    ),
  ];
  return entries.join('\n');
}

/**
 * slapd.conf: mdb without fsync (tests never survive an OS crash), refint so a rename or a
 * removal follows into the groups (as AD does), the service account reads everything but
 * passwords, anonymous binds may authenticate and nothing else.
 */
export function slapdConf(dir: string, rootPassword: string): string {
  const schema = (name: string) => `include /etc/ldap/schema/${name}.schema`;
  return [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map(schema),
    `pidfile ${path.join(dir, 'slapd.pid')}`,
    `argsfile ${path.join(dir, 'slapd.args')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'moduleload refint',
    `TLSCACertificateFile ${path.join(dir, 'ca.pem')}`,
    `TLSCertificateFile ${path.join(dir, 'server.pem')}`,
    `TLSCertificateKeyFile ${path.join(dir, 'server.key')}`,
    'loglevel none',
    'sizelimit unlimited',
    'database mdb',
    'maxsize 268435456',
    'dbnosync',
    `suffix "${SUFFIX}"`,
    `rootdn "${ROOT_DN}"`,
    `rootpw ${rootPassword}`,
    `directory ${path.join(dir, 'data')}`,
    'index objectClass eq',
    'index uid eq',
    'index member eq',
    'overlay refint',
    'refint_attributes member',
    `refint_nothing "${NOBODY_DN}"`,
    'access to attrs=userPassword',
    '  by anonymous auth',
    '  by self write',
    '  by * none',
    'access to *',
    `  by dn.exact="${SERVICE_DN}" read`,
    '  by self read',
    '  by * none',
    '',
  ].join('\n');
}

/** The test CA, a server certificate it signs (SAN localhost, 127.0.0.1), and an unrelated CA. */
export async function makeCertificates(dir: string): Promise<void> {
  const p = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string, cn: string) =>
    runToEnd(
      'openssl',
      [
        'req',
        '-x509',
        ...ec,
        '-keyout',
        p(`${name}.key`),
        '-out',
        p(`${name}.pem`),
        '-days',
        '7',
        '-subj',
        `/CN=${cn}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      null,
    );
  writeFileSync(p('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await Promise.all([
    ca('ca', 'Ferry test CA'),
    ca('wrong-ca', 'Some other CA'),
    runToEnd(
      'openssl',
      ['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=localhost'],
      null,
    ),
  ]);
  await runToEnd(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      p('server.csr'),
      '-CA',
      p('ca.pem'),
      '-CAkey',
      p('ca.key'),
      '-CAcreateserial',
      '-out',
      p('server.pem'),
      '-days',
      '7',
      '-extfile',
      p('server.ext'),
    ],
    null,
  );
}
