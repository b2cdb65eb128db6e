// Domain errors of accounts and access; `code` is a closed set mapped to HTTP status in one place (api/problem.ts).
export type AuthErrorCode =
  | 'Unauthenticated'
  | 'Forbidden'
  | 'NotFound'
  | 'Throttled'
  | 'InvalidToken'
  | 'Conflict'
  | 'Validation';

export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export const notFound = (what: string): AuthError => new AuthError('NotFound', `${what} not found`);
export const forbidden = (why: string): AuthError => new AuthError('Forbidden', why);
