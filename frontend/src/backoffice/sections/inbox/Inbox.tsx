import { useI18n } from "../../../i18n";
import type { SectionProps } from "../../types";

export function Inbox(_: SectionProps) {
  const { t } = useI18n();
  return <section class="bo-placeholder"><h1>{t("app.nav.inbox")}</h1><p class="fb-empty">{t("app.placeholder")}</p></section>;
}
