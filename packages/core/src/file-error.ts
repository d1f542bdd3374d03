import { GradscopeError } from './errors.js';

/** A file could not be read or written. `code` is `FILE_NOT_FOUND` or `FILE_IO`; `path` is the file. */
export class FileError extends GradscopeError {
  readonly path: string;
  constructor(code: 'FILE_NOT_FOUND' | 'FILE_IO', path: string, message: string) {
    super(code, message);
    this.path = path;
  }
}

const errnoText: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many symbolic links',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'name too long',
  EBUSY: 'busy',
  EMFILE: 'too many open files',
  EXDEV: 'on another file system',
};

export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/**
 * The reason of a file-system error as the OS gave it, without Node's path noise: `read-only file system (EROFS)`.
 * Other errors give their message.
 */
export function describeFileError(e: unknown): string {
  const code = errnoCode(e);
  const text = code === undefined ? undefined : errnoText[code];
  if (text !== undefined) return `${text} (${code})`;
  return e instanceof Error ? e.message : String(e);
}
