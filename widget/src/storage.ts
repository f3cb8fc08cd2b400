// Storage that never throws (Safari private mode, blocked third-party storage, quota): a failed
// read is "nothing stored", a failed write is dropped.

export interface SafeStorage {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

export function safeStorage(pick: () => Storage | null | undefined): SafeStorage {
  const store = (): Storage | null => {
    try {
      return pick() ?? null;
    } catch {
      return null;
    }
  };
  return {
    get(key) {
      try {
        return store()?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        store()?.setItem(key, value);
      } catch {
        // quota or disabled: the widget keeps working from memory
      }
    },
    remove(key) {
      try {
        store()?.removeItem(key);
      } catch {
        // see set
      }
    },
  };
}
