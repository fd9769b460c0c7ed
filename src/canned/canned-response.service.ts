import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Config } from '../config/config.js';
import type { Scope } from '../db/scope.js';
import { CannedResponse } from '../model/canned-response.entity.js';
import { Tenant } from '../model/tenant.entity.js';
import { User } from '../model/user.entity.js';
import { type Connection, forwardConnection } from '../shared/connection.js';
import { UserRole } from '../shared/enums.js';
import { badInput, conflict, notFound } from '../shared/errors.js';
import { requireSupportStaff, requireUser } from '../shared/guards.js';
import { MAX_CONTENT_LENGTH } from '../shared/limits.js';
import { intInRange, parseId, requireText } from '../shared/validate.js';

/** A short code: what an agent types after "/" to insert the response. */
export const SHORT_CODE_PATTERN = /^[a-z0-9_-]{1,32}$/;
export const MAX_SEARCH_LENGTH = 200;
export const MAX_SEARCH_WORDS = 10;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export interface CannedResponseQuery {
  /** Short codes starting with this (a leading "/" is ignored, case-insensitive). */
  shortCodePrefix?: string | null;
  /** Words the content must contain, each as a word prefix ("ref" finds "refund"). */
  query?: string | null;
  first?: number | null;
  /** endCursor of the previous page. */
  after?: string | null;
}

/** A page by short code; each edge's cursor (endCursor for the next page) may be passed as `after`. */
export interface CannedResponsePage extends Connection<CannedResponse> {
  /** Matches of the whole query (every page). */
  totalCount: number;
}

export interface CannedResponseInput {
  shortCode?: string | null;
  content?: string | null;
}

function shortCodeOf(value: string | null | undefined, field: string): string {
  const code = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (!SHORT_CODE_PATTERN.test(code)) throw badInput(field, `${field} must be 1 to 32 of a-z, 0-9, "_" and "-"`);
  return code;
}

/** The content condition as a tsquery over the `simple` configuration: every word, as a prefix. */
function contentQuery(value: string): string {
  if (value.length > MAX_SEARCH_LENGTH) throw badInput('query', `query must be at most ${MAX_SEARCH_LENGTH} characters`, 'TOO_LONG');
  const words = value.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) throw badInput('query', 'query has no words to search for', 'SEARCH_QUERY_EMPTY');
  if (words.length > MAX_SEARCH_WORDS) throw badInput('query', `query may have at most ${MAX_SEARCH_WORDS} words`, 'TOO_LONG');
  // Letters and digits only: nothing in a word can be tsquery syntax.
  return words.map((word) => `${word}:*`).join(' & ');
}

/** A cursor is the short code (base64url); another list's cursor (`<kind>:<id>`) never reads as one, a short code having no ":". */
const encodeCursor = (shortCode: string) => Buffer.from(shortCode, 'utf8').toString('base64url');

function decodeCursor(cursor: string): string {
  const code = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!SHORT_CODE_PATTERN.test(code)) throw badInput('after', 'after is not a valid cursor', 'INVALID_CURSOR');
  return code;
}

/**
 * Canned responses of the viewer's tenant: admins write them, support staff and admins list and
 * search them. Customers, guests and bots may not (bots answer with their own text; a canned
 * library is for people). Another tenant's id is not found, exactly like a missing one.
 */
export class CannedResponseService {
  constructor(
    private readonly scope: Scope,
    private readonly deps: { config: Pick<Config, 'cannedResponsesMax'> },
  ) {}

  private admin() {
    return requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
  }

  async get(idArg: string): Promise<CannedResponse> {
    requireSupportStaff(this.scope.viewer);
    return this.find(idArg);
  }

