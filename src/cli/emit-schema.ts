import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { buildParleySchema, printParleySchema } from '../graphql/schema.js';

/** Regenerates the committed schema.graphql (a test fails when it drifts from the code). */
writeFileSync('schema.graphql', printParleySchema(await buildParleySchema()));
console.log('wrote schema.graphql');
