import { z } from 'zod';

/** UI languages the widget speaks. */
export const languages = ['en', 'fi', 'sv', 'de', 'fr', 'es'] as const;

const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour like #1a73e8');

/** A site's widget settings, with defaults for everything. */
export const siteSettings = z
  .object({
    persona: z.string().trim().max(2000).default(''),
    languages: z.array(z.enum(languages)).min(1).max(languages.length).default(['en']),
    greeting: z.string().trim().min(1).max(500).default('Hi! Ask me anything about this site.'),
    starterQuestions: z.array(z.string().trim().min(1).max(200)).max(6).default([]),
    colors: z
      .object({ primary: hexColor.default('#2563eb'), text: hexColor.default('#ffffff') })
      .strict()
      .default({ primary: '#2563eb', text: '#ffffff' }),
    position: z.enum(['bottom-right', 'bottom-left']).default('bottom-right'),
    emailCapture: z.enum(['off', 'on_request', 'after_first_answer']).default('on_request'),
  })
  .strict();

/** Settings as stored and returned. */
export type SiteSettings = z.output<typeof siteSettings>;

/** A domain entry: an exact host (optionally with port), or an explicit `*.example.com` wildcard. */
export const domainEntry = z
  .string()
  .trim()
  .toLowerCase()
  .max(260)
  .regex(/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$/, 'expected a host such as shop.example.com (no scheme or path)');

/** Body of `POST /api/sites`. */
export const createSiteBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    domains: z.array(domainEntry).max(50).default([]),
    settings: siteSettings.partial().optional(),
  })
  .strict();

/** Body of `PATCH /api/sites/:siteId`. */
export const updateSiteBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    domains: z.array(domainEntry).max(50).optional(),
    settings: z
      .object({
        ...siteSettings.shape,
        colors: z.object({ primary: hexColor, text: hexColor }).partial().strict(),
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict();

/** A site as the API returns it. */
export interface SiteView {
  id: string;
  name: string;
  domains: string[];
  embedKey: string;
  settings: SiteSettings;
  createdAt: string;
  updatedAt: string;
}
