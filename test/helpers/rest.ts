import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { buildOpenApiDocument } from '../../src/rest/openapi/openapi.document.js';

export interface RestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON (a test failure for every dialect). */
  body: any;
  text: string;
}

export interface RestOptions {
  token?: string;
  body?: unknown;
  /** Sent as is (for malformed JSON and other content types). */
  raw?: string;
  /** Sent as multipart/form-data. */
  form?: FormData;
  headers?: Record<string, string>;
}

export async function rest(baseUrl: string, method: string, path: string, options: RestOptions = {}): Promise<RestResponse> {
  const headers: Record<string, string> = { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
  let payload: string | FormData | undefined;
  if (options.form !== undefined) {
    payload = options.form;
  } else if (options.raw !== undefined) {
    payload = options.raw;
    headers['content-type'] = 'application/json';
  } else if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, options.headers);
  const response = await fetch(baseUrl + path, { method, headers, body: payload });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // left as text: expectDocumented fails on it
  }
  return { status: response.status, headers: response.headers, body, text };
}

type Validator = ((data: unknown) => boolean) & { errors?: unknown };

/** Validates responses against the OpenAPI document the server serves (the same builder). */
export class OpenApiChecker {
  readonly document = buildOpenApiDocument() as any;
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly cache = new Map<string, Validator>();
  readonly seen = new Set<string>();

  constructor() {
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema({ $id: 'openapi', components: this.document.components }, 'openapi');
  }

  /** Fails unless the status is documented for the operation and the body matches its schema (or it has no content). */
  check(method: string, template: string, response: RestResponse): void {
    const operation = this.document.paths[template]?.[method.toLowerCase()];
    if (!operation) throw new Error(`undocumented operation ${method} ${template}`);
    this.seen.add(`${method.toUpperCase()} ${template}`);
    const documented = operation.responses[String(response.status)];
    if (!documented) throw new Error(`${method} ${template}: status ${response.status} is not documented (body ${response.text.slice(0, 300)})`);
    // Headers documented as optional (`required: false`, e.g. CORS for browsers only) may be absent.
    for (const [name, header] of Object.entries((documented.headers ?? {}) as Record<string, { required?: boolean }>)) {
      if (header.required !== false && !response.headers.has(name)) throw new Error(`${method} ${template} ${response.status}: documented header ${name} is missing`);
    }
    const schema = documented.content?.['application/json']?.schema;
    if (!schema) {
      // A documented non-JSON body (a download): its bytes are checked by the route's own tests.
      if (documented.content) return;
      if (response.text !== '') throw new Error(`${method} ${template} ${response.status}: expected no content`);
      return;
    }
    expectJsonResponse(response);
    const key = `${method} ${template} ${response.status}`;
    let validate = this.cache.get(key);
    if (!validate) {
      const local = JSON.parse(JSON.stringify(schema).replaceAll('"#/components', '"openapi#/components'));
      validate = this.ajv.compile(local) as Validator;
      this.cache.set(key, validate);
    }
    if (!validate(response.body)) {
      throw new Error(`${key}: body does not match the documented schema: ${JSON.stringify(validate.errors)}\n${response.text.slice(0, 500)}`);
    }
  }
}

/** No dialect ever answers with HTML or a stack trace. */
export function expectJsonResponse(response: RestResponse): void {
  if (!(response.headers.get('content-type') ?? '').includes('application/json')) throw new Error(`not JSON: ${response.headers.get('content-type')} ${response.text.slice(0, 200)}`);
  if (/<html|at .+\(.*:\d+:\d+\)/i.test(response.text)) throw new Error(`HTML or stack trace in body: ${response.text.slice(0, 300)}`);
}

/** Same keys, and the same JSON type per key, as an example body from a seed. */
export function expectSameShape(actual: Record<string, unknown>, example: Record<string, unknown>): void {
  const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
  expect(Object.keys(actual).sort()).toEqual(Object.keys(example).sort());
  for (const [key, value] of Object.entries(example)) {
    if (value !== null) expect([key, typeOf(actual[key])]).toEqual([key, typeOf(value)]);
  }
}
