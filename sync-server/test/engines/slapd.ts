// A real OpenLDAP for tests (Debian's slapd, issue 15): a generated slapd.conf, the test tree of
// slapd-tree.ts loaded with slapadd, the server in the foreground on 127.0.0.1 with ldap://
// (StartTLS offered) and ldaps:// on two ephemeral ports, certificates from a test CA made at
// start. Helpers change the tree mid-test as the rootdn.
//
//   const ldap = await startSlapd();    // ldap.url, ldap.ldapsUrl, ldap.caFile, ldap.serviceDn…
//   await ldap.setDisabled('bob', true); await ldap.renameUser('bob', 'robert');
//   await ldap.dispose();               // stopped and removed (also done at process exit)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll } from 'vitest';
import {
  exited,
  findBinary,
  freePort,
  pollUntil,
  removeDir,
  runToEnd,
  spawnEngine,
  tempDir,
  trackDir,
} from './common';
import {
  GROUPS_BASE,
  PEOPLE_BASE,
  ROOT_DN,
  SERVICE_DN,
  SUFFIX,
  TEST_GROUPS,
  TEST_USERS,
  groupDn,
  makeCertificates,
  personAttributes,
  slapdConf,
  ssha,
  treeLdif,
  userDn,
  type TreeUser,
} from './slapd-tree';

export { GROUPS_BASE, PEOPLE_BASE, SERVICE_DN, SUFFIX, TEST_GROUPS, TEST_USERS, groupDn, userDn };
export type { TreeUser };

const HINT = 'install Debian\'s "slapd" and "ldap-utils" packages (.ci/run does)';

export interface SlapdEngine {
  /** ldap://127.0.0.1:PORT (plain; StartTLS offered with the test CA's certificate). */
  readonly url: string;
  /** ldaps://127.0.0.1:PORT */
  readonly ldapsUrl: string;
  readonly port: number;
  readonly ldapsPort: number;
  readonly dir: string;
  readonly suffix: string;
  readonly rootDn: string;
  readonly rootPassword: string;
  /** cn=svc-ferry,ou=service,dc=ferry,dc=test: reads the tree (not passwords). */
  readonly serviceDn: string;
  readonly servicePassword: string;
  /** A file holding the service password (as `bindPasswordFile` expects), newline-terminated. */
  readonly servicePasswordFile: string;
  /** The CA that signed the server's certificate (SAN localhost, 127.0.0.1). */
  readonly caFile: string;
  /** A CA that did not sign it. */
  readonly wrongCaFile: string;
  running(): boolean;
  /** Starts again after stop() or kill(), same ports, same data. */
  start(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  addUser(user: TreeUser, groups?: string[]): Promise<string>;
  /** `count` users `${prefix}0000`… (password `${prefix}-pw`) in `groups`; their uids. */
  addUsers(count: number, options?: { prefix?: string; groups?: string[] }): Promise<string[]>;
  removeUser(uid: string): Promise<void>;
  /** `employeeType: disabled` and `employeeNumber: 514` (AD-like bit 2) on, or 512 and none. */
  setDisabled(uid: string, disabled: boolean): Promise<void>;
  setPassword(uid: string, password: string): Promise<void>;
  /** New uid and DN (refint moves the group memberships along); the entryUUID stays. */
  renameUser(uid: string, newUid: string): Promise<void>;
  /** `member` is a DN (use userDn()/groupDn()). */
  addMember(group: string, member: string): Promise<void>;
  removeMember(group: string, member: string): Promise<void>;
  entryUuid(uid: string): Promise<string>;
  log(): string;
  dispose(): Promise<void>;
}

/**
 * The relay's `identity.ldap` section for this engine's test tree (docs/identity.md): where
 * to connect, the service account, the bases, the filter and the attribute map. Callers add
 * roles, channels, TLS and timing with `over`.
 */
export function testLdapConfig(
  e: Pick<SlapdEngine, 'url' | 'serviceDn' | 'servicePasswordFile'>,
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    url: e.url,
    bindDn: e.serviceDn,
    bindPasswordFile: e.servicePasswordFile,
    userBase: PEOPLE_BASE,
    userFilter: '(&(objectClass=inetOrgPerson)(uid={username}))',
    attributes: {
      id: 'entryUUID',
      username: 'uid',
      displayName: 'displayName',
      email: 'mail',
      disabled: 'employeeType=disabled',
    },
    groups: { base: GROUPS_BASE, nested: true },
    timeoutMs: 3000,
    ...over,
  };
}

/** The test tree's groups as roles: admins, staff members, contractors guests. */
export const TEST_ROLES: Record<string, string> = {
  [groupDn('ferry-admins')]: 'admin',
  [groupDn('staff')]: 'member',
  [groupDn('contractors')]: 'guest',
};

export interface SlapdOptions {
  readyTimeoutMs?: number;
}

/** Runs `work` with a client bound as `dn`, always unbinding. */
async function withClient<T>(
  url: string,
  dn: string,
  password: string,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ url, timeout: 10_000, connectTimeout: 2_000 });
  try {
    await client.bind(dn, password);
    return await work(client);
  } finally {
    await client.unbind().catch(() => {});
  }
}

