// The sections as a vertical tab list, in the order a person works: choose a model, text
// and method, run, then look at the result. Arrow keys move between tabs (roving tabindex).
import { useRef, type KeyboardEvent } from 'react';
import { SECTIONS, useStudio, type SectionId } from './store';

export function SectionNav({ hints }: { hints: Partial<Record<SectionId, string>> }) {
  const section = useStudio((s) => s.section);
  const setSection = useStudio((s) => s.setSection);
  const refs = useRef<(HTMLButtonElement | null)[]>([]);

  function onKeyDown(e: KeyboardEvent, index: number) {
    const last = SECTIONS.length - 1;
    const next =
      // Left/right too: on a narrow screen the list is a row.
      e.key === 'ArrowDown' || e.key === 'ArrowRight'
        ? index === last
          ? 0
          : index + 1
        : e.key === 'ArrowUp' || e.key === 'ArrowLeft'
          ? index === 0
            ? last
            : index - 1
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? last
              : null;
    if (next === null) return;
    e.preventDefault();
    setSection(SECTIONS[next].id);
    refs.current[next]?.focus();
  }

  return (
    <nav className="nav" role="tablist" aria-orientation="vertical" aria-label="Studio sections">
      {SECTIONS.map((s, i) => (
        <button
          key={s.id}
          ref={(el) => {
            refs.current[i] = el;
          }}
          role="tab"
          id={`tab-${s.id}`}
          aria-selected={section === s.id}
          aria-controls={`panel-${s.id}`}
          tabIndex={section === s.id ? 0 : -1}
          onClick={() => setSection(s.id)}
          onKeyDown={(e) => onKeyDown(e, i)}
        >
          <span className="step">{i + 1}</span>
          <span className="name">{s.label}</span>
          {hints[s.id] && <span className="hint">{hints[s.id]}</span>}
        </button>
      ))}
    </nav>
  );
}
