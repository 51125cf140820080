/** A screen's error line: a sentence for the user (from `errorText`), announced as it appears; nothing when empty. */
export function ErrorLine({ text }: { text: string | undefined }) {
  if (!text) return null;
  return (
    <p role="alert" className="error">
      {text}
    </p>
  );
}
