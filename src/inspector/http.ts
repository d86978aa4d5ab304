/**
 * The inspector's HTTP plumbing: errors that carry a status, JSON replies,
 * the security headers every reply gets, and the checks on query
 * parameters (each failure is a 400 naming the parameter).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KlevdbError, OffsetNewest, OffsetOldest } from '../storage/index.js';
import { parseTimeMicros } from '../log-tools/index.js';
import type { ErrorReply } from './browser/api-types.js';
import { codeOf, statusOf } from './status.js';

/** A request the inspector answers with `status` and this message (code ERR_HTTP). */
export class HttpError extends KlevdbError<'ERR_HTTP'> {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('ERR_HTTP', message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, message);
export const notFound = (message: string): HttpError => new HttpError(404, message);

/**
 * The page loads its script and style from this server and talks only to it;
 * nothing inline, no frames, no plugins, and Trusted Types so no code path
 * can hand a string to innerHTML and friends.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

export function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

/**
 * The reply code of the inspector's own refusals: a bad parameter and a thing
 * that is not there get the codes the library uses for them, so a client
 * switches on one vocabulary; the HTTP-only ones (403, 405, 421, 503) are
 * ERR_HTTP, their status saying which.
 */
const HTTP_ERROR_CODES: Readonly<Record<number, string>> = { 400: 'ERR_INVALID_ARGUMENT', 404: 'ERR_NOT_FOUND' };

/** The status, code and message a failure is answered with. */
export function errorReply(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof HttpError)
    return { status: err.status, code: HTTP_ERROR_CODES[err.status] ?? err.code, message: err.message };
  return { status: statusOf(err), code: codeOf(err), message: err instanceof Error ? err.message : String(err) };
}

export function sendError(res: ServerResponse, err: unknown): void {
  const { status, code, message } = errorReply(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: ErrorReply = { error: message, status, code };
  sendJson(res, status, body);
}

/** The query of a request, with typed and checked accessors. */
export class Query {
  private readonly params: URLSearchParams;

  constructor(req: IncomingMessage) {
    this.params = new URL(req.url ?? '/', 'http://inspector.invalid').searchParams;
  }

  /** A string parameter; `required` makes a missing or empty one a 400. */
  string(name: string, required: true): string;
  string(name: string, required?: false): string | undefined;
  string(name: string, required = false): string | undefined {
    const all = this.params.getAll(name);
    if (all.length > 1) throw badRequest(`parameter ${name} is given ${all.length} times; give it once`);
    const v = all[0];
    if (v === undefined || v === '') {
      if (required) throw badRequest(`parameter ${name} is required`);
      return undefined;
    }
    if (v.length > 4096) throw badRequest(`parameter ${name} is longer than 4096 characters`);
    return v;
  }

  /** A whole number in [min, max]; `fallback` when missing. */
  integer(name: string, min: number, max: number, fallback: number): number {
    const v = this.string(name);
    if (v === undefined) return fallback;
    if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min || Number(v) > max) {
      throw badRequest(`parameter ${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return Number(v);
  }

  /** An offset, or 'oldest' / 'newest' (OffsetOldest / OffsetNewest). */
  offset(name: string, fallback: number): number {
    const v = this.string(name);
    if (v === undefined) return fallback;
    if (v === 'oldest') return OffsetOldest;
    if (v === 'newest') return OffsetNewest;
    if (/^\d+$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
    throw badRequest(
      `parameter ${name} must be an offset (a whole number >= 0), 'oldest' or 'newest', got ${JSON.stringify(v)}`,
    );
  }

  /** '1'/'true' or '0'/'false'. */
  flag(name: string): boolean {
    const v = this.string(name);
    if (v === undefined || v === '0' || v === 'false') return false;
    if (v === '1' || v === 'true') return true;
    throw badRequest(`parameter ${name} must be 1 or 0, got ${JSON.stringify(v)}`);
  }

  /** One of the allowed strings. */
  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.string(name);
    if (v === undefined) return fallback;
    if (!allowed.includes(v as T))
      throw badRequest(`parameter ${name} must be ${allowed.join(', ')}; got ${JSON.stringify(v)}`);
    return v as T;
  }

  /** A time as microseconds since the epoch: ISO 8601 (as the CLI takes it), 'now', or a number of microseconds. */
  time(name: string): number {
    const v = this.string(name, true);
    if (/^\d{1,17}$/.test(v)) return Number(v);
    try {
      return parseTimeMicros(v, `parameter ${name}`);
    } catch (err) {
      throw badRequest(err instanceof Error ? err.message : String(err));
    }
  }

  /** Bytes given as text (UTF-8), hex or base64, as `enc` says. */
  bytes(name: string, encName: string): Buffer {
    const v = this.string(name, true);
    const enc = this.choice(encName, ['text', 'hex', 'base64'] as const, 'text');
    if (enc === 'text') return Buffer.from(v, 'utf8');
    if (enc === 'hex') {
      const hex = v.replace(/^hex:/, '');
      if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex))
        throw badRequest(`parameter ${name} must be hex digits in pairs with ${encName}=hex`);
      return Buffer.from(hex, 'hex');
    }
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(v) || v.length % 4 === 1)
      throw badRequest(`parameter ${name} must be base64 with ${encName}=base64`);
    return Buffer.from(v, 'base64');
  }
}
