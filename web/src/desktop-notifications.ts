// Desktop notifications for a tab that is not in front: each new notification, and each new message from someone
// else, shows as the system's own notification (the Notification API), worded as the bell words it; a click brings
// the tab to the front on the conversation or page it leads to. Off until the user turns them on, when the browser
// asks for its permission; the choice is kept in this browser. One conversation's notifications replace each other
// (one tag), and one notification shows once however many of the user's tabs receive it (its tag is its id). What
// arrives comes from the SDK's streams (`useArrivals`): also what came during a cut, or while the client polls.
import type { ConversationPayload, MessagePayload, RealtimeClient } from '@realtime-hub/client';
import { useCallback, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api } from './api';
import { isInFront } from './in-front';
import { useArrivals, targetOf, wordingOf } from './notices';
import type { UnreadStreams } from './session';

const PREFERENCE_KEY = 'realtime-hub.desktop-notifications';
/** A longer message is cut there (the system shows two or three lines at most). */
const BODY_MAX = 140;

export interface DesktopNotifications {
  /** The browser has the Notification API. */
  supported: boolean;
  /** Turned on here, and permitted by the browser. */
  enabled: boolean;
  /** Turned on here, but refused by the browser's settings for this site. */
  blocked: boolean;
  setEnabled(on: boolean): Promise<void>;
}

const supported = (): boolean => typeof Notification === 'function';
const clip = (text: string): string => (text.length > BODY_MAX ? `${text.slice(0, BODY_MAX - 1)}…` : text);

export function useDesktopNotifications(
  client: RealtimeClient,
  streams: UnreadStreams,
  userId: string,
): DesktopNotifications {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const [chosen, setChosen] = useState(() => localStorage.getItem(PREFERENCE_KEY) === 'on');
  const [permission, setPermission] = useState(() => (supported() ? Notification.permission : 'denied'));
  const enabled = chosen && permission === 'granted';
  /** Conversations by id, fetched once each, for the sender's name and a group's title. */
  const conversations = useRef(new Map<string, Promise<ConversationPayload | undefined>>());

  const show = (title: string, body: string | null, tag: string, target: string | undefined) => {
    const shown = new Notification(title, { body: body === null ? undefined : clip(body), tag, lang: i18n.language });
    shown.onclick = () => {
      window.focus();
      if (target) navigate(target);
      shown.close();
    };
  };

  const titleOf = async (message: MessagePayload): Promise<string> => {
    const known = conversations.current.get(message.conversationId);
    let conversation = await known;
    if (!conversation?.members.some((m) => m.userId === message.senderId)) {
      // Not fetched yet, or the sender joined since: fetched (again).
      const fetched = api<ConversationPayload>(client, 'GET', `/api/v1/conversations/${message.conversationId}`).catch(
        () => undefined,
      );
      conversations.current.set(message.conversationId, fetched);
      conversation = await fetched;
    }
    const name = conversation?.members.find((m) => m.userId === message.senderId)?.displayName;
    if (!name) return t('desktop.newMessage');
    return conversation?.title ? t('desktop.inGroup', { name, title: conversation.title }) : name;
  };

  useArrivals(streams, userId, enabled, {
    notification: (notification) => {
      if (isInFront()) return;
      const { title, body } = wordingOf(notification, t);
      show(title, body, `notification:${notification.id}`, targetOf(notification));
    },
    message: (message) => {
      if (isInFront()) return;
      const { conversationId } = message;
      void titleOf(message).then((title) =>
        show(title, message.body, `conversation:${conversationId}`, `/chat/${conversationId}`),
      );
    },
  });

  const setEnabled = useCallback(async (on: boolean) => {
    localStorage.setItem(PREFERENCE_KEY, on ? 'on' : 'off');
    setChosen(on);
    if (!supported()) return;
    setPermission(
      on && Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission,
    );
  }, []);

  return { supported: supported(), enabled, blocked: chosen && permission === 'denied', setEnabled };
}
