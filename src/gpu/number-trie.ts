// Nested maps keyed by numbers, for caches looked up on every dispatch: walking a few Map.get of
// numbers costs less than building (and hashing) a key string each time.

/** A node: children by number, and the cached value under TRIE_LEAF. */
export type NumberTrie<T> = Map<number, NumberTrie<T> | T>;

export const TRIE_LEAF = -1;

/** The child of node under key, created empty where missing. */
export function trieChild<T>(node: NumberTrie<T>, key: number): NumberTrie<T> {
  let child = node.get(key) as NumberTrie<T> | undefined;
  if (!child) node.set(key, (child = new Map()));
  return child;
}
