/**
 * The app's settings (the last project, the window size), kept by electron-store in the user's config
 * folder. Whatever is read back is validated: a hand-edited or damaged settings file gives defaults.
 */
import { z } from 'zod';

/** The part of electron-store used here. */
export interface SettingsBackend {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

const LastProject = z.string().min(1).max(4096);
const WindowSize = z.object({
  width: z.number().int().min(600).max(20000),
  height: z.number().int().min(400).max(20000),
});

export class Settings {
  constructor(private readonly backend: SettingsBackend) {}

  lastProject(): string | undefined {
    const r = LastProject.safeParse(this.backend.get('lastProject'));
    return r.success ? r.data : undefined;
  }

  setLastProject(file: string): void {
    if (LastProject.safeParse(file).success) this.backend.set('lastProject', file);
  }

  windowSize(): { width: number; height: number } | undefined {
    const r = WindowSize.safeParse(this.backend.get('window'));
    return r.success ? r.data : undefined;
  }

  setWindowSize(width: number, height: number): void {
    const r = WindowSize.safeParse({ width, height });
    if (r.success) this.backend.set('window', r.data);
  }
}

/** Settings kept in memory only (tests, or when the store cannot be opened). */
export function memorySettings(initial: Record<string, unknown> = {}): SettingsBackend {
  const values = new Map(Object.entries(initial));
  return { get: (k) => values.get(k), set: (k, v) => void values.set(k, v) };
}
