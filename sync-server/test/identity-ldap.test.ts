// The LDAP source against a real OpenLDAP (issue 15, docs/identity.md): sign-in by
// bind-and-search, the same answer for an unknown user and a wrong password, filter injection,
// nested groups, the disabled flag, the paged listing, renames, TLS both ways, and every failure
// in words without a password in it.
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LdapDirectory } from '../src/identity/ldap';
import { parseLdapConfig, type LdapConfig } from '../src/identity/ldap-config';
import { IdentityError, type ExternalPerson } from '../src/identity/types';
import { freePort } from './engines/common';
import {
  GROUPS_BASE,
  testLdapConfig,
  TEST_USERS,
  groupDn,
  startSlapd,
  useSlapd,
  userDn,
  type SlapdEngine,
} from './engines/slapd';

const ldap = useSlapd();
const ADMINS = groupDn('ferry-admins');

function rawConfig(e: SlapdEngine, over: Record<string, unknown> = {}): Record<string, unknown> {
  return testLdapConfig(e, {
    // Written with spaces and capitals, as admins copy them: normalised on reading.
    groups: { base: GROUPS_BASE.toUpperCase(), nested: true },
    roles: {
      'CN=ferry-admins, OU=groups, DC=ferry, DC=test': 'admin',
      [groupDn('staff')]: 'member',
    },
    channels: { [groupDn('sales')]: 'chan-sales' },
    ...over,
  });
}

function config(e: SlapdEngine, over: Record<string, unknown> = {}): LdapConfig {
  const errors: string[] = [];
  const parsed = parseLdapConfig(rawConfig(e, over), errors);
  expect(errors).toEqual([]);
  return parsed!;
}

const directory = (over: Record<string, unknown> = {}) => new LdapDirectory(config(ldap(), over));

/** The IdentityError `promise` rejects with; fails if it resolves or throws something else. */
async function failure(promise: Promise<unknown>, secrets: string[] = []): Promise<IdentityError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IdentityError);
  const message = (error as IdentityError).message;
  for (const secret of [ldap().servicePassword, ldap().rootPassword, ...secrets]) {
    expect(message).not.toContain(secret);
  }
  return error as IdentityError;
}

const alice = TEST_USERS.find((u) => u.uid === 'alice')!;
const bob = TEST_USERS.find((u) => u.uid === 'bob')!;

describe('LDAP sign-in (bind and search)', () => {
  it('maps the person and their groups, nested ones included', async () => {
    const person = await directory().authenticate('Alice', alice.password);
    expect(person).toEqual<ExternalPerson>({
      externalId: await ldap().entryUuid('alice'),
      username: 'alice',
      displayName: 'Alice Admin',
      email: 'alice@ferry.test',
      disabled: false,
      groups: [ADMINS, groupDn('staff')],
    });
    expect(person.externalId).toMatch(/^[0-9a-f-]{36}$/);
    // bob is in emea-sales, which is in sales.
    const b = await directory().authenticate('bob', bob.password);
    expect(b.groups).toEqual([groupDn('emea-sales'), groupDn('sales'), groupDn('staff')]);
    // Without nesting only the direct groups count.
    const flat = await directory({ groups: { base: GROUPS_BASE, nested: false } }).authenticate(
      'bob',
      bob.password,
    );
    expect(flat.groups).toEqual([groupDn('emea-sales'), groupDn('staff')]);
  });

  it('answers an unknown user and a wrong password alike, and refuses an empty password', async () => {
    const d = directory();
    const wrong = await failure(d.authenticate('alice', 'not-her-password'), ['not-her-password']);
    const unknown = await failure(d.authenticate('nobody', 'whatever-pw'), ['whatever-pw']);
    expect([wrong.code, unknown.code]).toEqual(['invalid-credentials', 'invalid-credentials']);
    expect(wrong.message).toBe(unknown.message);
    // An empty password is an unauthenticated bind, which LDAP servers accept: never sent.
    expect((await failure(d.authenticate('alice', ''))).code).toBe('invalid-credentials');
    expect((await failure(d.authenticate('', 'x'))).code).toBe('invalid-credentials');
  });

  it('escapes the username: filter injection finds nobody', async () => {
    const d = directory();
    for (const name of ['*', 'a*', ')(uid=*', '*)(|(uid=*', 'alice)(objectClass=*', '\\2a']) {
      expect((await failure(d.authenticate(name, alice.password))).code).toBe(
        'invalid-credentials',
      );
      expect(await d.lookup(name)).toBeNull();
    }
  });

  it('reports a disabled person as disabled (both rule forms)', async () => {
    const dave = TEST_USERS.find((u) => u.uid === 'dave')!;
    expect((await directory().authenticate('dave', dave.password)).disabled).toBe(true);
    expect((await directory().lookup('alice'))?.disabled).toBe(false);
    // AD's form, a bit of an integer: the tree mirrors userAccountControl in employeeNumber
    // (514 = 512 + bit 2 when disabled).
    const bits = directory({
      attributes: {
        id: 'entryUUID',
        username: 'uid',
        displayName: 'cn',
        email: 'mail',
        disabled: 'employeeNumber:2',
      },
    });
    expect((await bits.lookup('dave'))?.disabled).toBe(true);
    expect((await bits.lookup('alice'))?.disabled).toBe(false);
    await ldap().setDisabled('carol', true);
    expect((await bits.lookup('carol'))?.disabled).toBe(true);
    expect((await directory().lookup('carol'))?.disabled).toBe(true);
    await ldap().setDisabled('carol', false);
    expect((await bits.lookup('carol'))?.disabled).toBe(false);
  });
});

