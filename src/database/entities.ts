// Every entity and migration, listed (globs do not work under ESM). Modules add theirs here.
import { AppSecret } from './app-secret.entity.js';
import { User } from '../auth/user.entity.js';
import { Foundation1763770000000 } from './migrations/1763770000000-foundation.js';

export const ENTITIES = [AppSecret, User];

export const MIGRATIONS = [Foundation1763770000000];
