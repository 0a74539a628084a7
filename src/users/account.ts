// Accounts are compared after trimming and lower-casing, so "Ann@x.io " and "ann@x.io" are one account.
export function normalizeAccount (account: string): string {
  return account.trim().toLowerCase()
}

export const ACCOUNT_MAX_LENGTH = 254
