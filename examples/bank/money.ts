/** Integer cents as "1,234.50". */
export function money(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const units = Math.floor(abs / 100).toLocaleString('en-US');
  return `${sign}${units}.${String(abs % 100).padStart(2, '0')}`;
}

/** 12.5 -> 1250. */
export const cents = (amount: number): number => Math.round(amount * 100);
