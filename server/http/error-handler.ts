import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, appError, isOutage, type ErrorCode } from '../errors.ts';

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_BAD_URL: 'bad_request',
  FST_ERR_INVALID_URL: 'bad_request',
  FST_ERR_VALIDATION: 'validation_failed',
};

/** Turns anything thrown into an AppError; unknown errors become `internal` and reveal nothing. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isOutage(err)) return appError('service_unavailable');
  const e = err as Partial<FastifyError> & { name?: string };
  const mapped = e.code ? fastifyCodes[e.code] : undefined;
  if (mapped) return appError(mapped);
  // The JSON parser's syntax and prototype-poisoning errors carry status 400.
  if (e.name === 'SyntaxError' && e.statusCode === 400) return appError('invalid_json');
  if (typeof e.statusCode === 'number' && e.statusCode === 413) return appError('payload_too_large');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return appError('bad_request');
  return appError('internal');
}

/** Writes the one error body shape `{ error: { code, message, requestId, details? } }`. */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const body: { error: Record<string, unknown> } = {
    error: { code: error.code, message: error.message, requestId: request.id },
  };
  if (error.details !== undefined) body.error.details = error.details;
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.code(error.status).type('application/json; charset=utf-8').send(body);
}

const probeMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Installs the error handler and the not-found handler (404, or 405 with `Allow` when the path exists). */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(function handleError(err, request, reply) {
    const error = toAppError(err);
    if (error.status >= 500) request.log.error({ err, code: error.code }, 'request failed');
    else request.log.info({ code: error.code, detail: (err as Error).message }, 'request refused');
    return sendError(request, reply, error);
  });

  app.setNotFoundHandler(function handleNotFound(request, reply) {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = probeMethods.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0) {
      if (allowed.includes('GET')) allowed.push('HEAD' as never);
      return sendError(request, reply, appError('method_not_allowed', undefined, undefined, { allow: allowed.join(', ') }));
    }
    return sendError(request, reply, appError('route_not_found'));
  });
}
