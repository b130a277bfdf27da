import { useI18n } from "../../i18n";
import type { SectionProps } from "../types";

export function Placeholder({ section }: SectionProps) {
  const { t } = useI18n();
  return (
    <section class="bo-placeholder" aria-labelledby="section-title">
      <h1 id="section-title">{t(section.label)}</h1>
      <p class="fb-empty">{t("app.placeholder")}</p>
    </section>
  );
}
