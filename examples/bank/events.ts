// The bank's events. Amounts are integer cents, so sums are exact.
import { z } from 'zod';
import { defineEvent, type EventsOf } from '../../src/eventstore/index.js';

const cents = z.number().int().positive();

export const AccountOpened = defineEvent('AccountOpened', z.object({ owner: z.string().min(1) }));
export const Deposited = defineEvent('Deposited', z.object({ amount: cents }));
export const Withdrawn = defineEvent('Withdrawn', z.object({ amount: cents }));
/** The debit half of a transfer, on the sending account. */
export const TransferSent = defineEvent(
  'TransferSent',
  z.object({ transferId: z.string(), to: z.string(), amount: cents }),
);
/** The credit half, on the receiving account. */
export const TransferReceived = defineEvent(
  'TransferReceived',
  z.object({ transferId: z.string(), from: z.string(), amount: cents }),
);

/** A transfer whose credit was refused, undone on the sending account. */
export const TransferRefunded = defineEvent(
  'TransferRefunded',
  z.object({ transferId: z.string(), to: z.string(), amount: cents, reason: z.string() }),
);

export const bankEvents = [
  AccountOpened,
  Deposited,
  Withdrawn,
  TransferSent,
  TransferReceived,
  TransferRefunded,
] as const;
export type BankEvent = EventsOf<typeof bankEvents>;

/** The stream of an account: one stream per account. */
export const streamOf = (accountId: string): string => `account-${accountId}`;
export const accountOf = (streamId: string): string => streamId.replace(/^account-/, '');
