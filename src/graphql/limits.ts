import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ValidationRule } from 'graphql';
import type { Config } from '../config/config.js';

/**
 * GraphQL document limits (DESIGN §8): depth, aliases, tokens, directives and cost. HTTP and
 * WebSocket share one definition, so a document refused on one transport is refused on the
 * other, and every check runs at parse/validation time — before any resolver.
 */
export interface QueryLimits {
  /** Apollo plugins (field-suggestion blocking in production). */
  plugins: ApolloServerPlugin[];
  /** Validation rules added to graphql's own (depth, aliases, directives, cost). */
  validationRules: ValidationRule[];
  /** Passed to graphql's parser: documents with more tokens are refused while parsing. */
  maxTokens: number;
  /**
   * A validation error's message as clients may read it: in production without graphql's
   * "Did you mean …?" schema hints. Apollo strips them on HTTP (its production settings);
   * the WebSocket validates documents itself and applies this.
   */
  clientValidationMessage: (message: string) => string;
}

/** The hint graphql-js appends to validation errors, naming fields, types or values of the schema. */
const SUGGESTION = / ?Did you mean .+\?$/;

export function queryLimits(config: Pick<Config, 'queryLimits' | 'env'>): QueryLimits {
  const limits = config.queryLimits;
  const armor = new ApolloArmor({
    // Introspection is switched off as a whole in production; elsewhere its deep query must work.
    maxDepth: { n: limits.depth, ignoreIntrospection: true, flattenFragments: false, exposeLimits: true },
    maxAliases: { n: limits.aliases, allowList: [], exposeLimits: true },
    maxDirectives: { n: limits.directives, exposeLimits: true },
    costLimit: { maxCost: limits.cost, exposeLimits: true, ignoreIntrospection: true },
    // Token counting is done by graphql's parser itself (parseOptions.maxTokens), below.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: config.env === 'production' },
  });
  const { plugins, validationRules } = armor.protect();
  // graphql-armor types its plugins against Apollo's CommonJS build; they are the same plugin shape.
  const clientValidationMessage = config.env === 'production' ? (message: string) => message.replace(SUGGESTION, '') : (message: string) => message;
  return { plugins: plugins as unknown as ApolloServerPlugin[], validationRules, maxTokens: limits.tokens, clientValidationMessage };
}