describe('LDAP directory for the sync', () => {
  it('lists everyone with groups, sees disabling, renames keep the externalId', async () => {
    const d = directory();
    const people = await d.listPeople();
    expect(people.map((p) => p.username).sort()).toEqual(['alice', 'bob', 'carol', 'dave']);
    const byName = new Map(people.map((p) => [p.username, p]));
    expect(byName.get('bob')!.groups).toEqual([
      groupDn('emea-sales'),
      groupDn('sales'),
      groupDn('staff'),
    ]);
    expect(byName.get('carol')).toMatchObject({ email: null, groups: [groupDn('contractors')] });
    expect(byName.get('dave')!.disabled).toBe(true);
    // The listing and a sign-in agree.
    expect(byName.get('alice')).toEqual(await d.authenticate('alice', alice.password));

    await ldap().addUser(
      { uid: 'erin', password: 'erin-pw-5', displayName: 'Erin Early', mail: 'erin@ferry.test' },
      ['staff'],
    );
    const erinId = (await d.lookup('erin'))!.externalId;
    await ldap().setDisabled('erin', true);
    expect((await d.lookup('erin'))!.disabled).toBe(true);
    await ldap().setDisabled('erin', false);
    await ldap().renameUser('erin', 'erin.b');
    expect(await d.lookup('erin')).toBeNull();
    const renamed = await d.authenticate('erin.b', 'erin-pw-5');
    expect(renamed).toMatchObject({ externalId: erinId, username: 'erin.b' });
    expect(renamed.groups).toEqual([groupDn('staff')]);
    await ldap().removeMember('staff', userDn('erin.b'));
    expect((await d.lookup('erin.b'))!.groups).toEqual([]);
    await ldap().removeUser('erin.b');
    expect((await d.listPeople()).map((p) => p.username)).not.toContain('erin.b');
  });

  it('test() connects, binds and counts people', async () => {
    const result = await directory().test();
    expect(result.people).toBe(4);
    expect(result.message).toContain('the service account signed in');
  });
});

