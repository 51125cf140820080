// Names and emails in one Unicode form (NFC), however they were typed: macOS input sends "é" decomposed (NFD, "e" +
// U+0301), most others composed, and the two never match byte for byte (a search, a unique email, a login).

/** A display name, or a search for one: trimmed, in NFC. */
export function normalText(value: string): string {
  return value.trim().normalize('NFC');
}

/** An email: trimmed, lower-cased, in NFC (last, so that what lower-casing makes of a character is composed too). */
export function normalEmail(value: string): string {
  return value.trim().toLowerCase().normalize('NFC');
}
