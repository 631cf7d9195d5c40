// One instance per Durable Object storage: stores create their tables in their
// constructor, so each object builds a store once and reuses it for every stanza.
// When an object wipes its storage (account deletion), forgetStorage drops every
// cached instance, so the tables are made again on next use.
const caches: WeakMap<SqlStorage, unknown>[] = [];

export function perStorage<T>(make: (sql: SqlStorage) => T): (sql: SqlStorage) => T {
  const cache = new WeakMap<SqlStorage, T>();
  caches.push(cache);
  return (sql) => {
    let s = cache.get(sql);
    if (s === undefined) cache.set(sql, (s = make(sql)));
    return s;
  };
}

export function forgetStorage(sql: SqlStorage): void {
  for (const cache of caches) cache.delete(sql);
}
