/** A zod field for "number + unit" config values (durations, sizes): `parse` decides, `message` explains. */
import { z } from 'zod'

export const unitValue = (parse: (v: string | number) => number | undefined, message: string) =>
  z.union([z.number(), z.string()], { error: message }).transform((v, ctx) => {
    const value = parse(v)
    if (value === undefined) {
      ctx.issues.push({ code: 'custom', message, input: v })
      return z.NEVER
    }
    return value
  })
