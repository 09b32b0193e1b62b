// A section whose engine part is not built yet: says what will be here and what it waits for.
export function Placeholder({ what, waitsFor }: { what: string; waitsFor: string }) {
  return (
    <div className="empty">
      <p>{what}</p>
      <p className="small">Waiting for {waitsFor}.</p>
    </div>
  );
}