describe('LDAP transport security and failures in words', () => {
  it('StartTLS and ldaps with the test CA work', async () => {
    const e = ldap();
    const starttls = directory({ startTls: true, caFile: e.caFile });
    expect((await starttls.authenticate('alice', alice.password)).username).toBe('alice');
    expect((await starttls.test()).message).toContain('(StartTLS)');
    const ldaps = directory({ url: e.ldapsUrl, caFile: e.caFile });
    expect((await ldaps.authenticate('alice', alice.password)).username).toBe('alice');
    expect((await ldaps.listPeople()).length).toBe(4);
    // localhost is in the certificate too.
    const byName = directory({
      url: e.ldapsUrl.replace('127.0.0.1', 'localhost'),
      caFile: e.caFile,
    });
    expect((await byName.test()).people).toBe(4);
  });

  it('a CA that did not sign the certificate is a tls error in words', async () => {
    const e = ldap();
    for (const over of [
      { url: e.ldapsUrl, caFile: e.wrongCaFile },
      { startTls: true, caFile: e.wrongCaFile },
    ]) {
      const error = await failure(directory(over).authenticate('alice', alice.password), [
        alice.password,
      ]);
      expect(error.code).toBe('tls');
      expect(error.message).toBe("the directory's certificate is not signed by the CA in caFile");
    }
  });

  it('a refused service password is service-credentials; sign-ins say so too', async () => {
    const file = path.join(ldap().dir, 'wrong.pw');
    writeFileSync(file, 'wrong-service-pw\n');
    const d = directory({ bindPasswordFile: file });
    const ops = [
      () => d.test(),
      () => d.authenticate('alice', alice.password),
      () => d.listPeople(),
    ];
    for (const op of ops) {
      const error = await failure(op(), ['wrong-service-pw', alice.password]);
      expect(error.code).toBe('service-credentials');
      expect(error.message).toContain("the service account's password was refused");
    }
  });

  it('a directory that is down is unavailable, quickly', async () => {
    const port = await freePort();
    const d = directory({ url: `ldap://127.0.0.1:${port}` });
    const started = Date.now();
    const error = await failure(d.authenticate('alice', alice.password), [alice.password]);
    expect(error.code).toBe('unavailable');
    expect(error.message).toBe(`cannot reach ldap://127.0.0.1:${port} (connection refused)`);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await failure(d.test())).code).toBe('unavailable');
  });

  it('a filter that finds several people for one name is misconfigured, not a sign-in', async () => {
    const d = directory({ userFilter: '(|(uid={username})(objectClass=inetOrgPerson))' });
    const error = await failure(d.authenticate('alice', alice.password), [alice.password]);
    expect(error.code).toBe('misconfigured');
    expect(error.message).toContain('more than one entry');
  });

  it('a base that does not exist is misconfigured', async () => {
    const d = directory({ userBase: 'ou=nowhere,dc=ferry,dc=test' });
    const error = await failure(d.test());
    expect(error.code).toBe('misconfigured');
    expect(error.message).toContain('ou=nowhere');
  });
});

