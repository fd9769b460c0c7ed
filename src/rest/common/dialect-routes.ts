import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import type { RequestContext } from '../../app/context.js';
import { clientAddress } from '../../shared/request-origin.js';
import { route } from './http.js';
import type { OperationError, OperationRunner, Outcome } from './operation-runner.js';

/**
 * The prelude every REST route shares, so a dialect's router holds only what is its own (paths,
 * argument checks, shapes): the caller's context from its Authorization header, the named
 * operation run as that caller, failures written in the dialect's body, and unexpected errors
 * logged and answered with the dialect's 500, never Express's HTML page.
 */

export interface DialectErrors {
  /** The dialect's body for a failed operation or a refused token. */
  operation(res: Response, error: OperationError): void;
  /** The dialect's 500 body. */
  internal(res: Response): void;
}

export interface Dialect {
  /** For logs: "chat API", "v1", … */
  name: string;
  runner: OperationRunner;
  logger: Logger;
  errors: DialectErrors;
}

type Variables = Record<string, unknown>;

/** One call of a route: its request and response, and operations run as its caller. */
export class RouteCall {
  private context: Promise<Outcome<RequestContext>> | undefined;

  constructor(
    readonly req: Request,
    readonly res: Response,
    private readonly dialect: Dialect,
  ) {}

  /** The caller's context; null once the dialect's refusal (a bad or revoked token) has been written. */
  async caller(): Promise<RequestContext | null> {
    this.context ??= this.dialect.runner.context(this.req.headers.authorization, clientAddress(this.req.ip, this.req.headers['user-agent']));
    const context = await this.context;
    if (context.ok) return context.value;
    this.fail(context.error);
    return null;
  }

  /** Runs an operation as the caller and hands back its outcome, for routes that word some failures themselves. */
  async outcome<TData, TVariables extends Variables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables): Promise<Outcome<TData> | null> {
    const context = await this.caller();
    return context && this.dialect.runner.run(context, document, variables);
  }

  /** Runs an operation as the caller: its data, or undefined once the dialect's error body has been written. */
  async run<TData, TVariables extends Variables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables): Promise<TData | undefined> {
    const outcome = await this.outcome(document, variables);
    if (!outcome) return undefined;
    if (outcome.ok) return outcome.value;
    this.fail(outcome.error);
    return undefined;
  }

  /** Writes an operation's failure in the dialect's body. */
  fail(error: OperationError): void {
    this.dialect.errors.operation(this.res, error);
  }
}

export type RouteHandler = (call: RouteCall) => Promise<void>;

/** A dialect's routes on `router`, each wrapped in the shared prelude. */
export function dialectRoutes(router: Router, dialect: Dialect) {
  const handle = (handler: RouteHandler) =>
    route(
      (req, res) => handler(new RouteCall(req, res, dialect)),
      (res, error) => {
        dialect.logger.error({ err: error }, `${dialect.name} route failed`);
        dialect.errors.internal(res);
      },
    );
  return {
    get: (path: string, handler: RouteHandler) => router.get(path, handle(handler)),
    post: (path: string, handler: RouteHandler) => router.post(path, handle(handler)),
    put: (path: string, handler: RouteHandler) => router.put(path, handle(handler)),
    delete: (path: string, handler: RouteHandler) => router.delete(path, handle(handler)),
  };
}

export type DialectRoutes = ReturnType<typeof dialectRoutes>;
