// Billing domain errors: one class with a closed set of codes; the HTTP edge maps codes to statuses.
export type BillingErrorCode =
  | 'NotFound'
  | 'InvalidInput'
  | 'Conflict'
  | 'InvoiceNotDraft'
  | 'InvalidTransition'
  | 'CurrencyMismatch';

export class BillingError extends Error {
  constructor(
    readonly code: BillingErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BillingError';
  }
}
