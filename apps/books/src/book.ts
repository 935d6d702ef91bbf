/**
 * A book as the API stores and returns it: the tutorial's shape (`id`, its ISBN-10 as a number,
 * and `title`) plus who created and last changed it, and when. `createdBy` and `updatedBy` are
 * the identity the gateway authenticated (X-Auth-Subject).
 */
export interface Book {
  readonly id: number;
  readonly title: string;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedBy: string;
  readonly updatedAt: Date;
}

/** The response schema of one book: Fastify serialises it, dates as ISO 8601 strings. */
export const bookSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    title: { type: 'string' },
    createdBy: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedBy: { type: 'string' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'title', 'createdBy', 'createdAt', 'updatedBy', 'updatedAt'],
  additionalProperties: false,
} as const;