export async function startSlapd(options: SlapdOptions = {}): Promise<SlapdEngine> {
  const slapd = findBinary('slapd', ['/usr/sbin'], HINT);
  const slapadd = findBinary('slapadd', ['/usr/sbin'], HINT);
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const dir = tempDir('ferry-slapd-', null);
  trackDir(dir);
  const rootPassword = 'root-secret';
  const servicePassword = 'svc-secret-42';
  const conf = path.join(dir, 'slapd.conf');
  const servicePasswordFile = path.join(dir, 'service.pw');
  let child: ChildProcess | null = null;
  let output = '';
  let port = 0;
  let ldapsPort = 0;

  const start = async (): Promise<void> => {
    if (child) return;
    const urls = `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${ldapsPort}/`;
    // -d: stay in the foreground (the parent-death signal must reach it); 0 logs nothing,
    // FERRY_SLAPD_DEBUG=-1 logs everything (see log()).
    const debug = process.env.FERRY_SLAPD_DEBUG ?? '0';
    const proc = spawnEngine(slapd, ['-d', debug, '-f', conf, '-h', urls], null);
    child = proc;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.once('exit', () => {
      if (child === proc) child = null;
    });
    await pollUntil(
      () => withClient(`ldap://127.0.0.1:${port}`, ROOT_DN, rootPassword, async () => true),
      () => (proc.exitCode !== null || proc.signalCode !== null ? `exited:\n${output}` : null),
      readyTimeoutMs,
      `slapd on ports ${port}/${ldapsPort}`,
    );
  };
  const halt = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc) return;
    proc.kill(signal);
    await exited(proc);
  };

  try {
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(conf, slapdConf(dir, rootPassword));
    writeFileSync(servicePasswordFile, `${servicePassword}\n`, { mode: 0o600 });
    writeFileSync(path.join(dir, 'tree.ldif'), treeLdif(servicePassword));
    await makeCertificates(dir);
    await runToEnd(slapadd, ['-q', '-f', conf, '-l', path.join(dir, 'tree.ldif')], null);
    // An ephemeral port may be taken between freePort() and the bind: try others.
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      ldapsPort = await freePort();
      try {
        await start();
        break;
      } catch (error) {
        await halt('SIGKILL');
        if (attempt >= 2 || !/address already in use|bind.*failed/i.test(output)) throw error;
      }
    }
  } catch (error) {
    await halt('SIGKILL');
    removeDir(dir);
    throw error;
  }

  const url = `ldap://127.0.0.1:${port}`;
  const asRoot = <T>(work: (client: Client) => Promise<T>) =>
    withClient(url, ROOT_DN, rootPassword, work);
  const replace = (uid: string, type: string, values: string[]) =>
    asRoot((c) =>
      c.modify(
        userDn(uid),
        new Change({ operation: 'replace', modification: new Attribute({ type, values }) }),
      ),
    );
  const member = (operation: 'add' | 'delete', group: string, dn: string) =>
    asRoot((c) =>
      c.modify(
        groupDn(group),
        new Change({ operation, modification: new Attribute({ type: 'member', values: [dn] }) }),
      ),
    );

  return {
    url,
    ldapsUrl: `ldaps://127.0.0.1:${ldapsPort}`,
    port,
    ldapsPort,
    dir,
    suffix: SUFFIX,
    rootDn: ROOT_DN,
    rootPassword,
    serviceDn: SERVICE_DN,
    servicePassword,
    servicePasswordFile,
    caFile: path.join(dir, 'ca.pem'),
    wrongCaFile: path.join(dir, 'wrong-ca.pem'),
    running: () => child !== null,
    start,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    addUser: async (user, groups = []) => {
      await asRoot((c) => c.add(userDn(user.uid), personAttributes(user)));
      for (const g of groups) await member('add', g, userDn(user.uid));
      return userDn(user.uid);
    },
    addUsers: async (count, { prefix = 'user', groups = [] } = {}) => {
      const uids = Array.from(
        { length: count },
        (_, i) => `${prefix}${String(i).padStart(4, '0')}`,
      );
      const hash = ssha(`${prefix}-pw`);
      await asRoot(async (c) => {
        // Pipelined on one connection, 32 in flight: 1,000 entries in well under a few seconds.
        for (let i = 0; i < uids.length; i += 32) {
          await Promise.all(
            uids.slice(i, i + 32).map((uid) =>
              c.add(userDn(uid), {
                ...personAttributes({ uid, password: '', displayName: `User ${uid}`, mail: null }),
                mail: `${uid}@ferry.test`,
                userPassword: hash,
              }),
            ),
          );
        }
        for (const g of groups) {
          await c.modify(
            groupDn(g),
            new Change({
              operation: 'add',
              modification: new Attribute({ type: 'member', values: uids.map(userDn) }),
            }),
          );
        }
      });
      return uids;
    },
    removeUser: (uid) => asRoot((c) => c.del(userDn(uid))),
    setDisabled: async (uid, disabled) => {
      await replace(uid, 'employeeType', disabled ? ['disabled'] : []);
      await replace(uid, 'employeeNumber', [disabled ? '514' : '512']);
    },
    setPassword: (uid, password) => replace(uid, 'userPassword', [ssha(password)]),
    renameUser: (uid, newUid) => asRoot((c) => c.modifyDN(userDn(uid), `uid=${newUid}`)),
    addMember: (group, dn) => member('add', group, dn),
    removeMember: (group, dn) => member('delete', group, dn),
    entryUuid: (uid) =>
      asRoot(async (c) => {
        const { searchEntries } = await c.search(userDn(uid), {
          scope: 'base',
          attributes: ['entryUUID'],
        });
        return String(searchEntries[0]?.entryUUID ?? '');
      }),
    log: () => output,
    dispose: async () => {
      await halt('SIGTERM');
      removeDir(dir);
    },
  };
}

/** One slapd for the whole test file (see usePostgres). Call at the top level of a test file. */
export function useSlapd(options: SlapdOptions = {}): () => SlapdEngine {
  let engine: SlapdEngine | null = null;
  beforeAll(async () => {
    engine = await startSlapd(options);
  }, 30_000);
  afterAll(async () => {
    await engine?.dispose();
    engine = null;
  });
  return () => {
    if (!engine) throw new Error('useSlapd(): the engine is used outside the tests of its file');
    return engine;
  };
}
