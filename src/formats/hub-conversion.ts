// A Hub repo whose main branch holds only PyTorch pickles (pytorch_model.bin, which this loader does
// not read) often has an open pull request from the Hub's conversion bot with the same weights as
// safetensors. transformers loads that pull request's revision in this case (its
// safetensors_conversion.py), and so does this loader, under the same conditions: an open pull
// request by SFconvertbot with the bot's title, whose commit sits directly on main's current head,
// so that its weights are main's.

/** The bot and the title of the pull requests it opens, as transformers looks for them. */
export const CONVERSION_BOT = 'SFconvertbot';
export const CONVERSION_TITLE = 'Adding `safetensors` variant of this model';
/** Pages of discussions looked through (50 a page on the Hub): a repo's first thousand. */
const MAX_PAGES = 20;

/** A GET of `${endpoint}/api/models/${repo}/${path}`, parsed as JSON. */
export type HubApi = (path: string) => Promise<unknown>;

type Json = Record<string, unknown>;

/** The commit ids of a /commits/<revision> answer, newest first. */
function commitIds(list: unknown): string[] {
  return Array.isArray(list) ? list.map((c) => (c as Json | null)?.id).filter((id): id is string => typeof id === 'string') : [];
}

function isConversion(d: Json): boolean {
  const author = d.author as Json | null | undefined;
  return d.isPullRequest === true && d.status === 'open' && d.title === CONVERSION_TITLE && author?.name === CONVERSION_BOT && Number.isSafeInteger(d.num);
}

/** The revision (refs/pr/N) of the conversion bot's pull request on top of main, or undefined where there is none. */
export async function conversionRevision(api: HubApi): Promise<string | undefined> {
  const head = commitIds(await api('commits/main'))[0];
  if (!head) return undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const body = (await api(`discussions?p=${page}`)) as Json | null;
    const list = Array.isArray(body?.discussions) ? (body.discussions as Json[]) : [];
    for (const d of list) {
      if (!d || !isConversion(d)) continue;
      const revision = `refs/pr/${d.num}`;
      // the pull request's own commit first, then the commit it was made on
      if (commitIds(await api(`commits/${encodeURIComponent(revision)}`))[1] === head) return revision;
    }
    const start = typeof body?.start === 'number' ? body.start : 0;
    const count = typeof body?.count === 'number' ? body.count : 0;
    if (!list.length || start + list.length >= count) break;
  }
  return undefined;
}
