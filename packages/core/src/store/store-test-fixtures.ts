import type { BaseImage, Run, Tag } from '../domain/types.js';

// Entities and runs the store tests write, shared by the store contract suite and the SQLite-only tests.

export function baseImage(name: string, tags: Tag[] = [], revision = 1): BaseImage {
  return {
    name,
    id: `id-${name}`,
    createdTime: 1_700_000_000,
    modifiedTime: 1_700_000_000 + revision,
    revision,
    tags,
    status: 'READY',
    reason: '',
    imageURL: `dispatch/${name}:latest`,
    language: 'nodejs',
  };
}

export function run(id: string, functionName: string, executedTime: number, extra: Partial<Run> = {}): Run {
  return {
    name: id,
    id,
    functionName,
    blocking: true,
    input: { id },
    output: null,
    logs: { stdout: [], stderr: [] },
    secrets: [],
    status: 'READY',
    reason: '',
    executedTime,
    finishedTime: executedTime,
    ...extra,
  };
}