describe('identity.ldap configuration', () => {
  it('reads the password file (trimmed) and normalises group DNs; never shows the password', () => {
    const c = config(ldap());
    expect(c.bindPassword()).toBe(ldap().servicePassword);
    expect(JSON.stringify(c)).not.toContain(ldap().servicePassword);
    expect(c.maps.roles).toEqual([
      [ADMINS, 'admin'],
      [groupDn('staff'), 'member'],
    ]);
    expect(c.maps.channels).toEqual([[groupDn('sales'), 'chan-sales']]);
    expect(c.syncEverySeconds).toBe(300);
    expect(c.groups?.base).toBe(GROUPS_BASE.toUpperCase()); // sent as written
  });

  it('names each wrong key in words', () => {
    const e = ldap();
    const errors: string[] = [];
    const result = parseLdapConfig(
      rawConfig(e, {
        url: 'http://dc1',
        userFilter: '(uid=x)',
        caFile: path.join(e.dir, 'missing-ca.pem'),
        bindPasswordFile: path.join(e.dir, 'missing.pw'),
        attributes: { id: 'entryUUID', username: 'uid', displayName: 'cn', disabled: 'bogus' },
        roles: { [ADMINS]: 'owner' },
        syncEverySeconds: 1,
        colour: 'blue',
      }),
      errors,
    );
    expect(result).toBeNull();
    expect(errors).toEqual([
      'identity.ldap: unknown key "colour"',
      'identity.ldap.url: "http://dc1" is not ldap://host[:port] or ldaps://host[:port]',
      `identity.ldap.caFile: cannot read ${path.join(e.dir, 'missing-ca.pem')} (no such file)`,
      `identity.ldap.bindPasswordFile: cannot read ${path.join(e.dir, 'missing.pw')} (no such file)`,
      'identity.ldap.userFilter: must contain {username}',
      'identity.ldap.attributes.disabled: "bogus" is neither attribute:bits (userAccountControl:2) nor attribute=value (employeeType=disabled)',
      'identity.ldap.attributes.email: must be a non-empty string',
      `identity.ldap.roles["${ADMINS}"]: must be one of admin, member, guest`,
      'identity.ldap.syncEverySeconds: must be a whole number from 2 to 86400',
    ]);
    // A directory elsewhere on the network over plain ldap:// would see passwords in clear.
    const plain: string[] = [];
    parseLdapConfig(rawConfig(e, { url: 'ldap://dc1.corp.example' }), plain);
    expect(plain).toEqual([
      "identity.ldap.url: ldap:// without startTls would send people's passwords in clear text; " +
        'use ldaps://, or startTls: true (or allowPlainLdap: true for a directory you trust the path to)',
    ]);
    const trusted: string[] = [];
    parseLdapConfig(
      rawConfig(e, { url: 'ldap://dc1.corp.example', allowPlainLdap: true }),
      trusted,
    );
    expect(trusted).toEqual([]);
    const more: string[] = [];
    parseLdapConfig(
      rawConfig(e, { url: e.ldapsUrl, startTls: true, userFilter: '(uid={username}' }),
      more,
    );
    expect(more).toEqual([
      'identity.ldap.startTls: ldaps:// is already TLS; use ldap:// with startTls, or ldaps://',
      'identity.ldap.userFilter: "(uid={username}" is not an LDAP filter (RFC 4515)',
    ]);
    expect(parseLdapConfig('ldap://x', [])).toBeNull();
  });

  it('accepts both forms of the disabled attribute', () => {
    const bits = config(ldap(), {
      attributes: {
        id: 'objectGUID',
        username: 'sAMAccountName',
        displayName: 'displayName',
        email: 'mail',
        disabled: 'userAccountControl:2',
      },
    });
    expect(bits.attributes.disabled).toEqual({
      kind: 'bits',
      attribute: 'userAccountControl',
      mask: 2,
    });
    expect(config(ldap()).attributes.disabled).toEqual({
      kind: 'equals',
      attribute: 'employeeType',
      value: 'disabled',
    });
  });
});

describe('LDAP at scale and against a silent server', () => {
  it('lists 1,000 people over several pages (500 a page), groups read once', async () => {
    const own = await startSlapd();
    try {
      let started = Date.now();
      await own.addUsers(1000, { prefix: 'bulk', groups: ['emea-sales'] });
      const added = Date.now() - started;
      const d = new LdapDirectory(config(own));
      started = Date.now();
      const people = await d.listPeople();
      const listed = Date.now() - started;
      console.log(`slapd: 1,000 users added in ${added} ms, 1,004 listed in ${listed} ms`);
      expect(people).toHaveLength(1004);
      const one = people.find((p) => p.username === 'bulk0999')!;
      expect(one.groups).toEqual([groupDn('emea-sales'), groupDn('sales')]);
    } finally {
      await own.dispose();
    }
  });

  it('a server that accepts and never answers is unavailable within timeoutMs', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const d = directory({ url: `ldap://127.0.0.1:${port}`, timeoutMs: 300 });
      const started = Date.now();
      const error = await failure(d.authenticate('alice', alice.password), [alice.password]);
      expect(error.code).toBe('unavailable');
      expect(error.message).toBe(`cannot reach ldap://127.0.0.1:${port} (no answer within 300 ms)`);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
