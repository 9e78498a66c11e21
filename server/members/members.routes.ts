import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actorOf, userOf } from '../auth/authenticate.ts';
import { parse } from '../http/validate.ts';
import { acceptInvitation, invite, listInvitations, revokeInvitation } from './invitations.service.ts';
import { changeRole, listMembers, removeMember, type MembersDeps } from './members.service.ts';

const role = z.enum(['owner', 'admin', 'member']);
const userParams = z.object({ userId: z.string().max(100) });
const invitationParams = z.object({ invitationId: z.string().max(100) });
const inviteBody = z.object({ email: z.email().max(320), role }).strict();
const roleBody = z.object({ role }).strict();
const acceptBody = z.object({ token: z.string().min(20).max(200).regex(/^[A-Za-z0-9_-]+$/) }).strict();

/** `/api/members…` and `/api/invitations…`: the team. */
export async function membersRoutes(app: FastifyInstance, deps: MembersDeps): Promise<void> {
  const admin = { rateTier: 'admin' as const };
  app.get('/members', { config: admin }, async function list(request) {
    return listMembers(deps, actorOf(request));
  });
  app.patch('/members/:userId', { config: admin }, async function update(request) {
    return changeRole(deps, actorOf(request), parse(userParams, request.params).userId, parse(roleBody, request.body).role, request.id);
  });
  app.delete('/members/:userId', { config: admin }, async function remove(request, reply) {
    await removeMember(deps, actorOf(request), parse(userParams, request.params).userId, request.id);
    return reply.code(204).send();
  });
  app.get('/invitations', { config: admin }, async function listInv(request) {
    return listInvitations(deps, actorOf(request));
  });
  app.post('/invitations', { config: admin }, async function create(request, reply) {
    return reply.code(201).send(await invite(deps, actorOf(request), parse(inviteBody, request.body), request.id));
  });
  app.delete('/invitations/:invitationId', { config: admin }, async function revoke(request, reply) {
    await revokeInvitation(deps, actorOf(request), parse(invitationParams, request.params).invitationId, request.id);
    return reply.code(204).send();
  });
  app.post('/invitations/accept', { config: { rateTier: 'auth', auth: 'user' } }, async function accept(request) {
    return acceptInvitation(deps, userOf(request), parse(acceptBody, request.body).token, request.id);
  });
}
