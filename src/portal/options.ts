// What the portal needs beyond the AppContext: a mailer and the public URL (for links and the Secure flag).
import type { Mailer } from '../auth/mailer.ts';

export interface PortalOptions {
  mailer: Mailer;
  /** e.g. https://portal.example.com; links in mail use it, and https here makes cookies Secure. */
  publicUrl?: string;
}
