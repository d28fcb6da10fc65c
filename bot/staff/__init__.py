"""The staff pages' data and accounts: inbox, knowledge gaps, sign-in, the audit log."""
