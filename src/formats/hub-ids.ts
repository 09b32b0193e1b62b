// Repo ids and revisions checked as the Hub checks them, before any request: a ".." in either
// would otherwise be resolved by URL parsing into another path of the Hub (with the token attached).
import { HubError } from './errors';

/** huggingface_hub's validate_repo_id: [owner/]name of [\w.-], at most 96 characters, no "--" or "..", no part starting or ending with "-" or ".". */
export const MAX_REPO_ID_LENGTH = 96;
const REPO_PART = /^[A-Za-z0-9_](?:[\w.-]*[A-Za-z0-9_])?$/;
/** Git's limit for a ref name is the file system's; the Hub's branch names are far shorter. */
export const MAX_REVISION_LENGTH = 255;

export function checkRepoId(repo: string): void {
  const example = 'Use the form owner/name, e.g. HuggingFaceTB/SmolLM2-135M.';
  const shown = repo.length > 100 ? `${JSON.stringify(repo.slice(0, 60))}... (${repo.length} characters)` : JSON.stringify(repo);
  if (repo.length > MAX_REPO_ID_LENGTH)
    throw new HubError(undefined, `${shown} is not a Hugging Face repo id: it is over ${MAX_REPO_ID_LENGTH} characters. ${example}`);
  const parts = repo.split('/');
  if (parts.length > 2 || !parts.every((p) => REPO_PART.test(p))) {
    throw new HubError(
      undefined,
      `${shown} is not a Hugging Face repo id: owner and name use letters, digits, "_", "-" and ".", and neither starts nor ends with "-" or ".". ${example}`,
    );
  }
  if (repo.includes('--') || repo.includes('..')) throw new HubError(undefined, `${shown} is not a Hugging Face repo id: it contains "--" or "..". ${example}`);
}

/** A branch, tag or commit as git allows it (git check-ref-format), and no longer than MAX_REVISION_LENGTH. */
export function checkRevision(revision: string): void {
  const shown = revision.length > 100 ? `${JSON.stringify(revision.slice(0, 60))}... (${revision.length} characters)` : JSON.stringify(revision);
  const fix = 'Use a branch (main), a tag or a 40-character commit hash.';
  const why =
    revision.length > MAX_REVISION_LENGTH
      ? `it is over ${MAX_REVISION_LENGTH} characters`
      : revision.includes('..')
        ? 'it contains ".."'
        : // eslint-disable-next-line no-control-regex -- git refuses control characters in ref names
          /[\x00-\x20\x7f~^:?*[\\]/.test(revision)
          ? 'it contains a space, a control character or one of ~ ^ : ? * [ \\'
          : revision.includes('@{')
            ? 'it contains "@{"'
            : /^[/.-]|[/.]$|\/\/|\/\.|\.lock$|\.lock\//.test(revision)
              ? 'a part of it starts or ends with "/" or ".", or ends with ".lock"'
              : undefined;
  if (why) throw new HubError(undefined, `${shown} is not a revision: ${why}. ${fix}`);
}
