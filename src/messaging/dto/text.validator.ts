import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * A string of `min..max` characters counted as Postgres counts them (code points, as `char_length`), without
 * NUL (which Postgres text cannot hold) and, unless `allowBlank`, not only whitespace.
 */
export function IsText(min: number, max: number, options: ValidationOptions & { allowBlank?: boolean } = {}) {
  const { allowBlank, ...validationOptions } = options;
  return ValidateBy(
    {
      name: 'isText',
      constraints: [min, max],
      validator: {
        validate: (value: unknown): boolean => {
          if (typeof value !== 'string' || value.includes('\u0000')) return false;
          const length = [...value].length;
          if (length < min || length > max) return false;
          return allowBlank === true || /\S/u.test(value);
        },
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be a string of ${min} to ${max} characters` +
          (allowBlank ? '' : ', not only whitespace') +
          ', without NUL',
      },
    },
    validationOptions,
  );
}
