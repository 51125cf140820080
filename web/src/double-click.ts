// A button acts once per press: the second click of a double click (its `detail` is 2 or more) does nothing. Buttons
// here toggle (disable / enable an account, vote / retract, close / reopen) or repeat (extend a session, create), and
// useOnce (once.ts) guards only while the first click's request is on its way: a double click whose second click came
// after the answer, 200 ms later against a nearby server, undid or repeated it. The keyboard's presses (detail 0) and
// single clicks pass.
export function ignoreSecondClicks(doc: Document): void {
  doc.addEventListener(
    'click',
    (event) => {
      if (event.detail < 2 || !(event.target instanceof Element) || !event.target.closest('button')) return;
      // Before React's listeners on its root (capture, at the document), and a submit button's form not sent.
      event.preventDefault();
      event.stopPropagation();
    },
    true,
  );
}