  /**
   * Ordered by short code, paged by it (keyset: deep pages cost what the first does). The prefix
   * runs on the unique (tenant, short_code) index ("C" collation), the words on the GIN index.
   */
  async list(input: CannedResponseQuery): Promise<CannedResponsePage> {
    const viewer = requireSupportStaff(this.scope.viewer);
    const first = intInRange(input.first, 'first', 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    const where: string[] = ['c.tenant_id = ?'];
    const params: unknown[] = [viewer.tenantId];
    if (input.shortCodePrefix !== null && input.shortCodePrefix !== undefined && input.shortCodePrefix.trim() !== '') {
      const prefix = shortCodeOf(input.shortCodePrefix.trim().replace(/^\//, ''), 'shortCodePrefix');
      where.push(`c.short_code like ?`);
      params.push(`${prefix.replace(/_/g, '\\_')}%`);
    }
    if (input.query !== null && input.query !== undefined && input.query.trim() !== '') {
      where.push(`c.search_vector @@ to_tsquery('simple', ?)`);
      params.push(contentQuery(input.query));
    }
    const after = input.after ? decodeCursor(input.after) : null;
    const { em } = this.scope;
    const filter = where.join(' and ');
    const [counted] = await em.execute<{ count: string }[]>(`select count(*)::text as count from canned_responses c where ${filter}`, params);
    const pageWhere = after === null ? filter : `${filter} and c.short_code > ?`;
    const pageParams = after === null ? params : [...params, after];
    const rows = await em.execute<{ id: string }[]>(`select c.id::text as id from canned_responses c where ${pageWhere} order by c.short_code limit ${first + 1}`, pageParams);
    const ids = rows.slice(0, first).map((row) => row.id);
    const items = ids.length === 0 ? [] : await em.find(CannedResponse, { id: { $in: ids } }, { orderBy: { shortCode: 'asc' } });
    const edges = items.map((node) => ({ cursor: encodeCursor(node.shortCode), node }));
    return { ...forwardConnection(edges, rows.length > first, input.after), totalCount: Number(counted?.count ?? 0) };
  }

  /** Admins. At most CANNED_RESPONSES_MAX per tenant, counted under a lock on the tenant row, so concurrent creates cannot overshoot. */
  async create(input: CannedResponseInput): Promise<CannedResponse> {
    const admin = this.admin();
    const shortCode = shortCodeOf(input.shortCode, 'shortCode');
    const content = requireText(input.content, 'content', MAX_CONTENT_LENGTH);
    const max = this.deps.config.cannedResponsesMax;
    try {
      return await this.scope.em.transactional(async (tx) => {
        await tx.execute('select id from tenants where id = ? for update', [admin.tenantId]);
        const count = await tx.count(CannedResponse, {});
        if (count >= max) throw conflict('CANNED_RESPONSE_LIMIT', `A tenant may have at most ${max} canned responses`);
        const created = tx.create(CannedResponse, {
          tenant: tx.getReference(Tenant, admin.tenantId),
          shortCode,
          content,
          createdBy: tx.getReference(User, admin.userId),
        });
        await tx.flush();
        return created;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw conflict('SHORT_CODE_TAKEN', `The short code "${shortCode}" is taken`);
      throw error;
    }
  }

  /** Admins: changes what is given (at least one of the two). */
  async update(idArg: string, input: CannedResponseInput): Promise<CannedResponse> {
    this.admin();
    const shortCode = input.shortCode === null || input.shortCode === undefined ? null : shortCodeOf(input.shortCode, 'shortCode');
    const content = input.content === null || input.content === undefined ? null : requireText(input.content, 'content', MAX_CONTENT_LENGTH);
    if (shortCode === null && content === null) throw badInput('content', 'Give a new shortCode or content');
    const response = await this.find(idArg);
    if (shortCode !== null) response.shortCode = shortCode;
    if (content !== null) response.content = content;
    response.updatedAt = new Date();
    try {
      await this.scope.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw conflict('SHORT_CODE_TAKEN', `The short code "${shortCode}" is taken`);
      throw error;
    }
    return response;
  }

  /** Admins: true once it is gone. */
  async delete(idArg: string): Promise<boolean> {
    this.admin();
    const response = await this.find(idArg);
    await this.scope.em.remove(response).flush();
    return true;
  }

  private async find(idArg: string): Promise<CannedResponse> {
    const response = await this.scope.em.findOne(CannedResponse, { id: parseId(idArg, 'id') });
    if (!response) throw notFound('CANNED_RESPONSE_NOT_FOUND');
    return response;
  }
}
