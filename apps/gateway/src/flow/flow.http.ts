import type { FastifyReply } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from '../problems/problem.filter.js';
import type { FlowResponse } from './flow.service.js';

/** What a flow route answers in: the flow, or a problem. */
export const FLOW_MEDIA_TYPES = ['application/json', PROBLEM_CONTENT_TYPE];

/** RFC 9110 If-None-Match: weak comparison, a list of tags, or "*". */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}

/** A request header Cache-Control with no-cache asks for a fresh answer from upstream. */
export function wantsNoCache(cacheControl: string | undefined, pragma: string | undefined): boolean {
  // Pragma counts only without Cache-Control (RFC 9111 §5.4).
  if (!cacheControl) return pragma?.toLowerCase() === 'no-cache';
  return cacheControl
    .toLowerCase()
    .split(',')
    .some((directive) => directive.trim() === 'no-cache');
}

export function sendFlow(reply: FastifyReply, flow: FlowResponse, ifNoneMatch: string | undefined): FastifyReply {
  void reply.headers({
    etag: flow.etag,
    'cache-control': `private, max-age=${flow.maxAgeSeconds}`,
    'cache-status': flow.cacheStatus,
  });
  if (matchesIfNoneMatch(ifNoneMatch, flow.etag)) return reply.status(304).send();
  return reply.status(200).type('application/json; charset=utf-8').send(flow.body);
}
