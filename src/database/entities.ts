// Every entity and migration, listed (globs do not work under ESM). Modules add theirs here.
import { AppSecret } from './app-secret.entity.js';
import { User } from '../auth/user.entity.js';
import { Foundation1763770000000 } from './migrations/1763770000000-foundation.js';
import { Notifications1763770100000 } from './migrations/1763770100000-notifications.js';
import { NotificationCounter } from '../notifications/notification-counter.entity.js';
import { Notification } from '../notifications/notification.entity.js';
import { Suggestions1763770300000 } from './migrations/1763770300000-suggestions.js';
import { Suggestion } from '../suggestions/suggestion.entity.js';
import { SuggestionVote } from '../suggestions/suggestion-vote.entity.js';
import { Jobs1763770600000 } from './migrations/1763770600000-jobs.js';
import { Job } from '../jobs/job.entity.js';
import { JobEvent } from '../jobs/job-event.entity.js';
import { Resources1763770400000 } from './migrations/1763770400000-resources.js';
import { Resource } from '../resources/resource.entity.js';
import { Messaging1763770200000 } from './migrations/1763770200000-messaging.js';
import { Conversation } from '../messaging/conversation.entity.js';
import { ConversationMember } from '../messaging/conversation-member.entity.js';
import { Message } from '../messaging/message.entity.js';
import { ConversationMemberIds1764400000000 } from './migrations/1764400000000-conversation-member-ids.js';
import { NormalizeUserText1796256000000 } from './migrations/1796256000000-normalize-user-text.js';
import { Kiosk1763770500000 } from './migrations/1763770500000-kiosk.js';
import { Workstation } from '../kiosk/workstation.entity.js';
import { KioskSession } from '../kiosk/kiosk-session.entity.js';

export const ENTITIES = [
  AppSecret,
  User,
  Notification,
  NotificationCounter,
  Suggestion,
  SuggestionVote,
  Job,
  JobEvent,
  Resource,
  Conversation,
  ConversationMember,
  Message,
  Workstation,
  KioskSession,
];

export const MIGRATIONS = [
  Foundation1763770000000,
  Notifications1763770100000,
  Messaging1763770200000,
  Suggestions1763770300000,
  Resources1763770400000,
  Kiosk1763770500000,
  Jobs1763770600000,
  ConversationMemberIds1764400000000,
  NormalizeUserText1796256000000,
];
