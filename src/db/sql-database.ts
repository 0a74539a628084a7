// The little the repositories need from a SQL engine; `pg` and PGlite both provide it.
export interface SqlQueryable {
  query: <Row>(sql: string, params?: unknown[]) => Promise<Row[]>
}

export interface SqlDatabase extends SqlQueryable {
  transaction: <T>(work: (tx: SqlQueryable) => Promise<T>) => Promise<T>
  close: () => Promise<void>
}
