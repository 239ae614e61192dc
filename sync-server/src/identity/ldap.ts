// The LDAP / Active Directory source (docs/identity.md, issue 15) with ldapts: sign-in by
// bind-and-search (the service account finds the person by the filter, the person's own bind
// checks the password), look-ups and a paged listing for the sync, groups with nesting resolved.
// One connection per operation, always closed; every wait is bounded by timeoutMs; failures
// become IdentityErrors in words (ldap-errors.ts) that never hold a password.
import type { Client, Entry } from 'ldapts';
import net from 'node:net';
import { escapeFilterValue, normaliseDn, type LdapConfig } from './ldap-config';
import { describeLdapError, type Phase } from './ldap-errors';
import { ldapts } from './ldapts';
import { IdentityError, type ExternalPerson } from './types';

const PAGE_SIZE = 500;
/** Nested groups are looked up this many parent DNs per search (a sign-in's walk). */
const OR_CHUNK = 50;
const MAX_USERNAME = 256;
const REFUSED = 'wrong username or password';

type Value = Entry[string];

/** The attribute's first value, attribute names compared without case. */
function first(entry: Entry, name: string): string | Buffer | null {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const value: Value | undefined = key === undefined ? undefined : entry[key];
  const one = Array.isArray(value) ? value[0] : value;
  return one === undefined || one === '' ? null : one;
}

function all(entry: Entry, name: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? [] : entry[key];
  return (Array.isArray(value) ? value : [value]).map(String).filter((v) => v !== '');
}

export class LdapDirectory {
  constructor(readonly config: LdapConfig) {}

  /**
   * Checks a username and password against the directory: the person as it describes them
   * (disabled people included, flagged), or IdentityError 'invalid-credentials' for an unknown
   * user and a wrong password alike. An empty password is refused before any bind: LDAP takes
   * it as an unauthenticated bind, which "succeeds".
   */
  async authenticate(username: string, password: string): Promise<ExternalPerson> {
    const name = username.trim();
    if (name === '' || name.length > MAX_USERNAME || password === '') {
      throw new IdentityError('invalid-credentials', REFUSED);
    }
    return this.session([password], async (client) => {
      const entry = await this.findOne(client, name);
      if (!entry) throw new IdentityError('invalid-credentials', REFUSED);
      const groups = await this.groupsOf(client, entry.dn);
      // Last on this connection: the person's own bind ends the service account's rights.
      try {
        await client.bind(entry.dn, password);
      } catch (error) {
        throw describeLdapError(error, 'user-bind', this.config, [password]);
      }
      return this.toPerson(entry, groups);
    });
  }

  /** The person of that username as the service account sees them; null when not found. */
  async lookup(username: string): Promise<ExternalPerson | null> {
    const name = username.trim();
    if (name === '' || name.length > MAX_USERNAME) return null;
    return this.session([], async (client) => {
      const entry = await this.findOne(client, name);
      return entry ? this.toPerson(entry, await this.groupsOf(client, entry.dn)) : null;
    });
  }

  /** Everyone under userBase matching userFilter (`{username}` → `*`), groups resolved. */
  async listPeople(): Promise<ExternalPerson[]> {
    return this.session([], async (client) => {
      const entries = await this.search(client, this.config.userBase, this.listFilter(), [
        ...this.personAttributes(),
      ]);
      const parents = await this.allGroupParents(client);
      return entries.map((entry) => this.toPerson(entry, this.closure(entry.dn, parents)));
    });
  }

  /** Connect, service bind, one search: what an admin sees on "Test connection". */
  async test(): Promise<{ message: string; people: number }> {
    return this.session([], async (client) => {
      const people = (await this.search(client, this.config.userBase, this.listFilter(), ['1.1']))
        .length;
      if (this.config.groups) {
        await this.search(client, this.config.groups.base, this.config.groups.filter, ['1.1'], 1);
      }
      const how = this.config.secure ? 'TLS' : this.config.startTls ? 'StartTLS' : 'no TLS';
      return {
        message: `connected to ${this.config.url} (${how}), the service account signed in, ${people} ${people === 1 ? 'person matches' : 'people match'} the user filter under ${this.config.userBase}`,
        people,
      };
    });
  }

  /** A connection bound as the service account for `work`, closed whatever happens. */
  private async session<T>(secrets: string[], work: (client: Client) => Promise<T>): Promise<T> {
    const { config } = this;
    const hidden = [config.bindPassword(), ...secrets];
    const client = new (ldapts().Client)({
      url: config.url,
      timeout: config.timeoutMs,
      connectTimeout: config.timeoutMs,
      // ldapts takes any tlsOptions as "TLS from the first byte": only for ldaps://.
      tlsOptions: config.secure ? this.tlsOptions() : undefined,
    });
    let phase: Phase = 'connect';
    try {
      if (config.startTls) {
        phase = 'starttls';
        await client.startTLS({ ...this.tlsOptions(), host: config.host });
      }
      phase = 'service-bind';
      await client.bind(config.bindDn, config.bindPassword());
      phase = 'search';
      return await work(client);
    } catch (error) {
      throw describeLdapError(error, phase, config, hidden);
    } finally {
      await client.unbind().catch(() => {});
    }
  }

  private tlsOptions() {
    const { ca, host } = this.config;
    return {
      ca: ca ?? undefined,
      minVersion: 'TLSv1.2' as const,
      // SNI only for names (Node refuses an IP there); the certificate is checked either way.
      ...(net.isIP(host) ? {} : { servername: host }),
    };
  }

