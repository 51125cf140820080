// A short chime when something arrives for the user: a new notification, or a new message from someone else that
// they are not reading at that moment. Off until the user turns it on in the bell's dropdown; the choice is kept in
// this browser and followed by its other tabs. The chime is made with the Web Audio API (no file to load). What
// arrives comes from the SDK's streams (`useArrivals`): also what came during a cut, or while the client polls.
//
// One chime per event, however many of the user's tabs receive it: the tab that takes the event's Web Lock first
// plays it and notes it in this browser's storage, and the others find it there. A message is chimed for a second
// after it arrives, and only if it is still unread by then, so that a conversation the user has open in another tab
// (which reads it at once) stays quiet. At most one chime every 2 s per tab, whatever the burst.
//
// Browsers let a page play sound only once the user has interacted with it: after a reload, chimes start with the
// first click or key in the page (the switch's own click counts).
import { useCallback, useEffect, useRef, useState } from 'react';
import { isInFront } from './in-front';
import { useArrivals } from './notices';
import type { UnreadStreams } from './session';

const PREFERENCE_KEY = 'realtime-hub.sound';
/** The events chimed lately in this browser (by any tab), newest last. */
const PLAYED_KEY = 'realtime-hub.sound.played';
const PLAYED_KEPT = 50;
const MIN_GAP_MS = 2000;
/** How long a message waits before its chime, for a read in another tab to come first. */
const MESSAGE_DELAY_MS = 1000;

export interface SoundAlerts {
  /** The browser has the Web Audio API. */
  supported: boolean;
  enabled: boolean;
  setEnabled(on: boolean): void;
}

const supported = (): boolean => typeof AudioContext === 'function';

let audio: AudioContext | undefined;

/** The page's audio context, made on first use and resumed if the browser suspended it (no interaction yet). */
function audioContext(): AudioContext {
  audio ??= new AudioContext();
  if (audio.state === 'suspended') void audio.resume().catch(() => undefined);
  return audio;
}

/** Two soft notes, a fifth apart, 0.3 s in all. */
function chime(context: AudioContext): void {
  const start = context.currentTime;
  [880, 1320].forEach((frequency, i) => {
    const at = start + i * 0.12;
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.18);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(at);
    oscillator.stop(at + 0.2);
  });
}

/** Whether `key` was chimed already in this browser; notes it when not. */
function playedBefore(key: string): boolean {
  let played: string[] = [];
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(PLAYED_KEY) ?? '[]');
    if (Array.isArray(stored)) played = stored.filter((k): k is string => typeof k === 'string');
  } catch {
    // Unreadable: started afresh.
  }
  if (played.includes(key)) return true;
  localStorage.setItem(PLAYED_KEY, JSON.stringify([...played, key].slice(-PLAYED_KEPT)));
  return false;
}

export function useSoundAlerts(streams: UnreadStreams, userId: string): SoundAlerts {
  const [enabled, setChosen] = useState(() => supported() && localStorage.getItem(PREFERENCE_KEY) === 'on');
  const lastChime = useRef(0);
  /** The highest read mark per conversation: whether a message was read in its first second. */
  const readSeq = useRef(new Map<string, number>());

  // The other tabs' switch.
  useEffect(() => {
    const follow = (event: StorageEvent) => {
      if (event.key === PREFERENCE_KEY) setChosen(supported() && event.newValue === 'on');
    };
    window.addEventListener('storage', follow);
    return () => window.removeEventListener('storage', follow);
  }, []);

  // Once on, the first click or key in the page lets the audio context run (the browser's autoplay rule).
  useEffect(() => {
    if (!enabled) return;
    const unlock = () => audioContext();
    document.addEventListener('pointerdown', unlock, true);
    document.addEventListener('keydown', unlock, true);
    return () => {
      document.removeEventListener('pointerdown', unlock, true);
      document.removeEventListener('keydown', unlock, true);
    };
  }, [enabled]);

  const play = useCallback((key: string) => {
    const context = audioContext();
    // A tab that may not play yet leaves the event to one that may.
    if (context.state !== 'running' || Date.now() - lastChime.current < MIN_GAP_MS) return;
    const once = () => {
      if (playedBefore(key)) return;
      lastChime.current = Date.now();
      chime(context);
    };
    if (!navigator.locks) {
      once();
      return;
    }
    void navigator.locks.request(`${PLAYED_KEY}:${key}`, once);
  }, []);

  useArrivals(streams, userId, enabled, {
    notification: (notification) => play(`notification:${notification.id}`),
    inbox: (entries) => {
      for (const { conversationId, lastReadSeq } of entries.values()) {
        if (lastReadSeq > (readSeq.current.get(conversationId) ?? 0)) readSeq.current.set(conversationId, lastReadSeq);
      }
    },
    message: (message) => {
      const { conversationId } = message;
      if (isInFront() && window.location.pathname === `/chat/${conversationId}`) return;
      setTimeout(() => {
        if ((readSeq.current.get(conversationId) ?? 0) < message.seq) play(`message:${message.id}`);
      }, MESSAGE_DELAY_MS);
    },
  });

  const setEnabled = useCallback((on: boolean) => {
    localStorage.setItem(PREFERENCE_KEY, on ? 'on' : 'off');
    setChosen(on && supported());
    // The switch's click is an interaction: the context may run from now on.
    if (on && supported()) audioContext();
  }, []);

  return { supported: supported(), enabled, setEnabled };
}
