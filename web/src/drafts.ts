// What a user typed in a document and has not saved, kept while they move to another page of the app and back (the
// editor itself is gone meanwhile), with the version it was typed over, which its save sends as If-Match. Kept in
// memory only: a reload or a closed tab is warned of instead (the editor's `beforeunload`), and the session forgets
// every draft when its user signs out or changes (session.tsx), as it forgets the rest of the screens' state.

export interface Draft {
  text: string;
  /** The version the text was typed over. */
  baseVersion: number;
  /** That version's text, what a merge compares both sides with. */
  baseText: string;
}

const drafts = new Map<string, Draft>();

export function draftOf(resourceId: string): Draft | undefined {
  return drafts.get(resourceId);
}

/** Keeps the draft of a document, or forgets it (`undefined`: saved, or given up for the live version). */
export function keepDraft(resourceId: string, draft: Draft | undefined): void {
  if (draft) drafts.set(resourceId, draft);
  else drafts.delete(resourceId);
}

export function forgetDrafts(): void {
  drafts.clear();
}