  private listFilter(): string {
    return this.config.userFilter.split('{username}').join('*');
  }

  private personAttributes(): string[] {
    const a = this.config.attributes;
    const names = [a.id, a.username, a.displayName, a.email];
    if (a.disabled) names.push(a.disabled.attribute);
    return names;
  }

  private async search(
    client: Client,
    base: string,
    filter: string,
    attributes: string[],
    sizeLimit = 0,
  ): Promise<Entry[]> {
    const id = this.config.attributes.id;
    const { searchEntries } = await client.search(base, {
      scope: 'sub',
      filter,
      attributes,
      sizeLimit,
      timeLimit: Math.ceil(this.config.timeoutMs / 1000),
      paged: sizeLimit === 0 ? { pageSize: PAGE_SIZE } : false,
      // AD's objectGUID is 16 raw bytes: read it as bytes (hex in toPerson).
      explicitBufferAttributes: /^objectguid$/i.test(id) ? [id] : [],
    });
    return searchEntries;
  }

  /** The one entry the filter finds for this name; null for none, refused for several. */
  private async findOne(client: Client, name: string): Promise<Entry | null> {
    const filter = this.config.userFilter.split('{username}').join(escapeFilterValue(name));
    let entries: Entry[];
    try {
      entries = await this.search(client, this.config.userBase, filter, this.personAttributes(), 2);
    } catch (error) {
      if (!(error instanceof ldapts().SizeLimitExceededError)) throw error;
      entries = [{ dn: '' }, { dn: '' }];
    }
    if (entries.length > 1) {
      throw new IdentityError(
        'misconfigured',
        'the user filter finds more than one entry for this username; make it match one person',
      );
    }
    return entries[0] ?? null;
  }

  /** The groups `dn` is in, nested ones walked upwards level by level (one search a level). */
  private async groupsOf(client: Client, dn: string): Promise<string[]> {
    const groups = this.config.groups;
    if (!groups) return [];
    const found = new Set<string>();
    let frontier = [dn];
    for (let depth = 0; depth < groups.maxDepth && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (let i = 0; i < frontier.length; i += OR_CHUNK) {
        const members = frontier
          .slice(i, i + OR_CHUNK)
          .map((d) => `(member=${escapeFilterValue(d)})(uniqueMember=${escapeFilterValue(d)})`)
          .join('');
        const filter = `(&${groups.filter}(|${members}))`;
        for (const entry of await this.search(client, groups.base, filter, ['1.1'])) {
          const group = normaliseDn(entry.dn);
          if (!found.has(group)) {
            found.add(group);
            next.push(entry.dn);
          }
        }
      }
      frontier = next;
    }
    return [...found].sort();
  }

  /** Every group under groups.base read once: member DN → the groups it is directly in. */
  private async allGroupParents(client: Client): Promise<Map<string, string[]>> {
    const parents = new Map<string, string[]>();
    const groups = this.config.groups;
    if (!groups) return parents;
    const entries = await this.search(client, groups.base, groups.filter, [
      'member',
      'uniqueMember',
    ]);
    for (const entry of entries) {
      const group = normaliseDn(entry.dn);
      for (const member of [...all(entry, 'member'), ...all(entry, 'uniqueMember')]) {
        const key = normaliseDn(member);
        const list = parents.get(key);
        if (list) list.push(group);
        else parents.set(key, [group]);
      }
    }
    return parents;
  }

  /** The groups `dn` is in through `parents`, up to maxDepth levels, cycles cut. */
  private closure(dn: string, parents: Map<string, string[]>): string[] {
    const found = new Set<string>();
    let frontier = [normaliseDn(dn)];
    const depth = this.config.groups?.maxDepth ?? 0;
    for (let level = 0; level < depth && frontier.length > 0; level++) {
      const next: string[] = [];
      for (const member of frontier) {
        for (const group of parents.get(member) ?? []) {
          if (!found.has(group)) {
            found.add(group);
            next.push(group);
          }
        }
      }
      frontier = next;
    }
    return [...found].sort();
  }

  private toPerson(entry: Entry, groups: string[]): ExternalPerson {
    const a = this.config.attributes;
    const id = first(entry, a.id);
    const username = first(entry, a.username);
    if (id === null || username === null) {
      throw new IdentityError(
        'misconfigured',
        `the entry ${entry.dn} has no ${id === null ? a.id : a.username} attribute (attributes.${id === null ? 'id' : 'username'}; entryUUID on OpenLDAP, objectGUID on AD)`,
      );
    }
    const externalId = Buffer.isBuffer(id) ? id.toString('hex') : id.toLowerCase();
    const displayName = first(entry, a.displayName);
    const email = first(entry, a.email);
    return {
      externalId,
      username: String(username).toLowerCase(),
      displayName: displayName === null ? String(username) : String(displayName),
      email: email === null ? null : String(email),
      disabled: this.isDisabled(entry),
      groups,
    };
  }

  private isDisabled(entry: Entry): boolean {
    const rule = this.config.attributes.disabled;
    if (!rule) return false;
    const values = all(entry, rule.attribute);
    if (rule.kind === 'bits') {
      return values.some((v) => /^-?\d+$/.test(v) && (BigInt(v) & BigInt(rule.mask)) !== 0n);
    }
    return values.some((v) => v.toLowerCase() === rule.value.toLowerCase());
  }
}
