// Repo ids and revisions that would leave the intended Hub path (or are absurd) are refused before
// any request is made, so no URL is built from them and no token is sent anywhere.
import { describe, expect, test } from 'vitest';
import { HubError } from './errors';
import { loadFromHub } from './hub';
import { MemoryHubCache } from './hub-cache';
import { checkRepoId, checkRevision } from './hub-ids';

const TOKEN = 'hf_PLANTED_for_bad_urls';

/** Loads through a fetch that records every request and its headers (and answers 404). */
async function attempt(repo: string, revision?: string): Promise<{ error: unknown; requests: string[] }> {
  const requests: string[] = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    requests.push(`${url instanceof Request ? url.url : String(url)} ${JSON.stringify(init?.headers ?? {})}`);
    return new Response('no', { status: 404 });
  }) as typeof globalThis.fetch;
  const error = await loadFromHub(repo, { revision, token: TOKEN, fetch, cache: new MemoryHubCache() }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, requests };
}

describe('Hub repo ids and revisions', () => {
  test('a well-formed id does reach the Hub (control: the recording fetch sees the request and the token)', async () => {
    const { error, requests } = await attempt('owner/name.v2_x-y', 'refs/pr/1');
    expect(error).toBeInstanceOf(HubError);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests[0]).toContain('https://huggingface.co/owner/name.v2_x-y/resolve/refs%2Fpr%2F1/config.json');
    expect(requests[0]).toContain(TOKEN);
  });

  const badRepos: [string, RegExp][] = [
    ['a/..', /"a\/\.\." is not a Hugging Face repo id: owner and name use/],
    ['../b', /is not a Hugging Face repo id/],
    ['a/b/c', /is not a Hugging Face repo id/],
    ['a--b/c', /contains "--" or "\.\."/],
    ['a/b..c', /contains "--" or "\.\."/],
    ['-a/b', /neither starts nor ends with "-" or "\."/],
    ['a/b.', /neither starts nor ends/],
    ['a/%2e%2e', /is not a Hugging Face repo id/],
    ['x'.repeat(10_000), /"x{60}"\.\.\. \(10000 characters\) is not a Hugging Face repo id: it is over 96 characters/],
  ];
  for (const [repo, message] of badRepos) {
    test(`repo ${repo.length > 20 ? `${repo.slice(0, 8)}... (${repo.length})` : JSON.stringify(repo)} is refused before any request`, async () => {
      const { error, requests } = await attempt(repo);
      expect(error).toBeInstanceOf(HubError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(TOKEN);
      expect(requests).toEqual([]);
    });
  }

  const badRevisions: [string, RegExp][] = [
    ['..', /"\.\." is not a revision: it contains "\.\."/],
    ['.', /starts or ends with "\/" or "\."/],
    ['main/../x', /contains "\.\."/],
    ['/main', /starts or ends/],
    ['a b', /a space, a control character/],
    ['a\\b', /one of ~ \^ : \? \* \[ \\/],
    ['main@{1}', /"@\{"/],
    ['x.lock', /ends with "\.lock"/],
    ['r'.repeat(300), /over 255 characters/],
  ];
  for (const [revision, message] of badRevisions) {
    test(`revision ${revision.length > 20 ? `(${revision.length} characters)` : JSON.stringify(revision)} is refused before any request`, async () => {
      const { error, requests } = await attempt('owner/name', revision);
      expect(error).toBeInstanceOf(HubError);
      expect((error as Error).message).toMatch(message);
      expect(requests).toEqual([]);
    });
  }

  test('real ids and revisions pass', () => {
    for (const id of [
      'gpt2',
      'HuggingFaceTB/SmolLM2-135M',
      'Qwen/Qwen2.5-0.5B',
      'meta-llama/Llama-3.2-1B',
      'TinyLlama/TinyLlama-1.1B-Chat-v1.0',
      'a'.repeat(96),
    ])
      expect(() => checkRepoId(id)).not.toThrow();
    for (const rev of ['main', 'v1.0', 'refs/pr/12', 'a'.repeat(40), 'release-2024.1']) expect(() => checkRevision(rev)).not.toThrow();
  });
});
