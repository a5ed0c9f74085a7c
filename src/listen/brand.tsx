/** The page header the listener-facing pages share: the product's name and, once known, the mount's. */
export function Brand({ mount }: { mount: string | null | undefined }) {
  return (
    <header class="brand">
      <span class="brand__name">onair</span>
      {mount && <span class="brand__mount">{mount}</span>}
    </header>
  );
}
