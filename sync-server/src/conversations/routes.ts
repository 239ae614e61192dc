// HTTP routes of the membership service (`/api/v1/conversations…`, sync-server/API.md).
// Bodies are validated with valibot; every rule is the service's (and core's `can()`).
import * as v from 'valibot';
import { CONTROL } from '../accounts/validation';
import { parse, type RouteContext, type Router } from '../http/router';
import type { Caller, Conversations } from './service';

const Id = v.pipe(v.string(), v.regex(/^[0-9A-HJKMNP-TV-Z]{16}$/, 'must be a 16-character id'));
const Kind = v.picklist(['dm', 'channel', 'announcement'], 'kind is dm, channel or announcement');
const VisibilitySchema = v.picklist(['open', 'private'], 'visibility is open or private');
const RoleSchema = v.picklist(
  ['owner', 'moderator', 'member'],
  'role is owner, moderator or member',
);
const Title = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, 'title is empty'),
  v.maxLength(200),
  v.check((t) => !CONTROL.test(t), 'a title may not contain control characters'),
);

const CreateBody = v.strictObject({
  id: Id,
  kind: Kind,
  title: v.optional(Title),
  visibility: v.optional(VisibilitySchema),
  members: v.optional(v.pipe(v.array(Id), v.maxLength(1000))),
});
const PatchBody = v.strictObject({
  title: v.optional(Title),
  archived: v.optional(v.boolean()),
  // Bounds and characters are core's (model/events.ts), checked by the service; this only
  // keeps an oversized body from reaching it.
  topic: v.optional(v.pipe(v.string(), v.maxLength(2000))),
  description: v.optional(v.pipe(v.string(), v.maxLength(8000))),
});
const AddMembersBody = v.strictObject({
  userIds: v.pipe(v.array(Id), v.minLength(1, 'userIds is empty'), v.maxLength(1000)),
  role: v.optional(RoleSchema),
});
const RoleBody = v.strictObject({ role: RoleSchema });

function caller(ctx: RouteContext): Caller {
  const access = ctx.access;
  if (!access) throw new Error('conversation routes need an authenticated caller');
  return { id: access.userId, role: access.role, ip: ctx.ip };
}

const param = (ctx: RouteContext, name: string): string => ctx.params[name] ?? '';

export function registerConversationRoutes(router: Router, service: Conversations): void {
  router.post('/conversations', 'user', (ctx) => {
    const body = parse(CreateBody, ctx.body);
    const result = service.create(caller(ctx), body);
    return { status: result.created ? 201 : 200, body: result.conversation };
  });
  router.get('/conversations', 'user', (ctx) => {
    const browse = ctx.query.get('browse');
    if (browse === 'open') return { body: { conversations: service.browseOpen(caller(ctx)) } };
    if (browse !== null) parse(v.literal('open', 'browse must be "open"'), browse);
    return { body: { conversations: service.mine(caller(ctx)) } };
  });
  router.get('/conversations/:id', 'user', (ctx) => ({
    body: service.get(caller(ctx), param(ctx, 'id')),
  }));
  router.patch('/conversations/:id', 'user', (ctx) => ({
    body: service.update(caller(ctx), param(ctx, 'id'), parse(PatchBody, ctx.body)),
  }));
  router.post('/conversations/:id/members', 'user', (ctx) => {
    const body = parse(AddMembersBody, ctx.body);
    const result = service.addMembers(caller(ctx), param(ctx, 'id'), body.userIds, body.role);
    return { body: result };
  });
  router.patch('/conversations/:id/members/:userId', 'user', (ctx) => ({
    body: service.setRole(
      caller(ctx),
      param(ctx, 'id'),
      param(ctx, 'userId'),
      parse(RoleBody, ctx.body).role,
    ),
  }));
  router.delete('/conversations/:id/members/:userId', 'user', (ctx) => ({
    body: service.remove(caller(ctx), param(ctx, 'id'), param(ctx, 'userId')),
  }));
  router.post('/conversations/:id/join', 'user', (ctx) => ({
    body: service.join(caller(ctx), param(ctx, 'id')),
  }));
  router.post('/conversations/:id/leave', 'user', (ctx) => ({
    body: service.leave(caller(ctx), param(ctx, 'id')),
  }));
}
